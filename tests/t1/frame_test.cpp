#include <gtest/gtest.h>

#include "base/bytes.h"
#include "t1/frame.h"
#include "t1/pcb.h"

namespace sx::t1 {
namespace {

constexpr auto H = Direction::HostToCard;
constexpr auto C = Direction::CardToHost;

TEST(Pcb, IBlock) {
  EXPECT_EQ(pcb_i(0, false), 0x00);
  EXPECT_EQ(pcb_i(1, false), 0x40);
  EXPECT_EQ(pcb_i(0, true), 0x20);
  EXPECT_EQ(pcb_i(1, true), 0x60);
  EXPECT_EQ(block_kind(0x60), BlockKind::I);
  EXPECT_EQ(i_ns(0x60), 1);
  EXPECT_TRUE(i_more(0x60));
  EXPECT_FALSE(i_more(0x40));
  EXPECT_TRUE(pcb_valid(0x40));
  EXPECT_FALSE(pcb_valid(0x41));
}

TEST(Pcb, RBlock) {
  EXPECT_EQ(pcb_r(0, RError::Ack), 0x80);
  EXPECT_EQ(pcb_r(1, RError::Ack), 0x90);
  EXPECT_EQ(pcb_r(0, RError::Crc), 0x81);
  EXPECT_EQ(pcb_r(1, RError::Crc), 0x91);
  EXPECT_EQ(pcb_r(0, RError::Other), 0x82);
  EXPECT_EQ(pcb_r(1, RError::Other), 0x92);
  EXPECT_EQ(pcb_r(1, RError::Undefined), 0x93);
  EXPECT_EQ(block_kind(0x92), BlockKind::R);
  EXPECT_EQ(r_nr(0x92), 1);
  EXPECT_EQ(r_error(0x92), RError::Other);
  EXPECT_TRUE(pcb_valid(0x93));
  EXPECT_FALSE(pcb_valid(0xA0));  // bit 6 set in an R-block
  EXPECT_FALSE(pcb_valid(0x84));
}

TEST(Pcb, SBlockCodes) {
  struct C2 {
    SCode c;
    uint8_t req, rsp;
  };
  const C2 table[] = {{SCode::Resynch, 0xC0, 0xE0},        {SCode::Ifs, 0xC1, 0xE1},
                      {SCode::Abort, 0xC2, 0xE2},          {SCode::Wtx, 0xC3, 0xE3},
                      {SCode::EndApduSession, 0xC5, 0xE5}, {SCode::ChipReset, 0xC6, 0xE6},
                      {SCode::GetAtr, 0xC7, 0xE7},         {SCode::InterfaceReset, 0xCF, 0xEF},
                      {SCode::DeepPowerDown, 0xDF, 0xFF}};
  for (const auto& t : table) {
    EXPECT_EQ(pcb_s(t.c, false), t.req);
    EXPECT_EQ(pcb_s(t.c, true), t.rsp);
    EXPECT_EQ(block_kind(t.req), BlockKind::S);
    EXPECT_FALSE(s_is_response(t.req));
    EXPECT_TRUE(s_is_response(t.rsp));
    EXPECT_EQ(s_code_bits(t.rsp), static_cast<uint8_t>(t.c));
    EXPECT_TRUE(pcb_valid(t.req));
    EXPECT_TRUE(pcb_valid(t.rsp));
  }
  EXPECT_FALSE(pcb_valid(0xC4));
  EXPECT_FALSE(pcb_valid(0xE8));
}

TEST(Frame, RoundTripMaxInf) {
  Bytes inf(254, 0xAB);
  auto w = encode(make_i(H, 1, true, inf));
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->size(), 259u);
  EXPECT_EQ((*w)[2], 0xFE);
  auto f = decode(*w, H);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->pcb, 0x60);
  EXPECT_EQ(f->inf, inf);
}

TEST(Frame, Len255OnlyFromCard) {
  Bytes inf(255, 0x11);
  auto w = encode(Frame{0xA5, 0x00, inf}).value();
  EXPECT_EQ(check(w, C), FrameError::None);
  auto h = encode(Frame{0x5A, 0x00, inf}).value();
  EXPECT_EQ(check(h, H), FrameError::Oversize);
  auto r = decode(h, H);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Protocol);
  EXPECT_FALSE(is_crc_error(r.error()));
}

TEST(Frame, EncodeRejectsTooLongInf) {
  auto w = encode(Frame{0xA5, 0x00, Bytes(256, 0)});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, Errc::InvalidArgument);
}

TEST(Frame, StructuralErrorsAreProtocol) {
  EXPECT_EQ(check(hex("A5 E0 00 3F"), C), FrameError::Truncated);
  EXPECT_EQ(check({}, C), FrameError::Truncated);
  EXPECT_EQ(check(hex("A5 E0 01 3F 19"), C), FrameError::LenMismatch);
  EXPECT_EQ(check(hex("A5 E0 00 3F 19 00"), C), FrameError::LenMismatch);
  EXPECT_EQ(check(hex("5A C0 00 FF FC"), C), FrameError::BadNad);
  EXPECT_EQ(check(hex("A5 E0 00 3F 19"), H), FrameError::BadNad);
  for (const char* w : {"A5 E0 00 3F", "A5 E0 01 3F 19", "5A C0 00 FF FC"}) {
    auto r = decode(hex(w), C);
    ASSERT_FALSE(r.ok()) << w;
    EXPECT_EQ(r.error().code, Errc::Protocol) << w;
  }
}

TEST(Frame, CrcErrorIsDistinguishable) {
  EXPECT_EQ(check(hex("A5 E0 00 3F 18"), C), FrameError::BadCrc);
  auto r = decode(hex("A5 E0 00 3F 18"), C);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(is_crc_error(r.error()));
  EXPECT_NE(r.error().code, Errc::Protocol);
}

TEST(Frame, NadErrorRNackAcceptedFromCard) {
  Bytes w = encode(Frame{0x00, 0x82, {}}).value();
  EXPECT_EQ(check(w, C), FrameError::None);
  Bytes w2 = encode(Frame{0x00, 0x92, {}}).value();
  EXPECT_EQ(check(w2, C), FrameError::None);
  Bytes w3 = encode(Frame{0x00, 0x00, {}}).value();
  EXPECT_EQ(check(w3, C), FrameError::BadNad);
}

}  // namespace
}  // namespace sx::t1
