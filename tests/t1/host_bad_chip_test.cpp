// A misbehaving SE: every malformed answer ends in a typed error within the retry limits,
// never a hang, crash or over-read (the suite also runs under ASan/UBSan).
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "fake_bus.h"
#include "t1/atr.h"
#include "t1/host.h"

namespace sx::t1 {
namespace {

using test::FakeBus;
using test::wire;

// Answers the S-blocks of open/recovery/close correctly (unless `bad_recovery`), and every
// I- or R-block with `bad`.
FakeBus::Responder bad_chip(std::function<std::optional<Bytes>()> bad, bool bad_recovery) {
  return [bad = std::move(bad), bad_recovery](ByteView w, size_t) -> std::optional<Bytes> {
    const uint8_t pcb = w.size() > 1 ? w[1] : 0;
    if (pcb == 0xC0) return wire(0xA5, 0xE0);
    if (pcb == 0xC7) return wire(0xA5, 0xE7, default_atr());
    if (pcb == 0xC5) return wire(0xA5, 0xE5);
    if (pcb == 0xCF) return bad_recovery ? bad() : wire(0xA5, 0xEF, default_atr());
    return bad();
  };
}

struct Case {
  const char* name;
  std::function<std::optional<Bytes>()> bad;
};

std::vector<Case> cases() {
  return {
      {"wrong LEN", [] { return hex("A5 00 09 90 00 12 34"); }},
      {"bad CRC", [] {
         Bytes b = wire(0xA5, 0x00, hex("90 00"));
         b.back() ^= 0xFF;
         return b;
       }},
      {"truncated", [] { return hex("A5 00"); }},
      {"header only", [] { return hex("A5 00 05"); }},
      {"unexpected PCB (invalid)", [] { return wire(0xA5, 0x1F, hex("90 00")); }},
      {"unexpected S request", [] { return wire(0xA5, 0xC1, hex("FE")); }},
      {"unexpected S response", [] { return wire(0xA5, 0xE5); }},
      {"wrong NAD", [] { return wire(0x5A, 0x00, hex("90 00")); }},
      {"NAD 00 with I-block", [] { return wire(0x00, 0x00, hex("90 00")); }},
      {"oversize LEN 255 short data", [] { return hex("A5 00 FF 01 02 03 04"); }},
      {"wrong sequence number", [] { return wire(0xA5, 0x40, hex("90 00")); }},
      {"R(NACK) forever", [] { return wire(0xA5, 0x82); }},
      {"R(ACK) forever", [] { return wire(0xA5, 0x90); }},
      {"WTX forever", [] { return hex("A5 C3 01 01 1B DD"); }},
      {"silence", [] { return std::optional<Bytes>{}; }},
      {"junk bytes", [] { return Bytes(300, 0x33); }},
  };
}

TEST(HostBadChip, RecoveredByInterfaceReset) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    FakeBus bus(bad_chip(c.bad, false));
    Host host(bus, HostTiming::immediate());
    ASSERT_TRUE(host.open().ok());
    for (size_t len : {5u, 600u}) {
      SCOPED_TRACE(len);
      const size_t before = bus.writes.size();
      auto r = host.transceive(Bytes(len, 0x42));
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, Errc::LinkReset) << r.error().to_string();
      // A 600-byte command never gets past its first block, so it cannot have run.
      EXPECT_EQ(r.error().retry_safe, len == 600u) << r.error().to_string();
      EXPECT_LT(bus.writes.size() - before, 700u);
      EXPECT_EQ(bus.writes.back(), hex("5A CF 00 37 7F"));
    }
    EXPECT_EQ(host.stats().resets, 2u);
  }
}

TEST(HostBadChip, BrokenForeverGivesTypedError) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    FakeBus bus(bad_chip(c.bad, true));
    Host host(bus, HostTiming::immediate());
    ASSERT_TRUE(host.open().ok());
    auto r = host.transceive(hex("80 04 00 20 00"));
    ASSERT_FALSE(r.ok());
    const Errc e = r.error().code;
    EXPECT_TRUE(e == Errc::Protocol || e == Errc::Timeout) << r.error().to_string();
    // The next call first retries the recovery and fails the same way.
    auto r2 = host.transceive(hex("80 04 00 20 00"));
    ASSERT_FALSE(r2.ok());
    EXPECT_NE(r2.error().code, Errc::LinkReset);
    EXPECT_LT(bus.writes.size(), 2000u);
  }
}

TEST(HostBadChip, OpenFailsOnBadAnswers) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    FakeBus bus([&](ByteView, size_t) { return c.bad(); });
    Host host(bus, HostTiming::immediate());
    auto r = host.open();
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(host.is_open());
    EXPECT_LT(bus.writes.size(), 700u);  // WTX forever: up to wtx_limit re-sends
  }
}

TEST(HostBadChip, UnsolicitedAtrMeansReset) {
  FakeBus bus(bad_chip([] { return wire(0xA5, 0xEF, default_atr()); }, false));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::LinkReset);
  EXPECT_FALSE(r.error().retry_safe);
}

TEST(HostBadChip, HeaderPollsAreBounded) {
  FakeBus bus([](ByteView, size_t) { return std::optional<Bytes>{}; });
  Host host(bus, HostTiming::immediate());
  auto r = host.open();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout);
  // RESYNCH: one send + R(NACK other) x2, each followed by 20 header polls; plus the drain.
  EXPECT_EQ(bus.read_sizes.size(), 1u + 3u * 20u);
}

}  // namespace
}  // namespace sx::t1
