#include <gtest/gtest.h>

#include <string>

#include "base/bytes.h"
#include "t1/atr.h"

namespace sx::t1 {
namespace {

const char* kAtrHex =
    "00 A0 00 00 03 96 04 03 E8 00 FE 02 0B 03 E8 08 01 00 00 00 00 64 00 00 0A 4A 43 4F 50 34 20 41 54 50 4F";

TEST(Atr, DefaultIsSection110) {
  EXPECT_EQ(to_hex(default_atr(), true), kAtrHex);
  EXPECT_EQ(default_atr().size(), 35u);
}

TEST(Atr, ParsesFieldByField) {
  auto a = parse_atr(hex(kAtrHex));
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->pver, 0);
  EXPECT_EQ(to_hex(a->vid), "A000000396");
  EXPECT_EQ(a->bwt_ms, 1000);
  EXPECT_EQ(a->ifsc, 254);
  EXPECT_EQ(a->plid, 2);
  EXPECT_EQ(a->mcf_khz, 1000);
  EXPECT_EQ(a->config, 0x08);
  EXPECT_EQ(a->mpot_ms, 1);
  EXPECT_EQ(to_hex(a->rfu), "000000");
  EXPECT_EQ(a->segt_us, 100);
  EXPECT_EQ(a->wut, 0);
  EXPECT_EQ(std::string(a->historical.begin(), a->historical.end()), "JCOP4 ATPO");
}

TEST(Atr, EveryTruncationIsRejected) {
  const Bytes full = hex(kAtrHex);
  for (size_t n = 0; n < full.size(); ++n) {
    auto a = parse_atr(ByteView(full).first(n));
    ASSERT_FALSE(a.ok()) << "length " << n;
    EXPECT_EQ(a.error().code, Errc::Malformed);
  }
}

TEST(Atr, ShortDllpOrPlpRejected) {
  Bytes b = hex(kAtrHex);
  b[6] = 3;  // DLLP length
  EXPECT_FALSE(parse_atr(b).ok());
  b = hex(kAtrHex);
  b[12] = 10;  // PLP length
  EXPECT_FALSE(parse_atr(b).ok());
}

TEST(Atr, LongerBlocksAreSkipped) {
  // DLLP of 5 bytes (one extra), PLP of 12 bytes (one extra), no historical bytes, trailing junk.
  Bytes b = hex("01 A0 00 00 03 96 05 00 10 00 20 EE 02 0C 01 90 08 02 00 00 00 00 64 00 05 EE 00 77");
  auto a = parse_atr(b);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->pver, 1);
  EXPECT_EQ(a->bwt_ms, 16);
  EXPECT_EQ(a->ifsc, 32);
  EXPECT_EQ(a->mcf_khz, 400);
  EXPECT_EQ(a->mpot_ms, 2);
  EXPECT_EQ(a->wut, 5);
  EXPECT_TRUE(a->historical.empty());
}

}  // namespace
}  // namespace sx::t1
