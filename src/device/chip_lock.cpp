#include "device/chip_lock.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sx::device {

namespace {

Error refused(const std::string& path, const std::string& why) {
  return make_error(Errc::Io, "chip lock file " + path + ": " + why + "; refusing to use it");
}

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool ours(uid_t uid) { return uid == 0 || uid == ::geteuid(); }

}  // namespace

Result<int> open_lock_file(const std::string& path) {
  const std::string dir = parent_of(path);
  struct stat ds {};
  if (::stat(dir.c_str(), &ds) != 0) {
    // The default directory is ours to make (only root can, under /run).
    if (errno != ENOENT || path != kDefaultLockPath || ::mkdir(dir.c_str(), 0755) != 0 || ::stat(dir.c_str(), &ds) != 0)
      return -1;  // no such directory here: run without the lock (documented)
  }
  if (!S_ISDIR(ds.st_mode)) return -1;
  // Whoever may rename entries in the directory can swap the file under us.
  if ((ds.st_mode & S_IWOTH) && !(ds.st_mode & S_ISVTX))
    return refused(path, "its directory " + dir + " is writable by everyone (and not sticky)");
  if (!ours(ds.st_uid))
    return refused(path, "its directory " + dir + " is owned by uid " + std::to_string(ds.st_uid) +
                             " (must be root or this user)");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0660);
  // A lock shared with a group (0640/0660 root:se05x) may be readable only: flock needs no more.
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) return refused(path, "it is a symbolic link");
    if (err == EISDIR) return refused(path, "it is a directory");
    return -1;  // not creatable or not readable here (read-only /run, no permission): run without it
  }
  struct stat st {};
  std::string why;
  if (::fstat(fd, &st) != 0) why = std::string("fstat: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "it is not a regular file";
  else if (!ours(st.st_uid))
    why = "it is owned by uid " + std::to_string(st.st_uid) + " (must be root or this user); remove it";
  else if (st.st_mode & S_IRWXO) {
    // flock needs only a read-only descriptor: any local user could hold it.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    why = std::string("others may open it (mode ") + mode + "); remove it or chmod o-rwx";
  }
  if (!why.empty()) {
    ::close(fd);
    return refused(path, why);
  }
  return fd;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (fd_ < 0) return;
  ::close(fd_);  // closing the only descriptor releases the flock
  fd_ = -1;
}

FileLock::FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Result<FileLock> FileLock::acquire(const std::string& path, std::chrono::milliseconds wait) {
  using clock = std::chrono::steady_clock;
  if (path.empty()) return FileLock();
  SX_ASSIGN(const int fd, open_lock_file(path));
  if (fd < 0) return FileLock();
  // flock has no timeout: poll without blocking, backing off to 20 ms.
  const auto deadline = clock::now() + wait;
  std::chrono::milliseconds pause{1};
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return make_error(Errc::Io, "flock " + path + ": " + std::strerror(err));
    }
    const auto now = clock::now();
    if (now >= deadline) {
      ::close(fd);
      return make_error(Errc::Timeout, "another process has held the chip lock file " + path + " for longer than " +
                                           std::to_string(wait.count()) + " ms; gave up");
    }
    std::this_thread::sleep_for(std::min<clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds{20});
  }
  return FileLock(fd);
}


// ---- ChipLockChannel ----

Status ChipLockChannel::lock() {
  if (depth_ == 0) {
    SX_ASSIGN(FileLock f, FileLock::acquire(s_.file, s_.wait));
    SX_TRY(inner_.lock());  // on failure `f` goes out of scope: the file is released
    file_ = std::move(f);
  }
  ++depth_;
  return {};
}

Status ChipLockChannel::unlock() {
  if (depth_ == 0) return make_error(Errc::Internal, "unlock without lock");
  if (--depth_ > 0) return {};
  Status s = inner_.unlock();
  file_ = FileLock();
  return s;
}

}  // namespace sx::device
