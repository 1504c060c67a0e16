// The typed session and UserID commands (docs/se05x-protocol.md §4.9): exact bytes,
// the wrapper applied by the client itself, and the typed errors of the refusals.
#include <gtest/gtest.h>

#include "fake_channel.h"
#include "se05x/client.h"

namespace sx::se05x::client_session_test {
namespace {

using testing::FakeChannel;

constexpr uint32_t kAuth = 0x7DA00001;
const SessionId kSid{0x52, 0xD9, 0x9A, 0x04, 0xC6, 0x51, 0xBB, 0xD4};
const char* kSidHex = "52D99A04C651BBD4";

struct ClientSession : ::testing::Test {
  FakeChannel ch;
  Client client{ch};
  std::string sent(size_t i) const { return ch.sent_hex(i); }
};

TEST_F(ClientSession, WriteUserIdWithPolicyAndMaxAttempts) {
  ch.reply("9000");
  const Bytes policy = hex("08 7DA00001 00100000 08 00000000 00040000");
  ASSERT_TRUE(client.write_user_id(kAuth, hex("313233343536"), 10, policy).ok());
  EXPECT_EQ(sent(0), to_hex(hex("80 41 07 00 26 11 12 08 7DA00001 00100000 08 00000000 00040000 12 02 000A "
                                "41 04 7DA00001 42 06 313233343536")));
}

TEST_F(ClientSession, WriteUserIdUnlimitedLeavesOutMaxAttempts) {
  ch.reply("9000");
  ASSERT_TRUE(client.write_user_id(kAuth, hex("31323334")).ok());
  EXPECT_EQ(sent(0), to_hex(hex("80 41 07 00 0C 41 04 7DA00001 42 04 31323334")));
}

TEST_F(ClientSession, WriteUserIdRefusesBadValuesBeforeTheChip) {
  EXPECT_EQ(client.write_user_id(kAuth, hex("313233")).error().code, Errc::InvalidArgument);
  EXPECT_EQ(client.write_user_id(kAuth, Bytes(17, 0x31)).error().code, Errc::InvalidArgument);
  EXPECT_EQ(client.write_user_id(kAuth, hex("31323334"), 256).error().code, Errc::InvalidArgument);
  EXPECT_EQ(client.verify_session_user_id(kSid, hex("3132")).error().code, Errc::InvalidArgument);
  EXPECT_TRUE(ch.sent.empty());
}

TEST_F(ClientSession, CreateSessionOutsideAnySession) {
  ch.reply(std::string("41 08 ") + kSidHex + " 9000");
  auto sid = client.create_session(kAuth);
  ASSERT_TRUE(sid.ok()) << sid.error().to_string();
  EXPECT_EQ(*sid, kSid);
  EXPECT_EQ(sent(0), to_hex(hex("80 04 00 1B 06 41 04 7DA00001")));
}

TEST_F(ClientSession, CreateSessionRefusedByTheLimitsIsBusy) {
  for (const char* sw : {"6A84", "6985"}) {
    ch.reply(sw);
    auto sid = client.create_session(kAuth);
    ASSERT_FALSE(sid.ok());
    EXPECT_EQ(sid.error().code, Errc::Busy) << sw;
    EXPECT_EQ(sid.error().sw, static_cast<uint16_t>(std::stoul(sw, nullptr, 16)));
  }
  ch.reply("6A80");  // anything else stays what it was
  EXPECT_EQ(client.create_session(kAuth).error().code, Errc::StatusWord);
}

TEST_F(ClientSession, VerifyIsSentWrapped) {
  ch.reply("9000");
  ASSERT_TRUE(client.verify_session_user_id(kSid, hex("C001020304")).ok());
  EXPECT_EQ(sent(0), to_hex(hex(std::string("80 05 00 00 18 10 08 ") + kSidHex + " 41 0C 80 04 00 2C 07 41 05 C001020304")));
}

TEST_F(ClientSession, VerifyRefusalsAreTyped) {
  ch.reply("6985");
  auto wrong = client.verify_session_user_id(kSid, hex("31323334"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::PinIncorrect);
  EXPECT_EQ(wrong.error().sw, 0x6985);
  EXPECT_EQ(wrong.error().tries_left, -1);
  ch.reply("6983");
  EXPECT_EQ(client.verify_session_user_id(kSid, hex("31323334")).error().code, Errc::PinLocked);
}

TEST_F(ClientSession, SessionCommandsInsideTheWrapper) {
  for (int i = 0; i < 4; ++i) ch.reply("9000");
  const Bytes max100 = hex("04 80 00 00 64");
  ASSERT_TRUE(client.exchange_session_data(kSid, max100).ok());
  ASSERT_TRUE(client.refresh_session(kSid).ok());
  ASSERT_TRUE(client.refresh_session(kSid, max100).ok());
  ASSERT_TRUE(client.close_session(kSid).ok());
  const std::string pre = std::string("80 05 00 00 ");
  EXPECT_EQ(sent(0), to_hex(hex(pre + "18 10 08 " + kSidHex + " 41 0C 80 04 00 1F 07 41 05 0480000064")));
  EXPECT_EQ(sent(1), to_hex(hex(pre + "10 10 08 " + kSidHex + " 41 04 80 04 00 1E")));
  EXPECT_EQ(sent(2), to_hex(hex(pre + "18 10 08 " + kSidHex + " 41 0C 80 04 00 1E 07 11 05 0480000064")));
  EXPECT_EQ(sent(3), to_hex(hex(pre + "10 10 08 " + kSidHex + " 41 04 80 04 00 1C")));
}

TEST_F(ClientSession, AttributesExposeTheAttemptCounter) {
  // UserID 7DA00001 (3.x form, TAG_2): auth object, counter 3, max 10, no policy, origin external.
  ch.reply("42 0F 7DA00001 07 02 0003 00000000 000A 01 9000");
  auto a = client.read_object_attributes(kAuth);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_TRUE(a->auth_set);
  EXPECT_EQ(a->auth_attempts, 3);
  EXPECT_EQ(a->max_auth_attempts, 10);
  EXPECT_EQ(tries_left(*a), 7);
  a->auth_attempts = 12;
  EXPECT_EQ(tries_left(*a), 0);
  a->max_auth_attempts = 0;
  EXPECT_FALSE(tries_left(*a).has_value());
}

}  // namespace
}  // namespace sx::se05x::client_session_test
