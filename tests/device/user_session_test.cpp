// The user-session layer (device/user_session.h) on a scripted link, stacked as in
// the device stack: link -> reset recovery -> user session -> chip lock.
#include "device/user_session.h"

#include <gtest/gtest.h>

#include "device/chip_lock.h"
#include "se05x/client.h"
#include "support/recording_channel.h"

namespace sx::device::user_session_test {
namespace {

using sx::testing::RecordingChannel;

constexpr uint32_t kAuth = 0x7DA00001;
const char* kSelect = "00A4040010A0000003965453000000010300000000";
const char* kVersion = "030100003F 9000";
const char* kSid1 = "52D99A04C651BBD4";
const char* kSid2 = "0102030405060708";
const char* kPinHex = "313233343536";  // "123456"

std::string h(std::string_view s) { return to_hex(hex(s)); }
std::string created(const char* sid) { return std::string("41 08 ") + sid + " 9000"; }
// VerifySessionUserID("123456") inside the session.
std::string verify(const char* sid) { return h(std::string("80050000 19 1008") + sid + "410D 8004002C 08 4106" + kPinHex); }
std::string close_apdu(const char* sid) { return h(std::string("80050000 10 1008") + sid + "4104 8004001C"); }
// GetVersion (80 04 00 20 00) inside the session.
std::string get_version(const char* sid) { return h(std::string("80050000 10 1008") + sid + "4104 80040020"); }
const char* kCreate = "8004001B06 41047DA00001";
const char* kAttributes = "8002003B06 41047DA00001";
// UserID attributes, 3.x form: counter `counter`, max 10.
std::string attributes(int counter) {
  char b[64];
  std::snprintf(b, sizeof b, "42 0F 7DA00001 07 02 %04X 00000000 000A 01 9000", counter);
  return b;
}
Error reset(bool retry_safe) { return Error{Errc::LinkReset, "chip reset", 0, retry_safe}; }

struct UserSessionTest : ::testing::Test {
  RecordingChannel ch;
  std::vector<std::string> lines;  // everything the layers would log
  ReselectChannel rec{ch, [this](const std::string& l) { lines.push_back(l); }};
  UserSession us{rec, [this](const std::string& l) { lines.push_back(l); }};
  ChipLockChannel top{us, LockSettings{}};

  void SetUp() override {
    ch.reply(kVersion);
    ASSERT_TRUE(top.transceive(hex(kSelect)).ok());
    ch.sent.clear();
  }
  void login(const char* sid = kSid1) {
    ch.reply(created(sid));
    ch.reply("9000");
    auto s = us.login(kAuth, hex(kPinHex));
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    ch.sent.clear();
  }
  Result<Bytes> get_version_cmd() { return top.transceive(hex("80 04 00 20 00")); }
  std::vector<std::string> sent() const {
    std::vector<std::string> v;
    for (const Bytes& b : ch.sent) v.push_back(to_hex(b));
    return v;
  }
};

TEST_F(UserSessionTest, LoginIsCreateOutsideThenVerifyInside) {
  ch.reply(created(kSid1));
  ch.reply("9000");
  ASSERT_TRUE(us.login(kAuth, hex(kPinHex)).ok());
  EXPECT_TRUE(us.logged_in());
  EXPECT_EQ(sent(), (std::vector<std::string>{h(kCreate), verify(kSid1)}));
}

TEST_F(UserSessionTest, LoggedInEveryCommandButSelectAndCreateIsWrapped) {
  login();
  ch.reply("AA 9000");
  ch.reply(kVersion);
  ch.reply(created(kSid2));
  ASSERT_TRUE(get_version_cmd().ok());
  ASSERT_TRUE(top.transceive(hex(kSelect)).ok());
  ASSERT_TRUE(top.transceive(hex(kCreate)).ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{get_version(kSid1), kSelect, h(kCreate)}));
}

TEST_F(UserSessionTest, NotLoggedInNothingIsWrapped) {
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{h("80 04 00 20 00")}));
}

TEST_F(UserSessionTest, LogoutClosesTheSessionAndForgetsIt) {
  login();
  ch.reply("9000");
  ASSERT_TRUE(us.logout().ok());
  EXPECT_FALSE(us.logged_in());
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{close_apdu(kSid1), h("80 04 00 20 00")}));
  auto again = us.logout();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::NotLoggedIn);
}

TEST_F(UserSessionTest, WrongPinClosesReadsTheCounterAndSaysTriesLeft) {
  ch.reply(created(kSid1));
  ch.reply("6985");
  ch.reply("6985");  // the close of the half-open session: its SW is ignored
  ch.reply(attributes(3));
  auto s = us.login(kAuth, hex(kPinHex));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::PinIncorrect);
  EXPECT_EQ(s.error().tries_left, 7);
  EXPECT_EQ(s.error().sw, 0x6985);
  EXPECT_NE(s.error().to_string().find("7 tries left"), std::string::npos) << s.error().to_string();
  EXPECT_FALSE(us.logged_in());
  EXPECT_EQ(sent(), (std::vector<std::string>{h(kCreate), verify(kSid1), close_apdu(kSid1), h(kAttributes)}));
}

TEST_F(UserSessionTest, CounterAtMaximumIsLocked) {
  ch.reply(created(kSid1));
  ch.reply("6985");
  ch.reply("9000");
  ch.reply(attributes(10));
  auto s = us.login(kAuth, hex(kPinHex));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::PinLocked);
  EXPECT_EQ(s.error().tries_left, 0);
}

TEST_F(UserSessionTest, BlockedAnswerIsLocked) {
  ch.reply(created(kSid1));
  ch.reply("6983");
  ch.reply("9000");
  ch.reply(attributes(10));
  auto s = us.login(kAuth, hex(kPinHex));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::PinLocked);
}

TEST_F(UserSessionTest, NoSessionSlotIsBusy) {
  ch.reply("6A84");
  auto s = us.login(kAuth, hex(kPinHex));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::Busy);
  EXPECT_EQ(ch.sent.size(), 1u);
}

TEST_F(UserSessionTest, PolicyRefusalIsAccessDenied) {
  login();
  ch.reply("6986");
  se05x::Client c(top);
  auto sig = c.ecdsa_sign(0x20181001, Bytes(32, 0x11));
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, Errc::AccessDenied);
  EXPECT_EQ(sig.error().sw, 0x6986);
  EXPECT_EQ(ch.sent[0][1], 0x05) << "sent inside the session";
}

TEST_F(UserSessionTest, ResetDuringACommandReLogsInAndResendsWhatCannotHaveRun) {
  login();
  ch.reply_error(reset(true));  // the command never reached the applet
  ch.reply(kVersion);           // layer 2 replays the SELECT ...
  ch.reply("6985");             // ... and resends the command: the chip knows no such session
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AA 9000");
  auto r = get_version_cmd();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(*r), "AA9000");
  EXPECT_EQ(us.relogins(), 1u);
  EXPECT_EQ(sent(), (std::vector<std::string>{get_version(kSid1), kSelect, get_version(kSid1), h(kCreate), verify(kSid2),
                                              get_version(kSid2)}));
}

TEST_F(UserSessionTest, ACommandThatMayHaveRunIsNotResentButTheSessionComesBack) {
  login();
  ch.reply_error(reset(false));  // may have run
  ch.reply(kVersion);
  auto r = get_version_cmd();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::LinkReset);
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AB 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_TRUE(us.logged_in());
  EXPECT_EQ(sent(), (std::vector<std::string>{get_version(kSid1), kSelect, h(kCreate), verify(kSid2), get_version(kSid2)}));
}

TEST_F(UserSessionTest, ReopenedLinkReLogsInToo) {
  login();
  ASSERT_TRUE(top.open().ok());
  ch.reply(kVersion);  // the pending SELECT
  ch.reply("6985");    // the command with the dead session
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{kSelect, get_version(kSid1), h(kCreate), verify(kSid2), get_version(kSid2)}));
}

TEST_F(UserSessionTest, ASelectFromAboveEndsTheSessionAndTheNextCommandReopensIt) {
  login();
  ch.reply(kVersion);
  ASSERT_TRUE(top.transceive(hex(kSelect)).ok());
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{kSelect, h(kCreate), verify(kSid2), get_version(kSid2)}));
}

TEST_F(UserSessionTest, FailedReLoginIsNotLoggedInAndDropsThePin) {
  login();
  ch.reply_error(reset(true));
  ch.reply(kVersion);
  ch.reply("6985");
  ch.reply(created(kSid2));
  ch.reply("6985");  // the PIN was changed meanwhile
  ch.reply("9000");
  ch.reply(attributes(1));
  auto r = get_version_cmd();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::NotLoggedIn);
  EXPECT_EQ(r.error().tries_left, 9);
  EXPECT_FALSE(us.logged_in());
  ch.sent.clear();
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  EXPECT_EQ(sent(), (std::vector<std::string>{h("80 04 00 20 00")}));
}

TEST_F(UserSessionTest, ALinkStillDownKeepsThePinForTheNextCommand) {
  login();
  ch.reply_error(reset(true));
  ch.reply(kVersion);
  ch.reply("6985");
  ch.reply_error(make_error(Errc::Timeout, "no answer"));  // CreateSession of the re-login
  auto r = get_version_cmd();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout);
  EXPECT_TRUE(us.logged_in());
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
}

TEST_F(UserSessionTest, LoginRunsUnderTheCallersChipLockAndTakesNoneItself) {
  ch.reply(created(kSid1));
  ch.reply("9000");
  ASSERT_TRUE(us.login(kAuth, hex(kPinHex)).ok());
  EXPECT_EQ(ch.locks, 0);
  ch.reply("9000");
  ASSERT_TRUE(us.logout().ok());
  ch.reply(created(kSid1));
  ch.reply("9000");
  {
    ChipLock guard(top);
    ASSERT_TRUE(guard.status().ok());
    ASSERT_TRUE(us.login(kAuth, hex(kPinHex)).ok());
    EXPECT_EQ(ch.depth, 1);
  }
  EXPECT_EQ(ch.locks, 1);
  EXPECT_EQ(ch.max_depth, 1);
}

TEST_F(UserSessionTest, NoPinBytesInAnyLogLineOrError) {
  std::vector<std::string> texts;
  // A wrong PIN, a login, a reset with a re-login, a failed re-login.
  ch.reply(created(kSid1));
  ch.reply("6985");
  ch.reply("9000");
  ch.reply(attributes(1));
  texts.push_back(us.login(kAuth, hex(kPinHex)).error().to_string());
  login();
  ch.reply_error(reset(true));
  ch.reply(kVersion);
  ch.reply("6985");
  ch.reply(created(kSid2));
  ch.reply("9000");
  ch.reply("AA 9000");
  ASSERT_TRUE(get_version_cmd().ok());
  ch.reply_error(reset(true));
  ch.reply(kVersion);
  ch.reply("6985");
  ch.reply(created(kSid1));
  ch.reply("6985");
  ch.reply("9000");
  ch.reply(attributes(2));
  texts.push_back(get_version_cmd().error().to_string());
  texts.insert(texts.end(), lines.begin(), lines.end());
  ASSERT_GE(lines.size(), 3u);  // resets and the re-login were worth a line
  for (const std::string& t : texts) {
    EXPECT_EQ(t.find(kPinHex), std::string::npos) << t;
    EXPECT_EQ(t.find("123456"), std::string::npos) << t;
  }
}

}  // namespace
}  // namespace sx::device::user_session_test
