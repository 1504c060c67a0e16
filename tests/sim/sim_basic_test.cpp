// Selection, management/info commands, stats request, variants.
#include <nlohmann/json.hpp>

#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

TEST(SimBasic, AtrIsTheDocumented35Bytes) {
  Card c;
  EXPECT_EQ(to_hex(c.sim->atr()),
            "00A0000003960403E800FE020B03E80801000000006400000A4A434F503420415450" "4F");
}

TEST(SimBasic, CommandsWithoutSelectedAppletAreRefused) {
  Card c;
  EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x6D00);  // [U] chosen SW: CLA 80 reaches the card manager
  EXPECT_EQ(c.tx("84 04 00 20 00").sw, 0x6982);  // CLA 84: secure messaging without a PlatformSCP03 channel
}

TEST(SimBasic, SelectReturnsVersionPerVariant) {
  Card c;
  auto r = c.tx(kSelect);
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "0301003FFF010B");
  Card e(make_cfg("SE050E"));
  auto re = e.tx(kSelect);
  EXPECT_EQ(to_hex(re.data), "0702003F9F010B");
}

TEST(SimBasic, UnknownAidIs6A82AndCardManagerSelectDeselects) {
  Card c;
  EXPECT_EQ(c.tx("00 A4 04 00 05 A0 00 00 00 01 00").sw, 0x6A82);
  c.select();
  EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x9000);
  EXPECT_EQ(c.tx("00 A4 04 00 00").sw, 0x9000);
  EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x6D00);
  c.select();
  c.sim->chip_reset();
  EXPECT_EQ(c.tx("80 04 00 20 00").sw, 0x6D00);
}

TEST(SimBasic, GetVersion) {
  Card c;
  c.select();
  auto r = c.tx("80 04 00 20 00");
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "41070301003FFF010B");
  // Also without Le at all (case 1).
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);
}

// NXP's middleware lists crypto objects while starting up and in its erase routine;
// an error there ends its examples (docs/se05x-protocol.md §4.6.2).
TEST(SimBasic, ReadCryptoObjectListIsAnEmptyList) {
  Card c;
  c.select();
  auto r = c.tx("80 02 10 25");
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "4100");
}

TEST(SimBasic, GetRandomExtendedAndShort) {
  Card c;
  c.select();
  auto r = c.tx("80 04 00 49 00 00 04 41 02 00 20 00 00");
  ASSERT_EQ(r.sw, 0x9000);
  ASSERT_EQ(r.data.size(), 34u);
  EXPECT_EQ(r.data[0], 0x41);
  EXPECT_EQ(r.data[1], 0x20);
  auto r2 = c.tx("80 04 00 49 04 41 02 00 20");
  ASSERT_EQ(r2.sw, 0x9000);
  EXPECT_NE(r.data, r2.data);
  EXPECT_EQ(c.tx("80 04 00 49 04 41 02 04 00").sw, 0x6700);  // 1024 bytes do not fit 892
}

TEST(SimBasic, GetFreeMemorySaturatesAndHasGranularity16) {
  Card c;
  c.select();
  auto r = c.tx("80 04 00 22 03 41 01 01");
  ASSERT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "41027FFF");  // 50 kB free saturates
  auto tr = c.tx("80 04 00 22 03 41 01 02");
  ASSERT_EQ(tr.sw, 0x9000);
  ASSERT_EQ(tr.data.size(), 4u);
  EXPECT_EQ(get_u16(tr.data, 2) % 16, 0);
  EXPECT_EQ(c.tx("80 04 00 22 03 41 01 09").sw, 0x6A80);
}

TEST(SimBasic, DigestOneShotAllAlgorithms) {
  Card c;
  c.select();
  // SHA-256("abc")
  auto r = c.tx("80 03 00 0E 08 41 01 04 42 03 61 62 63");
  ASSERT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), "4120BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  const std::pair<uint8_t, size_t> algos[] = {{1, 20}, {7, 28}, {4, 32}, {5, 48}, {6, 64}};
  for (auto [a, len] : algos) {
    auto d = c.cmd(0x03, 0x00, 0x0E, TlvWriter().u8(t::k1, a).bytes(t::k2, hex("0102")).take());
    ASSERT_EQ(d.sw, 0x9000);
    EXPECT_EQ(d.data.size(), len + 2);
  }
  EXPECT_EQ(c.cmd(0x03, 0x00, 0x0E, TlvWriter().u8(t::k1, 0x02).bytes(t::k2, hex("01")).take()).sw, 0x6A80);
}

TEST(SimBasic, StatsRequestReturnsJsonAndIsNotCounted) {
  Card c;
  c.select();
  c.tx("80 04 00 20 00");
  c.tx("80 04 00 20 00");
  auto r = c.tx("FF 53 00 00");
  ASSERT_EQ(r.sw, 0x9000);
  auto j = nlohmann::json::parse(std::string(r.data.begin(), r.data.end()));
  EXPECT_EQ(j["commands"]["GetVersion"]["count"], 2);
  EXPECT_EQ(j["commands"]["Select"]["count"], 1);
  EXPECT_EQ(j["total"]["count"], 3);
  EXPECT_EQ(j["commands"]["GetVersion"]["capdu_bytes"], 10);
  EXPECT_EQ(j["commands"]["GetVersion"]["rapdu_bytes"], 22);
  EXPECT_GT(j["commands"]["GetVersion"]["modelled_us"].get<int64_t>(), 0);
  auto st = c.sim->stats();
  EXPECT_EQ(st.total.count, 3u);
  EXPECT_EQ(c.tx("FF 53 01 00").sw, 0x9000);
  EXPECT_EQ(c.sim->stats().total.count, 0u);
  EXPECT_EQ(c.tx("FF 00 00 00").sw, 0x6E00);  // other CLA FF commands: as a real chip
}

TEST(SimBasic, UnknownVariantIsAnError) {
  auto r = Simulator::open(make_cfg("SE999"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_TRUE(find_variant("se050:c"));
}

TEST(SimBasic, MaxApduSizePerVariant) {
  Card c;
  c.select();
  auto write = [](uint32_t id, size_t n) {
    Bytes body = TlvWriter().u32(t::k1, id).u16(t::k3, 2000).bytes(t::k4, Bytes(n, 0x55)).take();
    return se05x::build_command({0x80, 0x01, 0x06, 0x00}, body, se05x::LeMode::None);
  };
  ASSERT_EQ(write(0x1000, 872).size(), 893u);
  EXPECT_EQ(c.tx(write(0x1000, 872)).sw, 0x6700);
  EXPECT_EQ(c.tx(write(0x1000, 871)).sw, 0x9000);  // exactly 892
  Card e(make_cfg("SE050E"));
  e.select();
  EXPECT_EQ(e.tx(write(0x1000, 1003)).sw, 0x9000);  // exactly 1024
  EXPECT_EQ(e.tx(write(0x1001, 1004)).sw, 0x6700);
}

}  // namespace
}  // namespace sx::sim::test
