#include "token/file_lock.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace sx::token {

namespace {

struct Held {
  int fd = -1;
  unsigned depth = 0;
};
// Locks this thread holds, by path.
thread_local std::map<std::string, Held> t_held;

}  // namespace

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (path_.empty()) return;
  auto it = t_held.find(path_);
  if (it != t_held.end() && --it->second.depth == 0) {
    ::close(it->second.fd);  // closing the only descriptor releases the flock
    t_held.erase(it);
  }
  path_.clear();
}

FileLock::FileLock(FileLock&& o) noexcept : path_(std::exchange(o.path_, std::string())) {}

FileLock& FileLock::operator=(FileLock&& o) noexcept {
  if (this != &o) {
    release();
    path_ = std::exchange(o.path_, std::string());
  }
  return *this;
}

Result<FileLock> FileLock::acquire(const std::string& path) {
  if (path.empty()) return FileLock();
  if (auto it = t_held.find(path); it != t_held.end()) {
    ++it->second.depth;
    return FileLock(path);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return FileLock();  // not creatable here: run without it (documented)
  for (;;) {
    if (::flock(fd, LOCK_EX) == 0) break;
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    return make_error(Errc::Io, "flock " + path + ": " + std::strerror(err));
  }
  t_held[path] = Held{fd, 1};
  return FileLock(path);
}

}  // namespace sx::token
