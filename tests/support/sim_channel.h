// An ApduChannel straight into an in-process Simulator (no T=1, no socket):
// the cheapest way for token-level tests to drive the full applet.
#pragma once

#include "link/apdu_channel.h"
#include "sim/simulator.h"

namespace sx::testing {

class SimChannel : public link::ApduChannel {
 public:
  explicit SimChannel(sim::Simulator& sim) : sim_(sim) {}
  Result<Bytes> open() override { return sim_.atr(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    Bytes r = sim_.process(capdu);
    if (r.empty()) return make_error(Errc::Timeout, "simulator gave no answer (powered off)");
    return r;
  }
  Status close() override { return {}; }
  std::string describe() const override { return "in-process simulator"; }

 private:
  sim::Simulator& sim_;
};

}  // namespace sx::testing
