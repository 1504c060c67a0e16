// Host and Card wired together in-process: round trips, WTX, fault injection, chip resets.
#include <gtest/gtest.h>

#include <vector>

#include "t1/card.h"
#include "t1/host.h"

namespace sx::t1 {
namespace {

// The R-APDU the card computes for a C-APDU: length from the first two bytes, content from
// the whole command, so a wrong or mixed-up answer cannot go unnoticed.
Bytes response_for(ByteView c) {
  const size_t len = c.size() >= 2 ? get_u16(c) % 1201 : 3;
  uint32_t h = 2166136261u;
  for (uint8_t b : c) h = (h ^ b) * 16777619u;
  Bytes r(len);
  for (size_t i = 0; i < len; ++i) {
    h = h * 1103515245u + 12345u;
    r[i] = static_cast<uint8_t>(h >> 16);
  }
  r.push_back(0x90);
  r.push_back(0x00);
  return r;
}

Bytes command(size_t len, size_t resp_len, uint32_t salt) {
  Bytes c(len);
  for (size_t i = 0; i < len; ++i) c[i] = static_cast<uint8_t>(i * 31 + salt);
  if (len >= 2) {
    c[0] = static_cast<uint8_t>(resp_len >> 8);
    c[1] = static_cast<uint8_t>(resp_len);
  }
  return c;
}

struct Rig {
  std::vector<Bytes> seen;
  int resets = 0;
  Card card{[this](ByteView c) {
              seen.emplace_back(c.begin(), c.end());
              return response_for(c);
            },
            [this] { ++resets; }};
  Host host{card, HostTiming::immediate()};
};

TEST(HostCard, OpenReturnsAtr) {
  Rig rig;
  auto atr = rig.host.open();
  ASSERT_TRUE(atr.ok()) << atr.error().to_string();
  EXPECT_EQ(*atr, default_atr());
  EXPECT_TRUE(rig.host.close().ok());
}

TEST(HostCard, RoundTripsAllSizes) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  const size_t sizes[] = {0, 1, 2, 5, 253, 254, 255, 256, 507, 508, 509, 600, 763, 1000, 1200};
  uint32_t salt = 0;
  size_t n = 0;
  for (size_t cl : sizes) {
    for (size_t rl : sizes) {
      const Bytes c = command(cl, rl, ++salt);
      auto r = rig.host.transceive(c);
      ASSERT_TRUE(r.ok()) << cl << "/" << rl << ": " << r.error().to_string();
      ASSERT_EQ(*r, response_for(c)) << cl << "/" << rl;
      ASSERT_EQ(rig.seen.at(n), c);
      ++n;
    }
  }
  EXPECT_EQ(rig.seen.size(), n);
  EXPECT_EQ(rig.host.stats().retransmissions, 0u);
  EXPECT_TRUE(rig.host.close().ok());
}

TEST(HostCard, InterfaceResetOpenMode) {
  Rig rig;
  rig.host.set_open_mode(OpenMode::InterfaceReset);
  ASSERT_TRUE(rig.host.open().ok());
  const Bytes c = command(300, 300, 7);
  auto r = rig.host.transceive(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, response_for(c));
}

TEST(HostCard, Wtx) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  CardFaults f;
  f.wtx_count = 3;
  rig.card.set_faults(f);
  for (uint32_t i = 0; i < 4; ++i) {
    const Bytes c = command(100 + i * 200, 700 - i * 150, i);
    auto r = rig.host.transceive(c);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, response_for(c));
  }
  EXPECT_EQ(rig.host.stats().wtx_seen, 12u);
  EXPECT_EQ(rig.seen.size(), 4u);
}

TEST(HostCard, WtxBeyondLimitRecoversWithLinkReset) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  CardFaults f;
  f.wtx_count = rig.host.timing().wtx_limit + 5;
  rig.card.set_faults(f);
  auto r = rig.host.transceive(command(10, 10, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::LinkReset);
  EXPECT_FALSE(r.error().retry_safe);  // the command reached the card
  EXPECT_EQ(rig.host.stats().resets, 1u);
  rig.card.set_faults(CardFaults{});
  const Bytes c = command(10, 10, 2);
  auto r2 = rig.host.transceive(c);
  ASSERT_TRUE(r2.ok()) << r2.error().to_string();
  EXPECT_EQ(*r2, response_for(c));
}

TEST(HostCard, CorruptionAndNackBurstsOver1000Exchanges) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  CardFaults f;
  f.seed = 0xC0FFEE;
  f.corrupt_tx = 0.01;
  f.corrupt_rx = 0.01;
  f.nack_every = 7;
  f.nack_burst = 3;
  rig.card.set_faults(f);
  for (uint32_t i = 0; i < 1000; ++i) {
    const Bytes c = command((i * 37u) % 700u, (i * 53u) % 600u, i);
    auto r = rig.host.transceive(c);
    ASSERT_TRUE(r.ok()) << "exchange " << i << ": " << r.error().to_string();
    ASSERT_EQ(*r, response_for(c)) << "exchange " << i;
  }
  // Every command executed exactly once, in order, despite all retransmissions.
  ASSERT_EQ(rig.seen.size(), 1000u);
  for (uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(rig.seen[i], command((i * 37u) % 700u, (i * 53u) % 600u, i));
  const auto& s = rig.host.stats();
  EXPECT_GT(s.retransmissions, 0u);
  EXPECT_GT(s.crc_errors, 0u);
  EXPECT_GT(s.bus_nacks, 0u);
  EXPECT_EQ(s.resets, 0u);
  EXPECT_GT(rig.card.stats().crc_errors, 0u);
}

TEST(HostCard, ResetMidApduIsRetrySafeLinkReset) {
  for (uint8_t warmup = 0; warmup < 2; ++warmup) {  // host N(S) 0 and 1 at the chain start
    Rig rig;
    ASSERT_TRUE(rig.host.open().ok());
    for (uint8_t i = 0; i < warmup; ++i) ASSERT_TRUE(rig.host.transceive(command(4, 4, i)).ok());
    CardFaults f;
    f.reset_mid_apdu = true;
    rig.card.set_faults(f);
    const Bytes c = command(600, 40, 9);
    auto r = rig.host.transceive(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::LinkReset) << r.error().to_string();
    EXPECT_TRUE(r.error().retry_safe);
    EXPECT_EQ(rig.resets, 1);
    EXPECT_EQ(rig.seen.size(), warmup);  // the chain never reached the handler
    EXPECT_FALSE(rig.card.faults().reset_mid_apdu);
    // The layer above re-selects and resends.
    auto r2 = rig.host.transceive(c);
    ASSERT_TRUE(r2.ok()) << r2.error().to_string();
    EXPECT_EQ(*r2, response_for(c));
    EXPECT_EQ(rig.seen.back(), c);
  }
}

TEST(HostCard, ShortCommandsIgnoreResetMidApdu) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  CardFaults f;
  f.reset_mid_apdu = true;
  rig.card.set_faults(f);
  const Bytes c = command(200, 900, 3);  // one block out, chained answer
  auto r = rig.host.transceive(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, response_for(c));
  EXPECT_TRUE(rig.card.faults().reset_mid_apdu);  // still armed
}

TEST(HostCard, ChipResetThenContinue) {
  Rig rig;
  ASSERT_TRUE(rig.host.open().ok());
  ASSERT_TRUE(rig.host.transceive(command(5, 5, 1)).ok());
  ASSERT_TRUE(rig.host.chip_reset().ok());
  EXPECT_EQ(rig.resets, 1);
  const Bytes c = command(400, 400, 2);
  auto r = rig.host.transceive(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, response_for(c));
}

TEST(HostCard, MiddlewareTimingWithFakeSleep) {
  std::vector<Bytes> seen;
  Card card([&](ByteView c) { return response_for(c); });
  Micros total{0};
  Host host(card, HostTiming::middleware(), [&](Micros d) { total += d; });
  ASSERT_TRUE(host.open().ok());
  const Bytes c = command(300, 300, 4);
  auto r = host.transceive(c);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, response_for(c));
  EXPECT_GT(total.count(), 0);
}

}  // namespace
}  // namespace sx::t1
