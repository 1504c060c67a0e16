// An I2C slave for tests: records writes, answers reads from a queue and
// NACKs reads while the queue is empty (like a busy SE050).
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "base/bytes.h"
#include "link/i2c_bus.h"

namespace sx::link::test {

class FakeBus : public I2cBus {
 public:
  Status write(std::span<const uint8_t> data) override {
    std::lock_guard<std::mutex> g(mu_);
    if (!data.empty() && data[0] == 0xEE) return make_error(Errc::Io, "fake bus: broken write");
    if (nack_writes_) return make_error(Errc::Nack, "fake bus: busy");
    writes_.emplace_back(data.begin(), data.end());
    return {};
  }
  Status read(std::span<uint8_t> out) override {
    std::lock_guard<std::mutex> g(mu_);
    if (replies_.empty()) return make_error(Errc::Nack, "fake bus: nothing to send");
    Bytes r = std::move(replies_.front());
    replies_.pop_front();
    for (size_t i = 0; i < out.size(); ++i) out[i] = i < r.size() ? r[i] : 0xFF;
    return {};
  }
  std::string describe() const override { return "fake"; }

  void queue_reply(Bytes b) {
    std::lock_guard<std::mutex> g(mu_);
    replies_.push_back(std::move(b));
  }
  void set_nack_writes(bool on) {
    std::lock_guard<std::mutex> g(mu_);
    nack_writes_ = on;
  }
  std::vector<Bytes> writes() {
    std::lock_guard<std::mutex> g(mu_);
    return writes_;
  }

 private:
  std::mutex mu_;
  std::deque<Bytes> replies_;
  std::vector<Bytes> writes_;
  bool nack_writes_ = false;
};

}  // namespace sx::link::test
