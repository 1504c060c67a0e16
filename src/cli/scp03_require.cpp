// `scp03 require`: SetPlatformSCPRequest(required) (docs/scp03.md §7), which
// the applet accepts only in a session of the reserved UserID 0x7FFF0207.
// When that UserID is missing we write it with a random value and wipe the
// value afterwards: nobody — not even this host — can open that session
// again, so nobody can set "not required" again. That is the intent: an
// attacker with the host's files must not be able to switch the channel off.
//
// Between writing the UserID and the end of the command the value sits in
// <key file>.require (0600, synced), so that a cut in between can be retried;
// it is overwritten and removed once the chip requires the channel.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/scp03_cmd.h"
#include "crypto/digest.h"
#include "se05x/client.h"

namespace sx::cli {

namespace scp = se05x::scp03;

namespace {

constexpr uint32_t kPlatformScpUserId = 0x7FFF0207;  // docs/scp03.md §7
constexpr size_t kUserIdSize = 16;

Error io_error(const std::string& what) { return make_error(Errc::Io, what + ": " + std::strerror(errno)); }

Status sync_dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status{} : io_error("cannot sync " + dir);
}

// The UserID's value until the chip requires the channel: 0600, written
// whole or not at all (temp file, fsync, rename, directory fsync).
Status write_value(const std::string& path, ByteView value) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create " + tmp);
  std::string text = to_hex(value) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  secure_wipe(text.data(), text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return io_error("cannot write " + path);
  }
  return sync_dir_of(path);
}

// nullopt when there is no such file.
Result<std::optional<Bytes>> read_value(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::optional<Bytes>{};
  if (fd < 0) return io_error("cannot open " + path);
  char buf[80] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  secure_wipe(buf, sizeof buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto v = from_hex(text);
  secure_wipe(text.data(), text.size());
  if (!v || v->size() != kUserIdSize) return make_error(Errc::InvalidArgument, path + " does not hold a UserID value");
  return std::optional<Bytes>{std::move(*v)};
}

// Overwritten before removal: the value must not survive in the file system.
void wipe_value(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    const std::string zeros(2 * kUserIdSize + 1, '0');
    (void)!::write(fd, zeros.data(), zeros.size());
    (void)::fsync(fd);
    ::close(fd);
  }
  ::unlink(path.c_str());
  (void)sync_dir_of(path);
}

std::optional<int> confirm(Ctx& ctx, const Scp03Opts& o) {
  const std::string what =
      "makes the chip refuse every APDU that does not come through a PlatformSCP03 channel, for good: switching it "
      "back needs a session of UserID 0x7FFF0207, whose value this command does not keep; every program must then "
      "have the key file (the module and se05xd with scp03 = required), and losing the keys makes the chip unusable";
  if (o.yes) return std::nullopt;
  if (!::isatty(STDIN_FILENO) || ctx.json()) return ctx.fail(Exit::Declined, "refusing without --yes: this " + what);
  std::cerr << "This " << what << ". Continue? [y/N] " << std::flush;
  std::string a;
  if (!std::getline(std::cin, a) || !(a == "y" || a == "Y" || a == "yes")) return ctx.fail(Exit::Declined, "not changed");
  return std::nullopt;
}

// The UserID's value: a new random one written to the chip, or the one of an
// interrupted earlier run.
Result<Bytes> user_id_value(se05x::Client& c, const std::string& journal, bool& written) {
  SX_ASSIGN(bool exists, c.check_object_exists(kPlatformScpUserId));
  SX_ASSIGN(auto kept, read_value(journal));
  if (exists && kept) return std::move(*kept);
  if (exists)
    return make_error(Errc::Exists, "UserID 0x7FFF0207 already exists on the chip with a value this host does not "
                                    "know (written by another tool): its owner must send SetPlatformSCPRequest");
  Bytes v(kUserIdSize);
  if (!crypto::random_bytes(v.data(), v.size())) return make_error(Errc::Crypto, "no random UserID value");
  SX_TRY(write_value(journal, v));
  kill_point("userid-journal");
  SX_TRY(c.write_user_id(kPlatformScpUserId, v));
  written = true;
  kill_point("userid-written");
  return v;
}

// SetPlatformSCPRequest(required) inside the UserID's session.
Status set_required(se05x::Client& c, ByteView value) {
  SX_ASSIGN(se05x::SessionId sid, c.create_session(kPlatformScpUserId));
  Status st = c.verify_session_user_id(sid, value);
  if (st) st = c.set_platform_scp_required(sid, true);
  kill_point("required");
  const Status closed = c.close_session(sid);
  if (!st) return st;
  return closed;
}

}  // namespace

int run_scp03_require(Ctx& ctx, const Scp03Opts& o) {
  if (auto rc = confirm(ctx, o)) return *rc;
  RawChip chip;
  if (auto rc = open_raw_chip(ctx, chip)) return *rc;
  ScpLink link(*chip.link);
  std::optional<FoundKeys> found;
  if (auto rc = find_keys(ctx, chip, link, se05x::kAppletAid, o, found)) return *rc;
  if (!found->source.file)
    ctx.note("warning: the chip holds NXP's published " + found->source.variant +
             " keys: anyone can still open the channel; run `se05x scp03 rotate` next");
  se05x::Client client(link);  // every command through the channel
  const std::string journal = scp03_key_file_path(o.key_file) + ".require";
  bool written = false;
  auto value = user_id_value(client, journal, written);
  if (!value) return ctx.fail(value.error(), "preparing UserID 0x7FFF0207");
  Status st = set_required(client, *value);
  secure_wipe(*value);
  if (!st) return ctx.fail(st.error(), "requiring PlatformSCP03" + std::string(written ? " (UserID 0x7FFF0207 written; "
                                                                                        "run the command again)" : ""));
  wipe_value(journal);
  // Proof: a plain command is refused now.
  auto sel = link.select_applet();
  auto plain = sel ? link.plain(Bytes{0x80, 0x04, 0x00, 0x20, 0x00}) : Result<Bytes>(sel.take_error());
  const bool refused = plain && sw_of(*plain) == scp::kSwSecurityStatus;
  if (!refused) return ctx.fail(Exit::Error, "the chip accepted SetPlatformSCPRequest but still answers plain APDUs");
  return ctx.done({{"required", true}, {"user_id_written", written}, {"keys", found->source.describe()}},
                  "PlatformSCP03 is now required: the chip refuses plain APDUs (checked).\n"
                  "Configure the module and se05xd with scp03 = required and the key file " +
                      scp03_key_file_path(o.key_file) + "; keep that file: without it the chip is unusable.");
}

}  // namespace sx::cli
