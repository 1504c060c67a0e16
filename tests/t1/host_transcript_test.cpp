// Host side against the byte-exact transcripts of docs/se05x-protocol.md Appendix A and §1.5.
#include <gtest/gtest.h>

#include <vector>

#include "fake_bus.h"
#include "t1/atr.h"
#include "t1/host.h"

namespace sx::t1 {
namespace {

using test::FakeBus;
using test::script;
using test::ScriptStep;

const char* kAtrFrame =
    "A5 E7 23 00 A0 00 00 03 96 04 03 E8 00 FE 02 0B 03 E8 08 01 00 00 00 00 64 00 00 0A "
    "4A 43 4F 50 34 20 41 54 50 4F 2A 8D";

std::vector<ScriptStep> open_steps() {
  return {
      {hex("5A C0 00 FF FC"), hex("A5 E0 00 3F 19")},
      {hex("5A C7 00 F7 B1"), hex(kAtrFrame)},
  };
}

std::vector<ScriptStep> appendix_a() {
  auto s = open_steps();
  s.push_back({hex("5A 00 16 00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00 A8 C8"),
               hex("A5 00 09 03 01 00 3F FF 01 0B 90 00 78 54")});
  s.push_back({hex("5A 40 05 80 04 00 20 00 22 93"), hex("A5 40 0B 41 07 03 01 00 3F FF 01 0B 90 00 91 C1")});
  s.push_back({hex("5A 00 0B 80 04 00 27 06 41 04 20 18 10 01 25 90"), hex("A5 00 05 41 01 01 90 00 DB E8")});
  s.push_back({hex("5A C5 00 47 82"), hex("A5 E5 00 87 67")});
  return s;
}

TEST(HostTranscript, AppendixA) {
  FakeBus bus(script(appendix_a()));
  Host host(bus, HostTiming::immediate());
  auto atr = host.open();
  ASSERT_TRUE(atr.ok()) << atr.error().to_string();
  EXPECT_EQ(*atr, default_atr());
  ASSERT_TRUE(host.parsed_atr().has_value());
  EXPECT_EQ(host.ifsc(), 254u);

  auto r1 = host.transceive(hex("00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00"));
  ASSERT_TRUE(r1.ok()) << r1.error().to_string();
  EXPECT_EQ(to_hex(*r1, true), "03 01 00 3F FF 01 0B 90 00");
  auto r2 = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r2.ok()) << r2.error().to_string();
  EXPECT_EQ(to_hex(*r2, true), "41 07 03 01 00 3F FF 01 0B 90 00");
  auto r3 = host.transceive(hex("80 04 00 27 06 41 04 20 18 10 01"));
  ASSERT_TRUE(r3.ok()) << r3.error().to_string();
  EXPECT_EQ(to_hex(*r3, true), "41 01 01 90 00");
  ASSERT_TRUE(host.close().ok());
  EXPECT_FALSE(host.is_open());
  EXPECT_EQ(bus.writes.size(), 6u);

  // Drain read, then each frame read as 2 + 1 + (LEN + 2).
  const std::vector<size_t> want{260, 2, 1, 2, 2, 1, 37, 2, 1, 11, 2, 1, 13, 2, 1, 7, 2, 1, 2};
  EXPECT_EQ(bus.read_sizes, want);
  EXPECT_EQ(host.stats().frames_tx, 6u);
  EXPECT_EQ(host.stats().frames_rx, 6u);
  EXPECT_EQ(host.stats().retransmissions, 0u);
  size_t written = 0;
  for (const auto& w : bus.writes) written += w.size();
  EXPECT_EQ(host.stats().bytes_tx, written);
  EXPECT_EQ(host.stats().bytes_rx, 5u + 40u + 14u + 16u + 10u + 5u);
}

TEST(HostTranscript, MiddlewareTimingSleepsAsSpecified) {
  FakeBus bus(script(open_steps()));
  std::vector<Micros> sleeps;
  Host host(bus, HostTiming::middleware(), [&](Micros d) { sleeps.push_back(d); });
  ASSERT_TRUE(host.open().ok());
  ASSERT_GE(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Micros{5000});  // wake-up delay
  // Then one poll delay before each write and each header read: 2 writes + 2 headers.
  ASSERT_EQ(sleeps.size(), 5u);
  for (size_t i = 1; i < sleeps.size(); ++i) EXPECT_EQ(sleeps[i], Micros{1000});
}

TEST(HostTranscript, OpenWithInterfaceReset) {
  FakeBus bus(script({
      {hex("5A C0 00 FF FC"), hex("A5 E0 00 3F 19")},
      {hex("5A CF 00 37 7F"), test::wire(0xA5, 0xEF, default_atr())},
  }));
  Host host(bus, HostTiming::immediate());
  host.set_open_mode(OpenMode::InterfaceReset);
  auto atr = host.open();
  ASSERT_TRUE(atr.ok()) << atr.error().to_string();
  EXPECT_EQ(*atr, default_atr());
  // The frame from docs/se05x-protocol.md §1.9.
  EXPECT_EQ(to_hex(test::wire(0xA5, 0xEF, default_atr())).substr(to_hex(test::wire(0xA5, 0xEF, default_atr())).size() - 4), "8777");
}

TEST(HostTranscript, Chaining521BytesSection15) {
  Bytes apdu(521);
  for (size_t i = 0; i < apdu.size(); ++i) apdu[i] = static_cast<uint8_t>(i * 7 + 3);
  auto s = open_steps();
  s.push_back({test::wire(0x5A, 0x20, ByteView(apdu).subspan(0, 254)), hex("A5 90 00 FB E9")});
  s.push_back({test::wire(0x5A, 0x60, ByteView(apdu).subspan(254, 254)), hex("A5 80 00 6A 7C")});
  s.push_back({test::wire(0x5A, 0x00, ByteView(apdu).subspan(508, 13)), test::wire(0xA5, 0x00, hex("90 00"))});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(apdu);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r), "9000");
  ASSERT_EQ(bus.writes.size(), 5u);
  EXPECT_EQ(to_hex(ByteView(bus.writes[2]).first(3), true), "5A 20 FE");
  EXPECT_EQ(to_hex(ByteView(bus.writes[3]).first(3), true), "5A 60 FE");
  EXPECT_EQ(to_hex(ByteView(bus.writes[4]).first(3), true), "5A 00 0D");
}

TEST(HostTranscript, ResponseChainingIsAcked) {
  Bytes resp(600);
  for (size_t i = 0; i < resp.size(); ++i) resp[i] = static_cast<uint8_t>(i);
  auto s = open_steps();
  s.push_back({test::wire(0x5A, 0x00, hex("80 04 00 20 00")), test::wire(0xA5, 0x20, ByteView(resp).subspan(0, 254))});
  s.push_back({hex("5A 90 00 08 2F"), test::wire(0xA5, 0x60, ByteView(resp).subspan(254, 254))});
  s.push_back({hex("5A 80 00 99 BA"), test::wire(0xA5, 0x00, ByteView(resp).subspan(508))});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, resp);
}

TEST(HostTranscript, JunkByteBeforeNad) {
  auto s = open_steps();
  Bytes answer{0xFF};  // one junk byte clocked out before the NAD
  append(answer, test::wire(0xA5, 0x00, hex("41 07 03 01 00 3F FF 01 0B 90 00")));
  s.push_back({test::wire(0x5A, 0x00, hex("80 04 00 20 00")), answer});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  bus.read_sizes.clear();
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r, true), "41 07 03 01 00 3F FF 01 0B 90 00");
  EXPECT_EQ(bus.read_sizes, (std::vector<size_t>{2, 2, 13}));
}

TEST(HostTranscript, NadErrorRNackMakesHostRetransmit) {
  auto s = open_steps();
  const Bytes cmd = test::wire(0x5A, 0x00, hex("80 04 00 20 00"));
  s.push_back({cmd, test::wire(0x00, 0x82)});
  s.push_back({cmd, test::wire(0xA5, 0x00, hex("90 00"))});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r), "9000");
  EXPECT_EQ(host.stats().retransmissions, 1u);
}

TEST(HostTranscript, WtxAnsweredWithInf01) {
  auto s = open_steps();
  const Bytes cmd = test::wire(0x5A, 0x00, hex("80 04 00 20 00"));
  s.push_back({cmd, hex("A5 C3 01 01 1B DD")});
  s.push_back({hex("5A E3 01 01 F2 1B"), hex("A5 C3 01 01 1B DD")});
  s.push_back({hex("5A E3 01 01 F2 1B"), test::wire(0xA5, 0x00, hex("90 00"))});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r), "9000");
  EXPECT_EQ(host.stats().wtx_seen, 2u);
}

TEST(HostTranscript, BadCrcAnsweredWithRNackCrc) {
  auto s = open_steps();
  const Bytes cmd = test::wire(0x5A, 0x00, hex("80 04 00 20 00"));
  Bytes bad = test::wire(0xA5, 0x00, hex("90 00"));
  bad.back() ^= 1;
  s.push_back({cmd, bad});
  s.push_back({hex("5A 81 00 41 A3"), test::wire(0xA5, 0x00, hex("90 00"))});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  auto r = host.transceive(hex("80 04 00 20 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(host.stats().crc_errors, 1u);
}

TEST(HostTranscript, ChipResetAndInterfaceReset) {
  auto s = open_steps();
  s.push_back({hex("5A C6 00 2F A8"), test::wire(0xA5, 0xE6)});
  s.push_back({hex("5A CF 00 37 7F"), test::wire(0xA5, 0xEF, default_atr())});
  FakeBus bus(script(s));
  Host host(bus, HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  EXPECT_TRUE(host.chip_reset().ok());
  auto atr = host.interface_reset();
  ASSERT_TRUE(atr.ok()) << atr.error().to_string();
  EXPECT_EQ(*atr, default_atr());
  EXPECT_EQ(host.stats().resets, 2u);
}

TEST(HostTranscript, TransceiveBeforeOpenIsClosed) {
  FakeBus bus(script({}));
  Host host(bus, HostTiming::immediate());
  auto r = host.transceive(hex("00 A4 04 00"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Closed);
}

}  // namespace
}  // namespace sx::t1
