// One in-process simulated SE050C per test process, with the keys the
// mechanism tests use, made lazily on first use: EC P-256/P-384/P-521
// generated on the chip, and tests/support's RSA-2048 test key imported
// (generation is the slow part and ctest runs every TEST in its own process).
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "se05x/client.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"
#include "token/mech/key_ref.h"

namespace sx::token::test {

inline constexpr uint32_t kP256 = 0x20000256, kP384 = 0x20000384, kP521 = 0x20000521, kRsa = 0x20002048;

class Chip {
 public:
  static Chip& get() {
    static Chip* c = new Chip();  // never destroyed: lives for the whole test process
    return *c;
  }
  se05x::Client& client() { return *client_; }
  sim::Simulator& sim() { return *sim_; }

  // EC key of the given curve (generated on first use).
  const KeyRef& ec(se05x::Curve curve);
  const KeyRef& rsa();

 private:
  Chip();
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<sx::testing::SimChannel> ch_;
  std::unique_ptr<se05x::Client> client_;
  std::unique_ptr<KeyRef> p256_, p384_, p521_, rsa_;
};

}  // namespace sx::token::test
