// An ApduChannel pass-through whose lock()/unlock() nest: only the outermost
// pair reaches the underlying channel. The token holds the chip across a whole
// logical update while the se05x::Client takes its own ChannelLocks inside;
// without counting, the inner unlock would release a broker lock early.
#pragma once

#include "link/apdu_channel.h"

namespace sx::token {

class NestingLockChannel : public link::ApduChannel {
 public:
  explicit NestingLockChannel(link::ApduChannel& inner) : inner_(inner) {}
  Result<Bytes> open() override { return inner_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override { return inner_.transceive(capdu); }
  Status close() override { return inner_.close(); }
  Status lock() override {
    if (depth_ == 0) SX_TRY(inner_.lock());
    ++depth_;
    return {};
  }
  Status unlock() override {
    if (depth_ == 0) return make_error(Errc::Internal, "unlock without lock");
    if (--depth_ == 0) return inner_.unlock();
    return {};
  }
  std::string describe() const override { return inner_.describe(); }
  link::ApduChannel& inner() { return inner_; }

 private:
  link::ApduChannel& inner_;
  unsigned depth_ = 0;
};

}  // namespace sx::token
