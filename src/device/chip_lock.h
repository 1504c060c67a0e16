// Layer 3 of the device stack (device/stack.h): one lock on the chip for a
// multi-APDU sequence. A ChipLockChannel counts nesting, once for the whole
// stack: the outermost lock() takes the lock file (direct I2C links only,
// device/file_lock.h; bounded wait) and then the link's own lock (a broker's
// JRCP LOCK); inner lock()s only count, so the token can hold the chip across
// a logical update while the SE05x client takes its own ChipLocks inside
// without releasing the broker early. The outermost unlock() releases both,
// the link first.
//
// Not thread-safe: the caller serialises (the module's chip mutex, the CLI).
#pragma once

#include <chrono>
#include <string>

#include "device/file_lock.h"
#include "link/apdu_channel.h"

namespace sx::device {

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
class ChipLock {
 public:
  explicit ChipLock(link::ApduChannel& ch) : ch_(ch), status_(ch.lock()) {}
  ~ChipLock() {
    if (status_.ok()) (void)ch_.unlock();
  }
  ChipLock(const ChipLock&) = delete;
  ChipLock& operator=(const ChipLock&) = delete;

  // The result of lock(); a sequence must not run when this failed.
  const Status& status() const { return status_; }

 private:
  link::ApduChannel& ch_;
  Status status_;
};

}  // namespace sx::device
