#include "se05x/apdu.h"

#include <gtest/gtest.h>

namespace sx::se05x {
namespace {

TEST(Apdu, NoBodyNoLe) {
  // GetVersion: 80 04 00 20 00
  EXPECT_EQ(to_hex(build_command({0x80, 0x04, 0x00, 0x20}, {}, LeMode::None)), "8004002000");
}

TEST(Apdu, ShortBodyNoLe) {
  Bytes body = hex("41 04 20 18 10 01");
  EXPECT_EQ(to_hex(build_command({0x80, 0x04, 0x00, 0x27}, body, LeMode::None)), "80040027064104" "20181001");
}

TEST(Apdu, ExtendedLe) {
  // GetRandom(32): 80 04 00 49 00 00 04 41 02 00 20 00 00
  Bytes body = hex("41 02 00 20");
  EXPECT_EQ(to_hex(build_command({0x80, 0x04, 0x00, 0x49}, body, LeMode::Extended)), "80040049000004410200200000");
}

TEST(Apdu, LongBodyUsesExtendedLc) {
  Bytes body(300, 0xAB);
  Bytes c = build_command({0x80, 0x01, 0x06, 0x00}, body, LeMode::None);
  ASSERT_EQ(c.size(), 4u + 3 + 300);
  EXPECT_EQ(c[4], 0);
  EXPECT_EQ(get_u16(c, 5), 300);
}

TEST(Apdu, ParsesAllCases) {
  auto c1 = parse_command(hex("80 04 00 20"));
  ASSERT_TRUE(c1.ok());
  EXPECT_TRUE(c1->body.empty());
  auto c2 = parse_command(hex("80 04 00 20 00"));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(*c2->le, 0u);
  auto c3 = parse_command(hex("80 04 00 27 06 41 04 20 18 10 01"));
  ASSERT_TRUE(c3.ok());
  EXPECT_EQ(c3->body.size(), 6u);
  EXPECT_FALSE(c3->le);
  auto c4 = parse_command(hex("00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00"));
  ASSERT_TRUE(c4.ok());
  EXPECT_EQ(c4->body.size(), 16u);
  EXPECT_EQ(*c4->le, 0u);
  auto e4 = parse_command(hex("80 04 00 49 00 00 04 41 02 00 20 00 00"));
  ASSERT_TRUE(e4.ok());
  EXPECT_TRUE(e4->extended);
  EXPECT_EQ(e4->body.size(), 4u);
  EXPECT_EQ(*e4->le, 0u);
}

TEST(Apdu, RejectsInconsistentLengths) {
  EXPECT_FALSE(parse_command(hex("80 04 00")).ok());
  EXPECT_FALSE(parse_command(hex("80 04 00 27 06 41 04")).ok());
  EXPECT_FALSE(parse_command(hex("80 04 00 27 00 00 09 41")).ok());
  EXPECT_FALSE(parse_command(hex("80 04 00 27 00 00")).ok());
}

TEST(Apdu, SplitsResponse) {
  auto r = split_response(hex("41 01 01 90 00"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->data.size(), 3u);
  EXPECT_FALSE(split_response(hex("90")).ok());
}

}  // namespace
}  // namespace sx::se05x
