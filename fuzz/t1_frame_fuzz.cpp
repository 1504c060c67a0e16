// libFuzzer target for the T=1oI2C layer: frame decoding, ATR parsing, and arbitrary bytes
// served as "chip responses" to the host state machine (which must end every exchange in a
// result or a typed error without crashing, hanging or over-reading).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "link/i2c_bus.h"
#include "t1/atr.h"
#include "t1/card.h"
#include "t1/frame.h"
#include "t1/host.h"

namespace {

// Serves the fuzz input as the slave's output, read by read; NACKs once it is used up.
class FuzzBus : public sx::link::I2cBus {
 public:
  explicit FuzzBus(sx::ByteView data) : data_(data) {}
  sx::Status write(std::span<const uint8_t> d) override {
    if (d.empty()) return sx::make_error(sx::Errc::Io, "empty write");
    return {};
  }
  sx::Status read(std::span<uint8_t> out) override {
    if (pos_ >= data_.size()) return sx::make_error(sx::Errc::Nack, "no data");
    // The first byte of each read decides NACK vs data, so NACK patterns are fuzzed too.
    if ((data_[pos_] & 0xF0) == 0xF0) {
      ++pos_;
      return sx::make_error(sx::Errc::Nack, "fuzzed NACK");
    }
    const size_t n = std::min(out.size(), data_.size() - pos_);
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(pos_), n, out.begin());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), uint8_t{0});
    pos_ += n;
    return {};
  }
  std::string describe() const override { return "fuzz bus"; }

 private:
  sx::ByteView data_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sx::ByteView in(data, size);

  // 1. Frame decoding, both directions.
  (void)sx::t1::decode(in, sx::t1::Direction::CardToHost);
  (void)sx::t1::decode(in, sx::t1::Direction::HostToCard);

  // 2. ATR parsing.
  (void)sx::t1::parse_atr(in);

  // 3. The input as the card side of a whole session.
  if (size > 0) {
    const uint8_t mode = in[0];
    FuzzBus bus(in.subspan(1));
    sx::t1::HostTiming t = sx::t1::HostTiming::immediate();
    t.max_header_polls = 4;
    t.wtx_limit = 20;
    sx::t1::Host host(bus, t, [](sx::t1::Micros) {});
    if (mode & 1) host.set_open_mode(sx::t1::OpenMode::InterfaceReset);
    if (host.open().ok()) {
      sx::Bytes apdu((mode & 2) ? 300 : 5, 0x80);
      (void)host.transceive(apdu);
      (void)host.transceive(sx::Bytes{0x80, 0x04, 0x00, 0x20, 0x00});
      if (mode & 4) (void)host.chip_reset();
      (void)host.close();
    }
  }

  // 4. The input as frames written to the card side.
  if (size > 0) {
    sx::t1::Card card([](sx::ByteView c) { return sx::Bytes(c.begin(), c.end()); });
    size_t pos = 0;
    while (pos < size) {
      const size_t n = std::min<size_t>(in[pos] % 64 + 1, size - pos);
      (void)card.write(in.subspan(pos, n));
      uint8_t buf[260];
      (void)card.read(std::span<uint8_t>(buf, (in[pos] >> 6) == 0 ? 260 : 2));
      pos += n;
    }
  }
  return 0;
}
