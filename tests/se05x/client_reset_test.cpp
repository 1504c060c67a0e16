// Chip resets under the client: the device stack's reset-recovery layer
// (device/reselect_channel.h) re-SELECTs, then resends only when safe; the
// client sees a clean answer or the reset error.
#include <gtest/gtest.h>

#include "device/reselect_channel.h"
#include "fake_channel.h"
#include "se05x/channel_lock.h"
#include "se05x/client.h"

namespace sx::se05x {
namespace {

using testing::FakeChannel;

constexpr const char* kSelect = "00A4040010A0000003965453000000010300000000" "00";
constexpr const char* kCheck = "80040027064104" "20181001";
constexpr const char* kVersion = "03 01 00 3F FF 01 0B 90 00";

Error reset(bool retry_safe) { return Error{Errc::LinkReset, "chip reset", 0, retry_safe}; }

// A client on the recovery layer, with the applet selected once.
struct Selected {
  FakeChannel ch;
  device::ReselectChannel rec{ch};
  Client client{rec};
  Selected() {
    ch.reply(kVersion);
    EXPECT_TRUE(client.select().ok());
    ch.sent.clear();
  }
};

TEST(LinkReset, ReselectsAndRetriesWhenSafe) {
  Selected s;
  s.ch.reply_error(reset(true));
  s.ch.reply(kVersion);
  s.ch.reply("41 01 01 90 00");
  auto r = s.client.check_object_exists(0x20181001);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(*r);
  ASSERT_EQ(s.ch.sent.size(), 3u);
  EXPECT_EQ(s.ch.sent_hex(0), kCheck);
  EXPECT_EQ(s.ch.sent_hex(1), kSelect);
  EXPECT_EQ(s.ch.sent_hex(2), kCheck);
  EXPECT_TRUE(s.client.applet_version().has_value());
}

TEST(LinkReset, ReselectsButDoesNotRetryWhenUnsafe) {
  Selected s;
  s.ch.reply_error(reset(false));
  s.ch.reply(kVersion);
  auto st = s.client.delete_object(0x20181001);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::LinkReset);
  EXPECT_FALSE(st.error().retry_safe);
  ASSERT_EQ(s.ch.sent.size(), 2u);
  EXPECT_EQ(s.ch.sent_hex(1), kSelect);
}

TEST(LinkReset, RetriesOnlyOnce) {
  Selected s;
  s.ch.reply_error(reset(true));
  s.ch.reply(kVersion);
  s.ch.reply_error(reset(true));
  auto r = s.client.check_object_exists(0x20181001);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::LinkReset);
  EXPECT_EQ(s.ch.sent.size(), 3u);
}

TEST(LinkReset, FailedReselectIsReported) {
  Selected s;
  s.ch.reply_error(reset(true));
  s.ch.reply("6A 82");
  auto r = s.client.check_object_exists(0x20181001);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sw, 0x6A82);
  EXPECT_NE(r.error().message.find("re-SELECT"), std::string::npos) << r.error().message;
  EXPECT_EQ(s.ch.sent.size(), 2u);
}

TEST(LinkReset, SelectItselfIsRetried) {
  FakeChannel ch;
  device::ReselectChannel rec(ch);
  Client client(rec);
  ch.reply_error(reset(false));
  ch.reply(kVersion);
  ASSERT_TRUE(client.select().ok());
  EXPECT_EQ(ch.sent.size(), 2u);
}

TEST(LinkReset, MidSequenceResetAbortsChunkedWriteAndUnlocks) {
  Selected s;
  s.ch.reply("90 00");
  s.ch.reply_error(reset(false));
  s.ch.reply(kVersion);
  auto st = s.client.create_binary(0x20181002, Bytes(600, 0x11));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::LinkReset);
  EXPECT_EQ(s.ch.sent.size(), 3u);
  EXPECT_EQ(s.ch.locks, 1);
  EXPECT_EQ(s.ch.unlocks, 1);
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
