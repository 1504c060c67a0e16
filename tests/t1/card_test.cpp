// The SE side: docs/se05x-protocol.md Appendix A replayed into the Card, plus its framing and retransmission rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "fake_bus.h"
#include "t1/atr.h"
#include "t1/card.h"

namespace sx::t1 {
namespace {

// Answers of the docs/se05x-protocol.md Appendix A transcript.
Bytes transcript_handler(ByteView c) {
  const std::string h = to_hex(c);
  if (h.rfind("00A40400", 0) == 0) return hex("03 01 00 3F FF 01 0B 90 00");
  if (h == "8004002000") return hex("41 07 03 01 00 3F FF 01 0B 90 00");
  if (h.rfind("8004002706", 0) == 0) return hex("41 01 01 90 00");
  return hex("6D 00");
}

// Reads one pending frame the way the NXP MW does: 2, then 1, then LEN + 2 bytes.
Bytes read_mw(Card& card) {
  std::array<uint8_t, 2> h{};
  if (!card.read(h).ok()) return {};
  std::array<uint8_t, 1> l{};
  EXPECT_TRUE(card.read(l).ok());
  Bytes body(l[0] + 2u);
  EXPECT_TRUE(card.read(body).ok());
  Bytes out{h[0], h[1], l[0]};
  append(out, body);
  return out;
}

std::string send(Card& card, const char* frame_hex) {
  EXPECT_TRUE(card.write(hex(frame_hex)).ok());
  return to_hex(read_mw(card), true);
}

TEST(CardTranscript, AppendixA) {
  Card card(transcript_handler);
  std::array<uint8_t, 260> drain{};
  EXPECT_EQ(card.read(drain).error().code, Errc::Nack);  // nothing pending
  EXPECT_EQ(send(card, "5A C0 00 FF FC"), "A5 E0 00 3F 19");
  EXPECT_EQ(send(card, "5A C7 00 F7 B1"),
            "A5 E7 23 00 A0 00 00 03 96 04 03 E8 00 FE 02 0B 03 E8 08 01 00 00 00 00 64 00 00 0A "
            "4A 43 4F 50 34 20 41 54 50 4F 2A 8D");
  EXPECT_EQ(send(card, "5A 00 16 00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00 A8 C8"),
            "A5 00 09 03 01 00 3F FF 01 0B 90 00 78 54");
  EXPECT_EQ(send(card, "5A 40 05 80 04 00 20 00 22 93"), "A5 40 0B 41 07 03 01 00 3F FF 01 0B 90 00 91 C1");
  EXPECT_EQ(send(card, "5A 00 0B 80 04 00 27 06 41 04 20 18 10 01 25 90"), "A5 00 05 41 01 01 90 00 DB E8");
  EXPECT_EQ(send(card, "5A C5 00 47 82"), "A5 E5 00 87 67");
  const CardStats st = card.stats();
  EXPECT_EQ(st.apdus, 3u);
  EXPECT_EQ(st.frames_in, 6u);
  EXPECT_EQ(st.frames_out, 6u);
  EXPECT_EQ(st.bytes_out, 5u + 40u + 14u + 16u + 10u + 5u);
  EXPECT_EQ(st.nacks, 1u);  // the drain read
}

TEST(CardTranscript, ErrorReplyFromAppendixA) {
  int n = 0;
  Card card([&](ByteView) { return ++n == 1 ? hex("90 00") : hex("6A 80"); });
  EXPECT_EQ(send(card, "5A C0 00 FF FC"), "A5 E0 00 3F 19");
  (void)send(card, "5A 00 05 80 04 00 20 00 24 54");
  EXPECT_EQ(send(card, "5A 40 05 80 04 00 20 00 22 93"), "A5 40 02 6A 80 C5 BC");
}

TEST(Card, InterfaceResetAnswersAtr) {
  Card card(transcript_handler);
  const std::string r = send(card, "5A CF 00 37 7F");
  EXPECT_EQ(r.substr(0, 8), "A5 EF 23");
  EXPECT_EQ(r.substr(r.size() - 5), "87 77");
}

TEST(Card, OtherSBlocks) {
  bool reset = false;
  Card card(transcript_handler, [&] { reset = true; });
  EXPECT_EQ(send(card, "5A C6 00 2F A8"), to_hex(test::wire(0xA5, 0xE6), true));
  EXPECT_TRUE(reset);
  EXPECT_EQ(send(card, "5A DF 00 A6 EA"), to_hex(test::wire(0xA5, 0xFF), true));
  EXPECT_EQ(card.stats().chip_resets, 1u);
}

TEST(Card, FrameCanBeReadInAnyPieces) {
  Card card(transcript_handler);
  ASSERT_TRUE(card.write(hex("5A C7 00 F7 B1")).ok());
  Bytes got;
  for (;;) {
    std::array<uint8_t, 1> b{};
    if (!card.read(b).ok()) break;
    got.push_back(b[0]);
  }
  EXPECT_EQ(got.size(), 40u);
  EXPECT_EQ(to_hex(ByteView(got).last(2)), "2A8D");
}

TEST(Card, OverlongReadIsPaddedThenNacks) {
  Card card(transcript_handler);
  ASSERT_TRUE(card.write(hex("5A C0 00 FF FC")).ok());
  std::array<uint8_t, 260> buf{};
  ASSERT_TRUE(card.read(buf).ok());
  EXPECT_EQ(to_hex(ByteView(buf).first(5), true), "A5 E0 00 3F 19");
  EXPECT_EQ(buf[5], 0xFF);
  EXPECT_EQ(buf[259], 0xFF);
  std::array<uint8_t, 2> more{};
  EXPECT_EQ(card.read(more).error().code, Errc::Nack);
}

TEST(Card, BadCrcAndBadFramesAreNacked) {
  Card card(transcript_handler);
  EXPECT_EQ(send(card, "5A C0 00 FF FD"), to_hex(test::wire(0xA5, 0x81), true));
  EXPECT_EQ(send(card, "A5 C0 00 FF FC"), to_hex(test::wire(0xA5, 0x82), true));  // wrong NAD
  EXPECT_EQ(send(card, "5A C0 01 FF FC"), to_hex(test::wire(0xA5, 0x82), true));  // LEN mismatch
  EXPECT_EQ(send(card, to_hex(test::wire(0x5A, 0x01)).c_str()), to_hex(test::wire(0xA5, 0x82), true));  // bad PCB
  EXPECT_EQ(send(card, to_hex(test::wire(0x5A, 0xC4), true).c_str()), to_hex(test::wire(0xA5, 0x82), true));
  EXPECT_EQ(card.stats().apdus, 0u);
}

TEST(Card, CommandChainAckedAndRepeatedBlocksNotExecutedTwice) {
  std::vector<Bytes> seen;
  Card card([&](ByteView c) {
    seen.emplace_back(c.begin(), c.end());
    return hex("90 00");
  });
  (void)send(card, "5A C0 00 FF FC");
  const Bytes a(254, 0x11), b(10, 0x22);
  EXPECT_EQ(send(card, to_hex(test::wire(0x5A, 0x20, a)).c_str()), "A5 90 00 FB E9");
  // Same block again (our ACK was lost): ACK again, no double append.
  EXPECT_EQ(send(card, to_hex(test::wire(0x5A, 0x20, a)).c_str()), "A5 90 00 FB E9");
  const std::string resp = send(card, to_hex(test::wire(0x5A, 0x40, b)).c_str());
  EXPECT_EQ(resp, to_hex(test::wire(0xA5, 0x00, hex("90 00")), true));
  // The last block again: the same answer, handler not called again.
  EXPECT_EQ(send(card, to_hex(test::wire(0x5A, 0x40, b)).c_str()), resp);
  ASSERT_EQ(seen.size(), 1u);
  Bytes want(264, 0x11);
  std::fill(want.begin() + 254, want.end(), uint8_t{0x22});
  EXPECT_EQ(seen[0], want);
  // R(NACK) from the host: last frame again.
  EXPECT_EQ(send(card, "5A 81 00 41 A3"), resp);
}

TEST(Card, ResponseChainWaitsForAcks) {
  Bytes big(600);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 3);
  Card card([&](ByteView) { return big; });
  (void)send(card, "5A C0 00 FF FC");
  const std::string c1 = send(card, to_hex(test::wire(0x5A, 0x00, hex("80 02 00 00"))).c_str());
  EXPECT_EQ(c1, to_hex(test::wire(0xA5, 0x20, ByteView(big).first(254)), true));
  std::array<uint8_t, 2> none{};
  EXPECT_EQ(card.read(none).error().code, Errc::Nack);  // waits for our R(ACK)
  // R(ACK) naming the block we already have → it repeats, chaining does not advance.
  EXPECT_EQ(send(card, "5A 80 00 99 BA"), c1);
  EXPECT_EQ(send(card, "5A 90 00 08 2F"), to_hex(test::wire(0xA5, 0x60, ByteView(big).subspan(254, 254)), true));
  EXPECT_EQ(send(card, "5A 80 00 99 BA"), to_hex(test::wire(0xA5, 0x00, ByteView(big).subspan(508)), true));
}

TEST(Card, FreshChipStaysSilentOnRBlock) {
  Card card(transcript_handler);
  ASSERT_TRUE(card.write(hex("5A 81 00 41 A3")).ok());
  std::array<uint8_t, 2> h{};
  EXPECT_EQ(card.read(h).error().code, Errc::Nack);
}

TEST(Card, NackBurstsAreDeterministic) {
  Card card(transcript_handler);
  CardFaults f;
  f.nack_every = 3;
  f.nack_burst = 2;
  card.set_faults(f);
  std::vector<bool> pattern;
  for (int i = 0; i < 10; ++i) pattern.push_back(card.write(hex("5A C0 00 FF FC")).ok());
  const std::vector<bool> want{true, true, false, false, true, true, false, false, true, true};
  EXPECT_EQ(pattern, want);
  EXPECT_EQ(card.stats().nacks, 4u);
}

}  // namespace
}  // namespace sx::t1
