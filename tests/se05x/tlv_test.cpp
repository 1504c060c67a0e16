#include "se05x/tlv.h"

#include <gtest/gtest.h>

#include "se05x/constants.h"

namespace sx::se05x {
namespace {

TEST(Tlv, LengthForms) {
  Bytes b;
  put_tlv_length(b, 0x7F);
  put_tlv_length(b, 0x80);
  put_tlv_length(b, 0x1F4);
  EXPECT_EQ(to_hex(b), "7F81808201F4");
}

TEST(Tlv, WritesMiddlewareLayout) {
  // CheckObjectExists body (docs/se05x-protocol.md §4.6.2).
  TlvWriter w;
  w.u32(tag::k1, 0x20181001);
  EXPECT_EQ(to_hex(w.data()), "410420181001");
  // Optional U16 omitted when zero (first chunk of a binary read has no offset).
  TlvWriter r;
  r.u32(tag::k1, 0x20181002).u16_opt(tag::k2, 0).u16_opt(tag::k3, 0x01F4);
  EXPECT_EQ(to_hex(r.data()), "41042018100243" "0201F4");
}

TEST(Tlv, ReadsInOrder) {
  Bytes rsp = hex("41 01 01 42 01 01");
  TlvReader r(rsp);
  EXPECT_EQ(*r.expect_u8(tag::k1), 1);
  EXPECT_EQ(*r.expect_u8(tag::k2), 1);
  EXPECT_TRUE(r.at_end());
}

TEST(Tlv, RejectsOverlongLength) {
  Bytes rsp = hex("41 05 01 02");
  TlvReader r(rsp);
  auto t = r.next();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, Errc::Malformed);
}

TEST(Tlv, RejectsTruncatedLengthForms) {
  for (const char* h : {"41", "41 81", "41 82 01", "41 83 00 00 01", "41 80"}) {
    Bytes b = hex(h);
    TlvReader r(b);
    EXPECT_FALSE(r.next().ok()) << h;
  }
}

TEST(Tlv, U32AcceptsLongFormLength) {
  Bytes b = hex("41 82 00 04 20 18 10 01");
  TlvReader r(b);
  EXPECT_EQ(*r.expect_u32(tag::k1), 0x20181001u);
}

TEST(Tlv, WrongTagIsError) {
  Bytes b = hex("42 01 00");
  TlvReader r(b);
  EXPECT_FALSE(r.expect_u8(tag::k1).ok());
  EXPECT_TRUE(r.expect_u8(tag::k2).ok());
}

TEST(Tlv, SetFindsAnyOrderAndRejectsDuplicates) {
  Bytes b = hex("43 02 01 F4 41 04 20 18 10 02");
  auto s = TlvSet::parse(b);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->require_u32(tag::k1), 0x20181002u);
  EXPECT_EQ(**s->get_u16(tag::k3), 0x01F4);
  EXPECT_FALSE(s->get_u16(tag::k2)->has_value());
  Bytes d = hex("41 01 00 41 01 00");
  EXPECT_FALSE(TlvSet::parse(d).ok());
}

}  // namespace
}  // namespace sx::se05x
