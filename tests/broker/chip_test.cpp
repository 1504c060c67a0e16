#include "broker/chip.h"

#include <gtest/gtest.h>

#include "broker/apdu_watch.h"
#include "fake_chip.h"

namespace sx::broker {
namespace {

using testing::FakeChipState;

const char* kSelect = "00A4040010A0000003965453000000010300000000";

link::JrcpPeer peer(uint64_t id) {
  link::JrcpPeer p;
  p.id = id;
  p.name = "client#" + std::to_string(id);
  return p;
}

struct ChipTest : ::testing::Test {
  std::shared_ptr<FakeChipState> s = std::make_shared<FakeChipState>();
  std::vector<std::string> lines;
  Chip chip{testing::fake_factory(s), "fake", [this](LogLevel, const std::string& m) { lines.push_back(m); }};
};

TEST_F(ChipTest, ForwardsAndOpensLazilyOnce) {
  EXPECT_EQ(s->opens, 0);
  EXPECT_EQ(chip.atr(), hex("3B00"));
  EXPECT_EQ(chip.transceive_from(peer(1), hex("0102")), hex("0102 9000"));
  EXPECT_EQ(chip.transceive_from(peer(2), hex("0304")), hex("0304 9000"));
  EXPECT_EQ(s->opens, 1);
  EXPECT_EQ(chip.state().apdus, 2u);
  EXPECT_TRUE(chip.state().up);
}

TEST_F(ChipTest, LinkFailureGivesNoAnswerThenReopensAndReselects) {
  EXPECT_EQ(chip.transceive_from(peer(1), hex(kSelect)), hex("030100003F 9000"));
  s->fail_next = 1;
  EXPECT_TRUE(chip.transceive_from(peer(1), hex("0A")).empty());  // no answer: a clear failure
  ChipState st = chip.state();
  EXPECT_FALSE(st.up);
  EXPECT_NE(st.last_error.find("i2c write failed"), std::string::npos);
  EXPECT_EQ(st.failed_apdus, 1u);
  EXPECT_EQ(s->closes, 1);
  size_t before = s->sent.size();
  // Next request: link re-opened, SELECT replayed, then the command.
  EXPECT_EQ(chip.transceive_from(peer(2), hex("0B")), hex("0B 9000"));
  EXPECT_EQ(s->opens, 2);
  ASSERT_EQ(s->sent.size(), before + 2);
  EXPECT_EQ(s->sent[before], hex(kSelect));
  EXPECT_EQ(s->sent[before + 1], hex("0B"));
  EXPECT_TRUE(chip.state().up);
  EXPECT_TRUE(chip.state().last_error.empty());
}

TEST_F(ChipTest, UnreachableChipAnswersEmptyAndRetriesEachRequest) {
  s->refuse_open = true;
  EXPECT_TRUE(chip.atr().empty());
  EXPECT_TRUE(chip.transceive_from(peer(1), hex("0A")).empty());
  EXPECT_EQ(chip.state().failed_opens, 2u);
  EXPECT_NE(chip.state().last_error.find("no such device"), std::string::npos);
  s->refuse_open = false;
  EXPECT_EQ(chip.transceive_from(peer(1), hex("0A")), hex("0A 9000"));
}

TEST_F(ChipTest, SlowFailingOpenIsNotRetriedAtOnce) {
  s->refuse_open = true;
  s->open_delay_ms = 60;
  EXPECT_TRUE(chip.transceive_from(peer(1), hex("0A")).empty());
  EXPECT_TRUE(chip.transceive_from(peer(2), hex("0B")).empty());  // fails fast, same cause
  EXPECT_EQ(s->open_attempts, 1);
  EXPECT_NE(chip.state().last_error.find("no such device"), std::string::npos);
}

TEST_F(ChipTest, LinkResetReselectsAndResendsWhenSafe) {
  chip.transceive_from(peer(1), hex(kSelect));
  s->reset_next = 1;
  s->reset_retry_safe = true;
  size_t before = s->sent.size();
  EXPECT_EQ(chip.transceive_from(peer(1), hex("0C")), hex("0C 9000"));
  ASSERT_EQ(s->sent.size(), before + 3);
  EXPECT_EQ(s->sent[before + 1], hex(kSelect));
  EXPECT_EQ(s->sent[before + 2], hex("0C"));
}

TEST_F(ChipTest, LinkResetNotSafeIsNotResent) {
  chip.transceive_from(peer(1), hex(kSelect));
  s->reset_next = 1;
  s->reset_retry_safe = false;
  size_t before = s->sent.size();
  EXPECT_TRUE(chip.transceive_from(peer(1), hex("0C")).empty());
  ASSERT_EQ(s->sent.size(), before + 2);  // the command, then the re-SELECT; no resend
  EXPECT_EQ(s->sent[before + 1], hex(kSelect));
  EXPECT_TRUE(chip.state().up);  // a reset link is still usable
}

TEST_F(ChipTest, SessionsOfDepartedClientAreClosed) {
  Bytes r = chip.transceive_from(peer(7), hex("800400 1B 06 4104 00000002"));
  // A virtual session ID (docs/chip-pin.md §4): never the chip's.
  ASSERT_EQ(r.size(), 12u);
  EXPECT_EQ(Bytes(r.begin(), r.begin() + 2), hex("4108"));
  EXPECT_NE(r, hex("4108 0000000000000001 9000"));
  chip.transceive_from(peer(8), hex("800400 1B 06 4104 00000003"));  // another client's session
  EXPECT_EQ(chip.state().open_sessions.at(7), 1u);
  size_t before = s->sent.size();
  chip.client_gone(peer(7), true);
  ASSERT_EQ(s->sent.size(), before + 1);
  EXPECT_EQ(s->sent[before], hex("80050000 10 1008 0000000000000001 4104 8004001C"));
  EXPECT_EQ(chip.state().sessions_closed, 1u);
  EXPECT_EQ(chip.state().open_sessions.count(7), 0u);
  EXPECT_EQ(chip.state().open_sessions.at(8), 1u);  // untouched
}

TEST_F(ChipTest, SessionClosedByClientIsForgotten) {
  Bytes r = chip.transceive_from(peer(3), hex("800400 1B 06 4104 00000002"));
  ASSERT_EQ(r.size(), 12u);
  SessionId vid;
  std::copy_n(r.begin() + 2, 8, vid.begin());
  // The chip's real ID is unknown to the broker's clients: refused without reaching the chip.
  size_t before = s->sent.size();
  EXPECT_EQ(chip.transceive_from(peer(3), close_session_apdu(SessionId{0, 0, 0, 0, 0, 0, 0, 1})), hex("6985"));
  EXPECT_EQ(s->sent.size(), before);
  // Closing the virtual session closes the chip session (its last user).
  EXPECT_EQ(chip.transceive_from(peer(3), close_session_apdu(vid)), hex("9000"));
  ASSERT_EQ(s->sent.size(), before + 1);
  EXPECT_EQ(s->sent.back(), hex("80050000 10 1008 0000000000000001 4104 8004001C"));
  before = s->sent.size();
  chip.client_gone(peer(3), false);
  EXPECT_EQ(s->sent.size(), before);  // nothing left to close
}

TEST(ApduWatch, Recognisers) {
  EXPECT_TRUE(is_select_by_aid(hex(kSelect)));
  EXPECT_FALSE(is_select_by_aid(hex("00A4")));
  EXPECT_FALSE(is_select_by_aid(hex("80A4040000")));
  EXPECT_FALSE(created_session(hex("8004001B064104000000"), hex("4108 0102030405060708 6985")).has_value());
  EXPECT_FALSE(created_session(hex("8004001B064104000000"), hex("4107 01020304050607 9000")).has_value());
  auto id = created_session(hex("8004001B06410400000002"), hex("4108 0102030405060708 9000"));
  ASSERT_TRUE(id);
  EXPECT_EQ(to_hex(*id), "0102030405060708");
  auto c = close_session_apdu(*id);
  EXPECT_EQ(closed_session(c, hex("9000")), id);
  EXPECT_FALSE(closed_session(c, hex("6985")).has_value());
  for (size_t n = 0; n < c.size(); ++n) EXPECT_FALSE(closed_session(ByteView(c).first(n), hex("9000")));
}

}  // namespace
}  // namespace sx::broker
