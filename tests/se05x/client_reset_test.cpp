// Chip resets during an exchange: re-SELECT, then resend only when safe.
#include <gtest/gtest.h>

#include "fake_channel.h"
#include "se05x/channel_lock.h"
#include "se05x/client.h"

namespace sx::se05x {
namespace {

using testing::FakeChannel;

constexpr const char* kSelect = "00A4040010A0000003965453000000010300000000" "00";
constexpr const char* kCheck = "80040027064104" "20181001";

Error reset(bool retry_safe) { return Error{Errc::LinkReset, "chip reset", 0, retry_safe}; }

TEST(LinkReset, ReselectsAndRetriesWhenSafe) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(reset(true));
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  ch.reply("41 01 01 90 00");
  auto r = client.check_object_exists(0x20181001);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(*r);
  ASSERT_EQ(ch.sent.size(), 3u);
  EXPECT_EQ(ch.sent_hex(0), kCheck);
  EXPECT_EQ(ch.sent_hex(1), kSelect);
  EXPECT_EQ(ch.sent_hex(2), kCheck);
  EXPECT_TRUE(client.applet_version().has_value());
}

TEST(LinkReset, ReselectsButDoesNotRetryWhenUnsafe) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(reset(false));
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  auto st = client.delete_object(0x20181001);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::LinkReset);
  EXPECT_FALSE(st.error().retry_safe);
  ASSERT_EQ(ch.sent.size(), 2u);
  EXPECT_EQ(ch.sent_hex(1), kSelect);
}

TEST(LinkReset, RetriesOnlyOnce) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(reset(true));
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  ch.reply_error(reset(true));
  auto r = client.check_object_exists(0x20181001);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::LinkReset);
  EXPECT_EQ(ch.sent.size(), 3u);
}

TEST(LinkReset, FailedReselectIsReported) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(reset(true));
  ch.reply("6A 82");
  auto r = client.check_object_exists(0x20181001);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sw, 0x6A82);
  EXPECT_NE(r.error().message.find("re-SELECT"), std::string::npos) << r.error().message;
  EXPECT_EQ(ch.sent.size(), 2u);
  EXPECT_FALSE(client.applet_version().has_value());
}

TEST(LinkReset, SelectItselfIsRetried) {
  FakeChannel ch;
  Client client(ch);
  ch.reply_error(reset(false));
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  ASSERT_TRUE(client.select().ok());
  EXPECT_EQ(ch.sent.size(), 2u);
}

TEST(LinkReset, MidSequenceResetAbortsChunkedWriteAndUnlocks) {
  FakeChannel ch;
  Client client(ch);
  ch.reply("90 00");
  ch.reply_error(reset(false));
  ch.reply("03 01 00 3F FF 01 0B 90 00");
  auto st = client.create_binary(0x20181002, Bytes(600, 0x11));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::LinkReset);
  EXPECT_EQ(ch.sent.size(), 3u);
  EXPECT_EQ(ch.locks, 1);
  EXPECT_EQ(ch.unlocks, 1);
}

class FailingLock : public FakeChannel {
 public:
  Status lock() override { return make_error(Errc::Io, "broker gone"); }
};

TEST(ChannelLockTest, FailedLockStopsTheSequenceAndSkipsUnlock) {
  FailingLock ch;
  Client client(ch);
  auto r = client.read_binary(1, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Io);
  EXPECT_TRUE(ch.sent.empty());
  EXPECT_EQ(ch.unlocks, 0);
  {
    FakeChannel plain;
    ChannelLock lock(plain);
    EXPECT_TRUE(lock.status().ok());
    EXPECT_EQ(plain.locks, 1);
  }
}

}  // namespace
}  // namespace sx::se05x
