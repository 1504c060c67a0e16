// The SE05x wire format (se05x/wire.cpp): APDU framing, the TLV codec and status words.
#include <gtest/gtest.h>

#include <string>

#include "se05x/apdu.h"
#include "se05x/constants.h"
#include "se05x/status.h"
#include "se05x/tlv.h"

namespace sx::se05x {
namespace {

// ---- APDU framing ----

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

// ---- TLV codec ----

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

// ---- Status words ----

TEST(Status, OkIsOk) { EXPECT_TRUE(check(Response{{}, 0x9000}, "X").ok()); }

TEST(Status, StatusWordError) {
  auto st = check(Response{{}, 0x6A80}, "ReadObject");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::StatusWord);
  EXPECT_EQ(st.error().sw, 0x6A80);
  EXPECT_EQ(st.error().message.rfind("ReadObject: wrong data", 0), 0u) << st.error().message;
  EXPECT_NE(st.error().message.find("6A80"), std::string::npos);
}

TEST(Status, MemoryFullIsNoMemory) {
  Error e = status_error("WriteBinary", 0x6A84);
  EXPECT_EQ(e.code, Errc::NoMemory);
  EXPECT_EQ(e.sw, 0x6A84);
  EXPECT_EQ(e.message, "WriteBinary: not enough memory (SW 6A84)");
}

TEST(Status, UnknownSwStillReadable) {
  Error e = status_error("GetVersion", 0x6123);
  EXPECT_EQ(e.code, Errc::StatusWord);
  EXPECT_EQ(e.message, "GetVersion: unknown status word (SW 6123)");
  EXPECT_STREQ(sw_meaning(0x6985), "conditions not satisfied (e.g. wrong object type for this operation)");
}

}  // namespace
}  // namespace sx::se05x
