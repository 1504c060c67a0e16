// Layer 3 of the device stack (device/stack.h): one lock on the chip for a
// multi-APDU sequence. A ChipLockChannel counts nesting, once for the whole
// stack: the outermost lock() takes the lock file (direct I2C links only,
// FileLock below; bounded wait) and then the link's own lock (a broker's
// JRCP LOCK); inner lock()s only count, so the token can hold the chip across
// a logical update while the SE05x client takes its own ChipLocks inside
// without releasing the broker early. The outermost unlock() releases both,
// the link first.
//
// Not thread-safe: the caller serialises (the module's chip mutex, the CLI).
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "base/result.h"
#include "link/apdu_channel.h"

namespace sx::device {

// ---- The lock file (the direct-I2C half of the chip lock) ----
//
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
// process would. Nesting is counted once, by ChipLockChannel below, which
// takes this lock for the outermost hold only.

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

// ---- The chip lock ----

struct LockSettings {
  std::string file;  // lock file; empty: none (a broker or JRCP server serialises its clients)
  std::chrono::milliseconds wait = kDefaultLockWait;
};

class ChipLockChannel : public link::ApduChannel {
 public:
  ChipLockChannel(link::ApduChannel& inner, LockSettings settings) : inner_(inner), s_(std::move(settings)) {}
  Result<Bytes> open() override { return inner_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override { return inner_.transceive(capdu); }
  Status close() override { return inner_.close(); }
  // File lock first: a process waiting for the file must not hold the broker.
  Status lock() override;
  Status unlock() override;
  std::string describe() const override { return inner_.describe(); }
  link::ApduChannel& inner() { return inner_; }

 private:
  link::ApduChannel& inner_;
  LockSettings s_;
  FileLock file_;
  unsigned depth_ = 0;
};

// Holds a channel's lock (ApduChannel::lock/unlock) for a scope. On a
// ChipLockChannel this is the chip lock above; on a bare link only the link's.
// Movable, so a hold is returned by value (no allocation per signature); a
// default-constructed ChipLock holds nothing (one APDU on a broker link).
class ChipLock {
 public:
  ChipLock() = default;
  explicit ChipLock(link::ApduChannel& ch) : ch_(&ch), status_(ch.lock()) {}
  ChipLock(ChipLock&& o) noexcept : ch_(std::exchange(o.ch_, nullptr)), status_(std::move(o.status_)) {}
  ~ChipLock() {
    if (ch_ != nullptr && status_.ok()) (void)ch_->unlock();
  }
  ChipLock(const ChipLock&) = delete;
  ChipLock& operator=(const ChipLock&) = delete;
  ChipLock& operator=(ChipLock&&) = delete;

  // The result of lock(); a sequence must not run when this failed.
  const Status& status() const { return status_; }

 private:
  link::ApduChannel* ch_ = nullptr;  // null: nothing held (default-constructed or moved from)
  Status status_;
};

}  // namespace sx::device
