// Holds the chip (ApduChannel::lock/unlock) for a multi-APDU sequence so a
// broker does not interleave another client's APDUs.
#pragma once

#include "link/apdu_channel.h"

namespace sx::se05x {

class ChannelLock {
 public:
  explicit ChannelLock(link::ApduChannel& ch) : ch_(ch), status_(ch.lock()) {}
  ~ChannelLock() {
    if (status_.ok()) (void)ch_.unlock();
  }
  ChannelLock(const ChannelLock&) = delete;
  ChannelLock& operator=(const ChannelLock&) = delete;

  // The result of lock(); a sequence must not run when this failed.
  const Status& status() const { return status_; }

 private:
  link::ApduChannel& ch_;
  Status status_;
};

}  // namespace sx::se05x
