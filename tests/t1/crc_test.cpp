#include <gtest/gtest.h>

#include <string_view>

#include "base/bytes.h"
#include "t1/crc.h"
#include "t1/frame.h"

namespace sx::t1 {
namespace {

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
  constexpr auto H = Direction::HostToCard;
  constexpr auto C = Direction::CardToHost;
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
