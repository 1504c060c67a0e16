#include "device/scp03_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

namespace sx::device {
namespace {

using se05x::scp03::StaticKeys;

constexpr size_t kMaxFileSize = 64 * 1024;  // a key file is ~120 bytes; anything huge is not one

Error io_error(Errc code, const std::string& what) { return make_error(code, what + ": " + std::strerror(errno)); }

std::string line_error(size_t line, const std::string& what) {
  return "key file line " + std::to_string(line) + ": " + what;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Contiguous hex, two digits a byte. The message never quotes the text: it
// is a key.
Result<Bytes> parse_hex_key(std::string_view h, size_t line) {
  if (h.empty()) return make_error(Errc::InvalidArgument, line_error(line, "the key is missing"));
  if (h.size() % 2 != 0) return make_error(Errc::InvalidArgument, line_error(line, "odd number of hex digits"));
  Bytes out;
  out.reserve(h.size() / 2);
  for (size_t i = 0; i < h.size(); i += 2) {
    const int hi = hex_digit(h[i]), lo = hex_digit(h[i + 1]);
    if (hi < 0 || lo < 0) {
      secure_wipe(out);
      return make_error(Errc::InvalidArgument, line_error(line, "the key is not contiguous hex"));
    }
    out.push_back(static_cast<uint8_t>((hi << 4) | lo));
  }
  if (out.size() != 16 && out.size() != 32) {
    const size_t n = out.size();
    secure_wipe(out);
    return make_error(Errc::InvalidArgument,
                      line_error(line, "the key is " + std::to_string(n) + " bytes; AES-128 or AES-256 keys are 16 or 32"));
  }
  return out;
}

// One line without its newline: nullopt for a blank or comment line, else the
// keyword and the hex. NXP's reader: leading blanks skipped, `#` starts a
// comment anywhere (docs/scp03.md §10).
struct KeyLine {
  std::string_view keyword, hex;
};
Result<std::optional<KeyLine>> split_line(std::string_view l, size_t line) {
  if (const auto hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
  size_t i = 0;
  while (i < l.size() && is_blank(l[i])) ++i;
  if (i == l.size()) return std::optional<KeyLine>{};
  size_t k = i;
  while (k < l.size() && !is_blank(l[k])) ++k;
  KeyLine kl{l.substr(i, k - i), {}};
  size_t h = k;
  while (h < l.size() && is_blank(l[h])) ++h;
  size_t e = h;
  while (e < l.size() && !is_blank(l[e])) ++e;
  kl.hex = l.substr(h, e - h);
  while (e < l.size() && is_blank(l[e])) ++e;
  if (e != l.size()) return make_error(Errc::InvalidArgument, line_error(line, "the key is not contiguous hex"));
  if (kl.keyword != "ENC" && kl.keyword != "MAC" && kl.keyword != "DEK")
    // Not quoted: a line holding only hex would put a key into the message.
    return make_error(Errc::InvalidArgument, line_error(line, "expected ENC, MAC or DEK followed by the key in hex"));
  return std::optional<KeyLine>{kl};
}

Result<std::string> read_fd(int fd, const std::string& path) {
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      secure_wipe(buf, sizeof buf);
      secure_wipe(text.data(), text.size());
      return io_error(Errc::Io, "cannot read " + path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      secure_wipe(text.data(), text.size());
      return make_error(Errc::InvalidArgument, path + " is too large to be a key file");
    }
  }
  secure_wipe(buf, sizeof buf);
  return text;
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status sync_dir(const std::string& path) {
  const std::string dir = dir_of(path);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(Errc::Io, "cannot open directory " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error(Errc::Io, "cannot sync directory " + dir);
  return {};
}

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

Status write_all(int fd, const std::string& text, const std::string& tmp) {
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(Errc::Io, "cannot write " + tmp);
    off += static_cast<size_t>(n);
  }
  return {};
}

// The keys of a file that exists, NotFound when it does not.
Result<std::optional<StaticKeys>> read_if_present(const std::string& path) {
  auto r = read_key_file(path);
  if (r) return std::optional<StaticKeys>{std::move(r).value()};
  if (r.error().code == Errc::NotFound) return std::optional<StaticKeys>{};
  return r.take_error();
}

Status remove_and_sync(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error(Errc::Io, "cannot remove " + path);
  return sync_dir(path);
}

}  // namespace

Result<StaticKeys> parse_key_file(std::string_view text) {
  std::optional<Bytes> keys[3];  // ENC, MAC, DEK
  static constexpr std::string_view kNames[3] = {"ENC", "MAC", "DEK"};
  auto wipe = [&keys] {
    for (auto& k : keys)
      if (k) secure_wipe(*k);
  };
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const auto nl = text.find('\n');
    const std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto split = split_line(l, line);
    if (!split) return wipe(), split.take_error();
    if (!*split) continue;
    const size_t slot = (*split)->keyword == "ENC" ? 0 : (*split)->keyword == "MAC" ? 1 : 2;
    if (keys[slot])
      return wipe(), make_error(Errc::InvalidArgument, line_error(line, "a second " + std::string(kNames[slot]) + " key"));
    auto k = parse_hex_key((*split)->hex, line);
    if (!k) return wipe(), k.take_error();
    keys[slot] = std::move(k).value();
  }
  for (size_t i = 0; i < 3; ++i)
    if (!keys[i]) return wipe(), make_error(Errc::InvalidArgument, "key file: no " + std::string(kNames[i]) + " key");
  if (keys[0]->size() != keys[1]->size() || keys[0]->size() != keys[2]->size())
    return wipe(), make_error(Errc::InvalidArgument, "key file: ENC, MAC and DEK must all be 16 or all be 32 bytes");
  return StaticKeys(std::move(*keys[0]), std::move(*keys[1]), std::move(*keys[2]));
}

std::string format_key_file(const StaticKeys& keys, std::string_view comment) {
  std::string out;
  // Every comment line starts with `#`, and none is empty: NXP's reader
  // refuses a file with a blank line (docs/scp03.md §10).
  while (!comment.empty()) {
    const auto nl = comment.find('\n');
    out += "# ";
    out += comment.substr(0, nl);
    out += '\n';
    comment = nl == std::string_view::npos ? std::string_view{} : comment.substr(nl + 1);
  }
  out += "ENC " + to_hex(keys.enc) + "\n";
  out += "MAC " + to_hex(keys.mac) + "\n";
  out += "DEK " + to_hex(keys.dek) + "\n";
  return out;
}

Result<StaticKeys> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::NotFound, "no key file " + path);
    if (errno == ELOOP) return make_error(Errc::InvalidArgument, path + " is a symbolic link, not a key file");
    return io_error(errno == EACCES ? Errc::AccessDenied : Errc::Io, "cannot open " + path);
  }
  struct stat st{};
  Status ok;
  if (::fstat(fd, &st) != 0) {
    ok = io_error(Errc::Io, "cannot stat " + path);
  } else if (!S_ISREG(st.st_mode)) {
    ok = make_error(Errc::InvalidArgument, path + " is not a regular file");
  } else if ((st.st_mode & 0066) != 0) {
    // The keys open the bus to whoever reads them (docs/scp03.md §10).
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    ok = make_error(Errc::AccessDenied, path + " has mode " + mode +
                                            ": group or others may read or write it (chmod 600 and check who read it)");
  } else if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    ok = make_error(Errc::AccessDenied, path + " belongs to uid " + std::to_string(st.st_uid) +
                                            ", neither root nor this user");
  }
  if (!ok) {
    ::close(fd);
    return ok.take_error();
  }
  auto text = read_fd(fd, path);
  ::close(fd);
  if (!text) return text.take_error();
  auto keys = parse_key_file(*text);
  secure_wipe(text->data(), text->size());
  if (!keys) return make_error(keys.error().code, path + ": " + keys.error().message);
  return keys;
}

Status write_key_file(const std::string& path, const StaticKeys& keys, std::string_view comment) {
  SX_TRY(keys.check());
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a killed writer with our pid
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(Errc::Io, "cannot create " + tmp);
  std::string text = format_key_file(keys, comment);
  Status st;
  // The umask cannot widen 0600, but an inherited ACL default could: set it.
  if (::fchmod(fd, 0600) != 0) st = io_error(Errc::Io, "cannot chmod " + tmp);
  if (st) st = write_all(fd, text, tmp);
  secure_wipe(text.data(), text.size());
  if (st && ::fsync(fd) != 0) st = io_error(Errc::Io, "cannot sync " + tmp);
  if (::close(fd) != 0 && st) st = io_error(Errc::Io, "cannot close " + tmp);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0) st = io_error(Errc::Io, "cannot rename " + tmp + " to " + path);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  return sync_dir(path);
}

Result<std::vector<KeyCandidate>> key_candidates(const std::string& path) {
  // An unreadable or malformed file of either name is an error rather than
  // skipped: the chip may hold exactly those keys.
  SX_ASSIGN(auto current, read_if_present(path));
  SX_ASSIGN(auto next, read_if_present(path + ".next"));
  std::vector<KeyCandidate> out;
  if (current) out.push_back(KeyCandidate{std::move(*current), path, false});
  if (next) out.push_back(KeyCandidate{std::move(*next), path + ".next", true});
  if (out.empty()) return make_error(Errc::NotFound, "no key file " + path + " (nor a pending " + path + ".next)");
  return out;
}

Status settle_key_file(const std::string& path, const KeyCandidate& used) {
  const std::string next = path + ".next", prev = path + ".prev";
  if (!used.pending) {
    // The current keys opened the channel: PUT KEY never took effect.
    if (!exists(next)) return {};
    return remove_and_sync(next);
  }
  // The chip holds the pending keys: make them the current file.
  SX_ASSIGN(auto current, read_if_present(path));
  if (current && *current == used.keys) {
    // Already promoted (a cut after the renames): only a stale .next remains.
    if (!exists(next)) return {};
    return remove_and_sync(next);
  }
  SX_ASSIGN(auto pending, read_if_present(next));
  // The keys that opened the channel are the ones to keep, whatever became
  // of the .next meanwhile.
  if (!pending || !(*pending == used.keys)) SX_TRY(write_key_file(next, used.keys, "PlatformSCP03 keys (se05x scp03 rotate)"));
  // The replaced keys are copied, not moved, so that the key file never
  // disappears under a reader (the broker may open the chip meanwhile).
  if (current) SX_TRY(write_key_file(prev, *current, "PlatformSCP03 keys replaced by se05x scp03 rotate"));
  if (::rename(next.c_str(), path.c_str()) != 0) return io_error(Errc::Io, "cannot rename " + next + " to " + path);
  return sync_dir(path);
}

}  // namespace sx::device
