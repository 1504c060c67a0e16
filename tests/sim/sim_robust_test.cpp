// Malformed input, fuzzing, thread safety, latency model and statistics.
#include <random>
#include <thread>

#include "sim/latency_model.h"
#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

TEST(SimRobust, MalformedApdusGiveErrorStatusWords) {
  Card c;
  c.select();
  const std::pair<const char*, uint16_t> cases[] = {
      {"", 0x6700},
      {"80", 0x6700},
      {"80 04 00", 0x6700},
      {"80 04 00 27 06 41 04 20 18", 0x6700},           // Lc larger than the data
      {"80 04 00 27 02 41 04 20 18 10 01", 0x6700},     // Lc smaller than the data
      {"80 04 00 27 00 00", 0x6700},                    // truncated extended length
      {"80 04 00 27 03 41 04 20", 0x6A80},              // TLV runs past the body
      {"80 04 00 27 05 41 03 01 02 03", 0x6A80},        // ID of 3 bytes
      {"80 04 00 27 02 41 83", 0x6A80},                 // bad TLV length byte
      {"80 04 00 27 0C 41 04 20 18 10 01 41 04 20 18 10 01", 0x6A80},  // duplicate tag
      {"80 04 00 27 00", 0x6A80},                       // missing ID (case 2: Le only)
      {"80 0F 00 00 00", 0x6D00},                       // unknown INS
      {"80 61 00 00 00", 0x6D00},                       // auth-object + attest flags on a write
      {"80 41 00 00 00", 0x6A86},                       // auth-object write (WriteUserID) of no type
      {"80 04 00 77 00", 0x6A86},                       // unknown P2
      {"80 02 0B 99 00", 0x6A86},
      {"00 04 00 20 00", 0x6E00},                       // wrong CLA
      {"00 A4 00 00 00", 0x6A86},                       // SELECT by other than name
  };
  for (const auto& [apdu, want] : cases) EXPECT_EQ(c.tx(apdu).sw, want) << apdu;
  // U32 with an 82 00 04 length is accepted; extended Lc for a short body too.
  EXPECT_EQ(c.tx("80 04 00 27 08 41 82 00 04 7F FF 02 06").data, hex("410101"));
  EXPECT_EQ(c.tx("80 04 00 27 00 00 06 41 04 7F FF 02 06").data, hex("410101"));
  EXPECT_EQ(c.tx("80 04 00 27 00 00 06 41 04 7F FF 02 06 00 00").data, hex("410101"));
}

// Random headers from the command table with random and half-valid TLV bodies.
void fuzz(Card& c, std::mt19937& rng, int rounds, bool allow_rsa_writes) {
  const uint8_t headers[][3] = {
      {0x01, 0x61, 0x00}, {0x01, 0x41, 0x00}, {0x01, 0x21, 0x00}, {0x01, 0x01, 0x00}, {0x01, 0x06, 0x00},
      {0x81, 0x06, 0x00}, {0x01, 0x03, 0x00}, {0x01, 0x0B, 0x04}, {0x01, 0x0B, 0x40}, {0x02, 0x00, 0x00},
      {0x02, 0x00, 0x07}, {0x02, 0x00, 0x25}, {0x02, 0x00, 0x26}, {0x02, 0x00, 0x3B}, {0x02, 0x0B, 0x25},
      {0x02, 0x0B, 0x36}, {0x03, 0x0C, 0x09}, {0x03, 0x0C, 0x0A}, {0x03, 0x01, 0x0F}, {0x03, 0x02, 0x37},
      {0x03, 0x02, 0x38}, {0x03, 0x00, 0x0E}, {0x04, 0x00, 0x20}, {0x04, 0x00, 0x22}, {0x04, 0x00, 0x27},
      {0x04, 0x00, 0x28}, {0x04, 0x00, 0x49}, {0x04, 0x0B, 0x28}, {0x01, 0x22, 0x4F}, {0x01, 0x02, 0x00},
  };
  const uint32_t ids[] = {0x20181001, 0xF0000100, 0xF0000101, 0xF0000110, 0x7FFF0206, 0x100, 0x101, 0x0};
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < rounds; ++i) {
    Bytes apdu;
    if (rng() % 8 == 0) {  // pure garbage
      apdu.resize(rng() % 40);
      for (auto& b : apdu) b = static_cast<uint8_t>(byte(rng));
    } else {
      const auto& h = headers[rng() % std::size(headers)];
      if (!allow_rsa_writes && h[0] == 0x01 && (h[1] & 0x1F) == 0x02) continue;
      TlvWriter w;
      if (rng() % 4) w.u32(t::k1, ids[rng() % std::size(ids)]);
      const int n = static_cast<int>(rng() % 5);
      for (int k = 0; k < n; ++k) {
        const uint8_t tag = static_cast<uint8_t>(0x41 + rng() % 11);
        Bytes v(rng() % 70);
        for (auto& b : v) b = static_cast<uint8_t>(byte(rng));
        if (v.size() == 1 && tag == t::k2) v[0] = static_cast<uint8_t>(1 + rng() % 0x12);
        w.bytes(tag, v);
      }
      if (rng() % 6 == 0) w.bytes(t::kPolicy, Bytes(rng() % 20, static_cast<uint8_t>(byte(rng))));
      Bytes body = w.take();
      if (rng() % 10 == 0 && !body.empty()) body.resize(rng() % body.size());  // truncate a TLV
      apdu = se05x::build_command({0x80, h[0], h[1], h[2]}, body,
                                  rng() % 2 ? se05x::LeMode::Extended : se05x::LeMode::None);
      if (rng() % 20 == 0 && !apdu.empty()) apdu.pop_back();
    }
    Bytes r = c.raw(apdu);
    ASSERT_GE(r.size(), 2u) << to_hex(apdu);
    ASSERT_LE(r.size(), c.sim->variant().max_apdu);
  }
}

TEST(SimRobust, FuzzNeverCrashesOrGoesSilent) {
  std::mt19937 rng(12345);
  Card c;
  c.select();
  create_curve(c, 0x03, "prime256v1");
  ASSERT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  fuzz(c, rng, 6000, true);
  Card e(make_cfg("SE050E"));
  e.select();
  fuzz(e, rng, 3000, true);
  // Still fully functional.
  EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x9000);
}

TEST(SimRobust, GarbageRsaComponentsGiveErrorsNotCrashes) {
  Card c;
  c.select();
  // RAW pair 1024 with n = 1 / even n / e = 1; CRT pair with p = q = 1.
  EXPECT_EQ(c.sw(0x01, 0x62, 0x4F,
                 TlvWriter().u32(t::k1, 0x600).u16(t::k2, 1024).bytes(t::k8, hex("01")).bytes(t::k9, hex("01")).bytes(t::k10, hex("01")).take()),
            0x9000);
  EXPECT_EQ(c.sw(0x01, 0x62, 0x4F,
                 TlvWriter().u32(t::k1, 0x601).u16(t::k2, 1024).bytes(t::k8, hex("03")).bytes(t::k9, hex("05")).bytes(t::k10, Bytes(128, 0x10)).take()),
            0x9000);
  EXPECT_EQ(c.sw(0x01, 0x62, 0x00,
                 TlvWriter().u32(t::k1, 0x602).u16(t::k2, 1024).bytes(t::k3, hex("01")).bytes(t::k4, hex("01"))
                     .bytes(t::k5, hex("01")).bytes(t::k6, hex("01")).bytes(t::k7, hex("01")).bytes(t::k8, hex("03"))
                     .bytes(t::k10, hex("01")).take()),
            0x9000);
  for (uint32_t id : {0x600u, 0x601u, 0x602u}) {
    for (uint8_t algo : {uint8_t{0x28}, uint8_t{0x2C}}) {
      const uint16_t s1 = c.cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, hex("01")).take()).sw;
      EXPECT_NE(s1, 0x9000) << id;
      const uint16_t s2 = c.cmd(0x03, 0x0C, 0x0A,
                                TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, hex("01")).bytes(t::k5, Bytes(128, 1)).take()).sw;
      EXPECT_TRUE(s2 == 0x9000 || s2 == 0x6985) << id;
    }
    for (uint8_t algo : {uint8_t{0x0C}, uint8_t{0x0A}, uint8_t{0x0F}})
      for (uint8_t p2 : {uint8_t{0x37}, uint8_t{0x38}}) {
        Bytes r = c.raw(se05x::build_command(
            {0x80, 0x03, 0x02, p2}, TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, Bytes(128, 0x7F)).take(),
            se05x::LeMode::Extended));
        EXPECT_GE(r.size(), 2u);
      }
  }
}

TEST(SimRobust, ConcurrentCallersAreSerialised) {
  Card c;
  c.select();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < 100; ++i) {
        const uint32_t id = 0x1000u + static_cast<uint32_t>(k * 1000 + i);
        Bytes w = se05x::build_command(
            {0x80, 0x01, 0x06, 0x00}, TlvWriter().u32(t::k1, id).u16(t::k3, 2).bytes(t::k4, hex("ABCD")).take(),
            se05x::LeMode::None);
        if (c.sim->process(w) != hex("9000")) ++bad;
        if (c.sim->process(hex("80 04 00 49 04 41 02 00 10")).size() != 20) ++bad;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(c.sim->stats().commands["WriteBinary"].count, 400u);
}

TEST(SimLatency, WireTimeFollowsT1Framing) {
  // GetVersion: 5-byte C-APDU, 11-byte R-APDU: (1+5+5) + (3+11+5) = 30 bytes * 9 bits at 400 kHz.
  EXPECT_EQ(wire_time(5, 11, 400'000).count(), 675);
  // 300-byte C-APDU = 2 blocks + one R(ACK) read; 2-byte answer.
  // (1+254+5) + (3+5) + (1+46+5) + (3+2+5) = 330 bytes.
  EXPECT_EQ(wire_time(300, 2, 400'000).count(), 330LL * 9 * 1'000'000 / 400'000);
  // 600-byte R-APDU = 3 blocks read, 2 R(ACK) writes.
  const int64_t rsp = (3 + 254 + 5) * 2 + (3 + 92 + 5) + 2 * (1 + 5);
  EXPECT_EQ(wire_time(5, 600, 1'000'000).count(), (11 + rsp) * 9);
  EXPECT_LT(wire_time(100, 100, 3'400'000), wire_time(100, 100, 100'000));
}

TEST(SimLatency, ChipTimesGrowWithKeySize) {
  EXPECT_LT(chip_time({Op::EcSign, 256, 0}), chip_time({Op::EcSign, 384, 0}));
  EXPECT_LT(chip_time({Op::EcSign, 384, 0}), chip_time({Op::EcSign, 521, 0}));
  EXPECT_LT(chip_time({Op::RsaPrivate, 2048, 0}), chip_time({Op::RsaPrivate, 4096, 0}));
  EXPECT_LT(chip_time({Op::WriteBinary, 0, 100}), chip_time({Op::WriteBinary, 0, 500}));
  EXPECT_GT(chip_time({Op::RsaKeygen, 2048, 0}), chip_time({Op::EcKeygen, 256, 0}));
}

TEST(SimLatency, EnabledModelMakesEachApduTakeAtLeastTheModelledTime) {
  Card c(make_cfg("SE050C", "", false, true, 100'000));
  c.select();
  c.sim->reset_stats();
  const auto t0 = std::chrono::steady_clock::now();
  c.tx("80 04 00 20 00");
  const auto took = std::chrono::steady_clock::now() - t0;
  const auto st = c.sim->stats();
  const auto& gv = st.commands.at("GetVersion");
  EXPECT_EQ(gv.modelled_time, modelled_time("GetVersion", 5, 11, {Op::Misc, 0, 0}, 100'000));
  EXPECT_GE(took, gv.modelled_time);
}

}  // namespace
}  // namespace sx::sim::test
