#include "base/bytes.h"

#include <gtest/gtest.h>

namespace sx {
namespace {

TEST(Bytes, HexRoundTrip) {
  Bytes b = hex("5A C0 00 ff fc");
  EXPECT_EQ(b, (Bytes{0x5A, 0xC0, 0x00, 0xFF, 0xFC}));
  EXPECT_EQ(to_hex(b), "5AC000FFFC");
  EXPECT_EQ(to_hex(b, true), "5A C0 00 FF FC");
}

TEST(Bytes, RejectsMalformedHex) {
  EXPECT_FALSE(from_hex("5"));
  EXPECT_FALSE(from_hex("5 A"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_TRUE(from_hex("")->empty());
}

TEST(Bytes, BigEndianHelpers) {
  Bytes b;
  put_u32(b, 0x20181001);
  put_u16(b, 0x01F4);
  EXPECT_EQ(to_hex(b), "2018100101F4");
  EXPECT_EQ(get_u32(b), 0x20181001u);
  EXPECT_EQ(get_u16(b, 4), 0x01F4);
}

}  // namespace
}  // namespace sx
