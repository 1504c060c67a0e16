// Test doubles for the host side: an I2C slave whose answers are computed per written frame.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "link/i2c_bus.h"
#include "t1/frame.h"

namespace sx::t1::test {

inline Bytes wire(const Frame& f) { return encode(f).value(); }
inline Bytes wire(uint8_t nad, uint8_t pcb, ByteView inf = {}) { return wire(Frame{nad, pcb, Bytes(inf.begin(), inf.end())}); }

// Every write is recorded; `respond` decides what the slave will clock out next (nullopt:
// nothing, reads NACK). Reads past the queued bytes NACK; a read straddling the end is
// padded with 0xFF.
class FakeBus : public link::I2cBus {
 public:
  using Responder = std::function<std::optional<Bytes>(ByteView written, size_t index)>;
  explicit FakeBus(Responder r) : respond_(std::move(r)) {}

  Status write(std::span<const uint8_t> d) override {
    writes.emplace_back(d.begin(), d.end());
    auto r = respond_(d, writes.size() - 1);
    out_ = r.value_or(Bytes{});
    pos_ = 0;
    return {};
  }
  Status read(std::span<uint8_t> out) override {
    read_sizes.push_back(out.size());
    if (pos_ >= out_.size()) {
      ++nacks;
      return make_error(Errc::Nack, "fake: nothing to send");
    }
    const size_t n = std::min(out.size(), out_.size() - pos_);
    std::copy_n(out_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), uint8_t{0xFF});
    pos_ += n;
    return {};
  }
  std::string describe() const override { return "fake bus"; }

  std::vector<Bytes> writes;
  std::vector<size_t> read_sizes;
  size_t nacks = 0;

 private:
  Responder respond_;
  Bytes out_;
  size_t pos_ = 0;
};

// A fixed list of (expected host frame, SE answer) pairs, checked in order.
struct ScriptStep {
  Bytes expect;
  Bytes answer;
};

inline FakeBus::Responder script(std::vector<ScriptStep> steps) {
  return [steps = std::move(steps)](ByteView w, size_t i) -> std::optional<Bytes> {
    if (i >= steps.size()) {
      ADD_FAILURE() << "unexpected extra write " << to_hex(w, true);
      return std::nullopt;
    }
    EXPECT_EQ(to_hex(w, true), to_hex(steps[i].expect, true)) << "write #" << i;
    return steps[i].answer;
  };
}

}  // namespace sx::t1::test
