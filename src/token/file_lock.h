// Exclusive flock(2) on a lock file, for processes that drive the chip
// directly over i2c-dev (no broker to serialise them). A path that cannot be
// opened or created (read-only /run, missing directory) means "no lock file":
// the lock is skipped, not an error.
//
// Re-entrant per thread: a thread that already holds the path only counts
// (flock on a second descriptor of the same file would block on itself);
// other threads and processes wait. Release on the acquiring thread.
#pragma once

#include <string>

#include "base/result.h"

namespace sx::token {

inline constexpr const char* kDefaultLockPath = "/run/lock/se05x-pkcs11.lock";

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Blocks until the lock is held. Empty or unusable path: returns an unheld lock.
  static Result<FileLock> acquire(const std::string& path);
  bool held() const { return !path_.empty(); }

 private:
  explicit FileLock(std::string path) : path_(std::move(path)) {}
  void release();
  std::string path_;  // empty = not held
};

}  // namespace sx::token
