#include <gtest/gtest.h>

#include "link/jrcp.h"

namespace sx::link::jrcp {
namespace {

TEST(JrcpCodec, EncodesHeader) {
  auto m = encode(Mty::WaitForCard, ByteView(kWaitForCardPayload));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(to_hex(*m), "0000000400000100");
  auto a = encode(Mty::ApduData, hex("00A4040000"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(to_hex(*a), "0100000500A4040000");
  EXPECT_EQ(to_hex(*encode(Mty::Lock)), "30000000");
  Bytes big(0x10000);
  EXPECT_EQ(encode(Mty::ApduData, big).error().code, Errc::InvalidArgument);
  Bytes max(0xFFFF, 0xAB);
  auto mm = encode(Mty::ApduData, max);
  ASSERT_TRUE(mm.ok());
  EXPECT_EQ(to_hex(ByteView(*mm).first(4)), "0100FFFF");
}

Bytes stream_of_three() {
  Bytes s;
  append(s, *encode(Mty::WaitForCard, ByteView(kWaitForCardPayload)));
  append(s, *encode(Mty::ApduData, hex("00A4040010A0000003965453000000010300000000")));
  append(s, *encode(Mty::Unlock));
  return s;
}

void expect_three(Decoder& d) {
  auto a = d.next();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->type, 0x00);
  EXPECT_EQ(to_hex(a->payload), "00000100");
  auto b = d.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->type, 0x01);
  EXPECT_EQ(b->payload.size(), 21u);
  auto c = d.next();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->type, 0x31);
  EXPECT_TRUE(c->payload.empty());
  EXPECT_FALSE(d.next());
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(JrcpCodec, CoalescedMessages) {
  Decoder d;
  ASSERT_TRUE(d.feed(stream_of_three()).ok());
  expect_three(d);
}

TEST(JrcpCodec, SplitAtEveryByte) {
  Bytes s = stream_of_three();
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    Decoder d;
    ASSERT_TRUE(d.feed(ByteView(s).first(cut)).ok());
    ASSERT_TRUE(d.feed(ByteView(s).subspan(cut)).ok());
    expect_three(d);
  }
  // And one byte at a time, draining as we go.
  Decoder d;
  std::vector<uint8_t> types;
  for (uint8_t b : s) {
    ASSERT_TRUE(d.feed(ByteView(&b, 1)).ok());
    while (auto m = d.next()) types.push_back(m->type);
  }
  EXPECT_EQ(types, (std::vector<uint8_t>{0x00, 0x01, 0x31}));
  EXPECT_FALSE(d.mid_message());
}

TEST(JrcpCodec, MidMessage) {
  Decoder d;
  ASSERT_TRUE(d.feed(hex("0100")).ok());
  EXPECT_TRUE(d.mid_message());
  EXPECT_FALSE(d.has_message());
  ASSERT_TRUE(d.feed(hex("0002 9000")).ok());
  EXPECT_TRUE(d.has_message());
  EXPECT_EQ(to_hex(d.next()->payload), "9000");
}

TEST(JrcpCodec, OversizeRejectedFromHeaderAlone) {
  Decoder d(1024);
  ASSERT_TRUE(d.feed(*encode(Mty::ApduData, Bytes(1024, 1))).ok());
  ASSERT_TRUE(d.next());
  auto s = d.feed(hex("01000401"));  // 1025 bytes announced, none sent
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::Protocol);
  EXPECT_NE(s.error().message.find("1025"), std::string::npos);
  EXPECT_TRUE(d.failed());
  EXPECT_FALSE(d.feed(hex("30000000")).ok());  // sticky
  EXPECT_FALSE(d.next());
}

TEST(JrcpCodec, OversizeBehindValidMessageInSameChunk) {
  Decoder d(16);
  Bytes s = *encode(Mty::Lock);
  append(s, hex("0100 0011"));
  EXPECT_FALSE(d.feed(s).ok());
}

TEST(JrcpCodec, BadNad) {
  Decoder d;
  auto s = d.feed(hex("01010000"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::Protocol);
}

}  // namespace
}  // namespace sx::link::jrcp
