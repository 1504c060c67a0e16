// Exclusive flock(2) on a lock file, for processes that drive the chip's I2C
// bus themselves (i2c:, and the simulator's vi2c:); a broker or JRCP server
// serialises its clients itself, so those links take no lock file.
//
// flock works on any descriptor, even a read-only one: whoever can open the
// file can stall every other user of the chip. So the file is only used when
// nobody else can open it (docs/pkcs11-module.md section 2, "Lock file"):
// opened without following a symlink, a regular file owned by root or by this
// process's user, no access for others (created 0660), in a directory others
// cannot write to (or one with the sticky bit, as /run/lock). Anything else is
// refused with an error naming the file. A path whose directory does not exist
// or that this user may not open is skipped (run without the lock), as before;
// the default directory /run/se05x-pkcs11 is created (0755) when missing.
//
// The wait is bounded: after `wait` the acquisition fails with Errc::Timeout.
//
// Not re-entrant: a second acquire of the same path waits like any other
// process would. Nesting is counted once, by the ChipLock layer above
// (device/chip_lock.h), which takes this lock for the outermost hold only.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"

namespace sx::device {

inline constexpr const char* kDefaultLockPath = "/run/se05x-pkcs11/chip.lock";
inline constexpr std::chrono::milliseconds kDefaultLockWait{30000};

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(FileLock&& o) noexcept;
  FileLock& operator=(FileLock&& o) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Waits up to `wait` until the lock is held (Errc::Timeout after that; a
  // refused file: Errc::Io). Empty or unusable path: returns an unheld lock.
  static Result<FileLock> acquire(const std::string& path, std::chrono::milliseconds wait = kDefaultLockWait);
  bool held() const { return fd_ >= 0; }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  void release();
  int fd_ = -1;  // holds the flock; -1 = not held
};

// Opens `path` for locking after the checks above: the descriptor (O_CLOEXEC),
// -1 when the path is unusable here (skip the lock), or an error for a file or
// directory that others could use against us. Shared with the CLI's "is it
// held?" probe, which must not open what the lock itself would refuse.
Result<int> open_lock_file(const std::string& path);

}  // namespace sx::device
