// The reset-recovery layer: what it replays after a reset or a re-open, and
// when it resends the interrupted command.
#include "device/reselect_channel.h"

#include <gtest/gtest.h>

#include "se05x/fake_channel.h"

namespace sx::device {
namespace {

using se05x::testing::FakeChannel;

const char* kSelect = "00A4040010A0000003965453000000010300000000";
const char* kVersion = "030100003F 9000";

Error reset(bool retry_safe) { return Error{Errc::LinkReset, "chip reset", 0, retry_safe}; }

struct ReselectTest : ::testing::Test {
  FakeChannel ch;
  std::vector<std::string> warnings;
  ReselectChannel rec{ch, [this](const std::string& w) { warnings.push_back(w); }};
  void select() {
    ch.reply(kVersion);
    ASSERT_TRUE(rec.transceive(hex(kSelect)).ok());
    ch.sent.clear();
  }
};

TEST_F(ReselectTest, NothingIsReplayedBeforeTheAppletWasSelected) {
  ch.reply_error(reset(true));
  ch.reply("0A 9000");
  auto r = rec.transceive(hex("0A"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(ch.sent.size(), 2u);  // the command, resent; no SELECT to replay
  EXPECT_EQ(ch.sent_hex(1), "0A");
}

TEST_F(ReselectTest, ReopenReplaysTheSelectBeforeTheNextCommandOnly) {
  select();
  ASSERT_TRUE(rec.open().ok());
  ch.reply("6A82");  // a refused replay is only worth a warning
  ch.reply("0B 9000");
  ch.reply("0C 9000");
  ASSERT_TRUE(rec.transceive(hex("0B")).ok());
  ASSERT_TRUE(rec.transceive(hex("0C")).ok());
  ASSERT_EQ(ch.sent.size(), 3u);
  EXPECT_EQ(ch.sent_hex(0), kSelect);
  EXPECT_EQ(ch.sent_hex(1), "0B");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("6A82"), std::string::npos) << warnings[0];
}

TEST_F(ReselectTest, ASelectAfterReopenIsNotPrecededByTheOldOne) {
  select();
  ASSERT_TRUE(rec.open().ok());
  ch.reply(kVersion);
  ASSERT_TRUE(rec.transceive(hex(kSelect)).ok());
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST_F(ReselectTest, AReplacedLinkGetsTheSelectToo) {
  select();
  auto fresh = std::make_unique<FakeChannel>();
  FakeChannel* f = fresh.get();
  rec.replace(std::move(fresh));
  f->reply(kVersion);
  f->reply("0D 9000");
  ASSERT_TRUE(rec.transceive(hex("0D")).ok());
  ASSERT_EQ(f->sent.size(), 2u);
  EXPECT_EQ(f->sent_hex(0), kSelect);
  rec.replace(nullptr);
  auto gone = rec.transceive(hex("0E"));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Errc::Closed);
}

TEST_F(ReselectTest, ASelectInterruptedByAResetIsSentAgain) {
  ch.reply_error(reset(false));
  ch.reply(kVersion);
  auto r = rec.transceive(hex(kSelect));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ch.sent.size(), 2u);
  // ... and is remembered: the next reset replays it.
  ch.sent.clear();
  ch.reply_error(reset(true));
  ch.reply(kVersion);
  ch.reply("0F 9000");
  ASSERT_TRUE(rec.transceive(hex("0F")).ok());
  EXPECT_EQ(ch.sent_hex(1), kSelect);
}

TEST_F(ReselectTest, ALostLinkDuringTheReplayIsReturned) {
  select();
  ch.reply_error(reset(true));
  ch.reply_error(make_error(Errc::Io, "i2c gone"));
  auto r = rec.transceive(hex("10"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Io);
  EXPECT_NE(r.error().message.find("re-SELECT after link reset"), std::string::npos) << r.error().message;
  EXPECT_EQ(ch.sent.size(), 2u);
}

}  // namespace
}  // namespace sx::device
