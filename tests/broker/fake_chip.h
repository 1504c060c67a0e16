// A scripted chip behind the broker's Chip backend: answers SELECT, session
// create/close and echo APDUs, can be made to fail, and counts link opens.
#pragma once

#include <chrono>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "broker/chip.h"
#include "link/apdu_channel.h"

namespace sx::broker::testing {

struct FakeChipState {
  std::vector<Bytes> sent;        // every C-APDU, across re-opens
  int opens = 0;
  int closes = 0;
  bool refuse_open = false;       // the factory fails (chip unreachable)
  int fail_next = 0;              // the next N transceives fail with Errc::Io
  int reset_next = 0;             // the next N transceives report LinkReset
  bool reset_retry_safe = true;
  uint8_t next_session = 1;
  int open_attempts = 0;
  int open_delay_ms = 0;          // a slow failing open (T=1 polling a silent chip)
};

class FakeChipChannel : public link::ApduChannel {
 public:
  explicit FakeChipChannel(std::shared_ptr<FakeChipState> s) : s_(std::move(s)) {}
  Result<Bytes> open() override { return hex("3B00"); }
  Result<Bytes> transceive(std::span<const uint8_t> c) override {
    s_->sent.emplace_back(c.begin(), c.end());
    if (s_->fail_next > 0) {
      --s_->fail_next;
      return make_error(Errc::Io, "fake: i2c write failed");
    }
    if (s_->reset_next > 0) {
      --s_->reset_next;
      Error e = make_error(Errc::LinkReset, "fake: interface reset");
      e.retry_safe = s_->reset_retry_safe;
      return e;
    }
    if (c.size() >= 4 && c[0] == 0x00 && c[1] == 0xA4) return hex("030100003F 9000");
    if (c.size() >= 4 && c[0] == 0x80 && c[1] == 0x04 && c[3] == 0x1B) {
      Bytes r = hex("4108 00000000000000");
      r.push_back(s_->next_session++);
      append(r, hex("9000"));
      return r;
    }
    if (c.size() >= 4 && c[0] == 0x80 && c[1] == 0x05) return hex("9000");
    Bytes r(c.begin(), c.end());
    append(r, hex("9000"));
    return r;
  }
  Status close() override {
    ++s_->closes;
    return {};
  }
  std::string describe() const override { return "fake-chip"; }

 private:
  std::shared_ptr<FakeChipState> s_;
};

inline ChannelFactory fake_factory(std::shared_ptr<FakeChipState> s) {
  return [s]() -> Result<OpenedChannel> {
    ++s->open_attempts;
    if (s->open_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(s->open_delay_ms));
    if (s->refuse_open) return make_error(Errc::Io, "fake: /dev/i2c-1: no such device");
    ++s->opens;
    return OpenedChannel{std::make_unique<FakeChipChannel>(s), hex("3B00")};
  };
}

}  // namespace sx::broker::testing
