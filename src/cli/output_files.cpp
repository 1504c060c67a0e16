#include "cli/output_files.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace sx::cli {
namespace {

Error io_error(const std::string& what) { return Error{Errc::Io, what + ": " + std::strerror(errno)}; }

std::optional<uint32_t> number(const std::string& s) {
  uint32_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Directories made by this call, removed again (deepest first) on failure.
struct MadeDirs {
  std::vector<std::string> dirs;
  bool keep = false;
  ~MadeDirs() {
    if (keep) return;
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());
  }
};

Status make_dirs(const std::string& path, MadeDirs& made) {
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    struct stat st{};
    if (::stat(cur.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return make_error(Errc::InvalidArgument, cur + " exists and is not a directory");
      continue;
    }
    if (::mkdir(cur.c_str(), 0755) != 0) return io_error("cannot create " + cur);
    made.dirs.push_back(cur);
  }
  return {};
}

// Temporary files not yet renamed are removed on failure.
struct Pending {
  std::vector<std::pair<std::string, std::string>> tmp_final;
  bool done = false;
  ~Pending() {
    if (done) return;
    for (const auto& [tmp, fin] : tmp_final) ::unlink(tmp.c_str());
  }
};

Status write_one(const std::string& tmp, const GgFile& f, const WriteOptions& opt) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f.mode);
  if (fd < 0) return io_error("cannot create " + tmp);
  Status st;
  // The umask may have narrowed the mode; a PIN file is never wider than asked.
  if (::fchmod(fd, f.mode) != 0) st = io_error("chmod " + tmp);
  size_t off = 0;
  while (st && off < f.text.size()) {
    const ssize_t n = ::write(fd, f.text.data() + off, f.text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) st = io_error("cannot write " + tmp);
    else off += static_cast<size_t>(n);
  }
  if (st && opt.owner && f.service_reads && ::fchown(fd, opt.owner->uid, opt.owner->gid) != 0)
    st = io_error("cannot hand " + tmp + " to the service user");
  if (st && ::fsync(fd) != 0) st = io_error("cannot sync " + tmp);
  ::close(fd);
  return st;
}

}  // namespace

Result<FileOwner> parse_owner(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string user = spec.substr(0, colon);
  const std::string group = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (user.empty()) return make_error(Errc::InvalidArgument, "--owner needs USER[:GROUP]");
  FileOwner o{};
  if (auto n = number(user)) {
    o.uid = *n;
    o.gid = *n;
  } else {
    passwd pw{}, *res = nullptr;
    char buf[4096];
    if (::getpwnam_r(user.c_str(), &pw, buf, sizeof buf, &res) != 0 || res == nullptr)
      return make_error(Errc::InvalidArgument, "--owner: no user '" + user + "' on this system");
    o.uid = pw.pw_uid;
    o.gid = pw.pw_gid;
  }
  if (!group.empty()) {
    if (auto n = number(group)) {
      o.gid = *n;
    } else {
      struct group gr{}, *res = nullptr;
      char buf[4096];
      if (::getgrnam_r(group.c_str(), &gr, buf, sizeof buf, &res) != 0 || res == nullptr)
        return make_error(Errc::InvalidArgument, "--owner: no group '" + group + "' on this system");
      o.gid = gr.gr_gid;
    }
  }
  return o;
}

Result<std::vector<std::string>> write_files(const std::string& dir, const std::vector<GgFile>& files,
                                             const WriteOptions& opt) {
  if (dir.empty() || dir.front() != '/') return make_error(Errc::InvalidArgument, "output directory must be absolute");
  // Every refusal comes before the first byte is written.
  if (!opt.replace) {
    for (const auto& f : files) {
      const std::string path = dir + "/" + f.name;
      struct stat st{};
      if (::lstat(path.c_str(), &st) == 0)
        return make_error(Errc::Exists, path + " exists (--force replaces it)");
    }
  }
  MadeDirs made;
  Pending pending;
  const std::string suffix = ".tmp-se05x-" + std::to_string(::getpid());
  for (const auto& f : files) {
    const std::string path = dir + "/" + f.name;
    SX_TRY(make_dirs(path.substr(0, path.rfind('/')), made));
    const std::string tmp = path + suffix;
    SX_TRY(write_one(tmp, f, opt));
    pending.tmp_final.emplace_back(tmp, path);
  }
  std::vector<std::string> written;
  for (const auto& [tmp, fin] : pending.tmp_final) {
    if (::rename(tmp.c_str(), fin.c_str()) != 0) return io_error("cannot rename " + tmp + " to " + fin);
    written.push_back(fin);
  }
  pending.done = true;
  made.keep = true;
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return written;
}

}  // namespace sx::cli
