#include <gtest/gtest.h>

#include <string_view>

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

// The CRC (frame.h) and the section 1.4 frames it protects.
TEST(Crc, CheckValue) {
  const std::string_view s = "123456789";
  EXPECT_EQ(crc16_x25(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size())), 0x906E);
}

TEST(Crc, EmptyInput) { EXPECT_EQ(crc16_x25({}), 0x0000); }

TEST(Crc, WireOrderIsLsbFirst) {
  Bytes out;
  put_crc_le(out, 0x906E);
  EXPECT_EQ(out, (Bytes{0x6E, 0x90}));
  EXPECT_EQ(get_crc_le(out.data()), 0x906E);
}

struct Vector {
  const char* name;
  uint8_t nad;
  uint8_t pcb;
  const char* inf;
  const char* wire;
};

// Section 1.4 table, all 16 frames.
const Vector kTable[] = {
    {"S(RESYNCH req)", 0x5A, 0xC0, "", "5A C0 00 FF FC"},
    {"S(GET ATR req)", 0x5A, 0xC7, "", "5A C7 00 F7 B1"},
    {"S(END APDU req)", 0x5A, 0xC5, "", "5A C5 00 47 82"},
    {"S(INTF RESET req)", 0x5A, 0xCF, "", "5A CF 00 37 7F"},
    {"S(CHIP RESET req)", 0x5A, 0xC6, "", "5A C6 00 2F A8"},
    {"S(DEEP PWR DOWN req)", 0x5A, 0xDF, "", "5A DF 00 A6 EA"},
    {"S(RESYNCH rsp)", 0xA5, 0xE0, "", "A5 E0 00 3F 19"},
    {"S(END APDU rsp)", 0xA5, 0xE5, "", "A5 E5 00 87 67"},
    {"S(WTX req)", 0xA5, 0xC3, "01", "A5 C3 01 01 1B DD"},
    {"S(WTX rsp)", 0x5A, 0xE3, "01", "5A E3 01 01 F2 1B"},
    {"R(ACK 0) host", 0x5A, 0x80, "", "5A 80 00 99 BA"},
    {"R(ACK 1) host", 0x5A, 0x90, "", "5A 90 00 08 2F"},
    {"R(ACK 0) SE", 0xA5, 0x80, "", "A5 80 00 6A 7C"},
    {"R(ACK 1) SE", 0xA5, 0x90, "", "A5 90 00 FB E9"},
    {"R(NACK CRC 0) host", 0x5A, 0x81, "", "5A 81 00 41 A3"},
    {"R(NACK other 0) host", 0x5A, 0x82, "", "5A 82 00 29 89"},
};

TEST(Crc, Section14TableEncodes) {
  for (const auto& v : kTable) {
    auto w = encode(Frame{v.nad, v.pcb, hex(v.inf)});
    ASSERT_TRUE(w.ok()) << v.name;
    EXPECT_EQ(to_hex(*w, true), v.wire) << v.name;
  }
}

TEST(Crc, Section14TableDecodes) {
  for (const auto& v : kTable) {
    const Direction d = v.nad == 0x5A ? Direction::HostToCard : Direction::CardToHost;
    auto f = decode(hex(v.wire), d);
    ASSERT_TRUE(f.ok()) << v.name << ": " << f.error().to_string();
    EXPECT_EQ(f->nad, v.nad);
    EXPECT_EQ(f->pcb, v.pcb);
    EXPECT_EQ(f->inf, hex(v.inf));
  }
}

TEST(Crc, Section14TableUsesBuilders) {
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::Resynch, false)).value(), true), "5A C0 00 FF FC");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::GetAtr, false)).value(), true), "5A C7 00 F7 B1");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::EndApduSession, false)).value(), true), "5A C5 00 47 82");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::InterfaceReset, false)).value(), true), "5A CF 00 37 7F");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::ChipReset, false)).value(), true), "5A C6 00 2F A8");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::DeepPowerDown, false)).value(), true), "5A DF 00 A6 EA");
  EXPECT_EQ(to_hex(encode(make_s(C, SCode::Resynch, true)).value(), true), "A5 E0 00 3F 19");
  EXPECT_EQ(to_hex(encode(make_s(C, SCode::EndApduSession, true)).value(), true), "A5 E5 00 87 67");
  EXPECT_EQ(to_hex(encode(make_s(C, SCode::Wtx, false, Bytes{1})).value(), true), "A5 C3 01 01 1B DD");
  EXPECT_EQ(to_hex(encode(make_s(H, SCode::Wtx, true, Bytes{1})).value(), true), "5A E3 01 01 F2 1B");
  EXPECT_EQ(to_hex(encode(make_r(H, 0, RError::Ack)).value(), true), "5A 80 00 99 BA");
  EXPECT_EQ(to_hex(encode(make_r(H, 1, RError::Ack)).value(), true), "5A 90 00 08 2F");
  EXPECT_EQ(to_hex(encode(make_r(C, 0, RError::Ack)).value(), true), "A5 80 00 6A 7C");
  EXPECT_EQ(to_hex(encode(make_r(C, 1, RError::Ack)).value(), true), "A5 90 00 FB E9");
  EXPECT_EQ(to_hex(encode(make_r(H, 0, RError::Crc)).value(), true), "5A 81 00 41 A3");
  EXPECT_EQ(to_hex(encode(make_r(H, 0, RError::Other)).value(), true), "5A 82 00 29 89");
}

}  // namespace
}  // namespace sx::t1
