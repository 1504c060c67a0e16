// The PlatformSCP03 layer (device/scp03_channel.h) in the device stack, against
// the in-process simulator behind a card-side channel (scp03_test_card.h):
// simulator -> SCP card -> tamper -> Scp03Channel -> reset recovery -> user session -> Client.
#include <gtest/gtest.h>

#include <cstdio>

#include "device/reselect_channel.h"
#include "device/scp03_channel.h"
#include "device/user_session.h"
#include "scp03_test_card.h"
#include "se05x/client.h"
#include "sim/simulator.h"

namespace sx::device::scp03_channel_test {
namespace {

namespace scp = se05x::scp03;

scp::StaticKeys keys_of(uint8_t first) {
  Bytes k(16);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return scp::StaticKeys(k, k, k);
}
const scp::StaticKeys kRight = keys_of(0x40);
const scp::StaticKeys kWrong = keys_of(0x10);

constexpr uint32_t kFile = 0x20181101;
constexpr uint32_t kUser = 0x7DA00001;
const Bytes kPin = {'1', '2', '3', '4', '5', '6'};
const Bytes kUserPolicy = hex("08 00000000 00140000");

KeyCandidate cand(const scp::StaticKeys& k, const std::string& name) {
  KeyCandidate c;
  c.keys = k;
  c.path = name;
  return c;
}

struct Stack {
  Stack(sim::Simulator& s, std::shared_ptr<Scp03KeyRing> ring)
      : card(s, kRight), tamper(card, s), scp(tamper, std::move(ring)) {}
  testing::ScpCard card;
  testing::Tamper tamper;
  Scp03Channel scp;
  ReselectChannel rec{scp};
  UserSession session{rec};
  se05x::Client client{session};
};

struct Scp03ChannelTest : ::testing::Test {
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<Stack> st;
  std::vector<std::string> opened;  // what the ring reported

  void start(std::vector<KeyCandidate> cands, const std::string& variant = "SE050C") {
    sim::Config cfg;  // RAM only
    cfg.fsync = false;
    cfg.variant = variant;
    auto s = sim::Simulator::open(cfg);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    sim = std::move(*s);
    auto ring = std::make_shared<Scp03KeyRing>(std::move(cands),
                                               [this](const KeyCandidate& c) { opened.push_back(c.path); });
    st = std::make_unique<Stack>(*sim, ring);
  }
  void start_selected(const std::string& variant = "SE050C") {
    start({cand(kRight, "keys")}, variant);
    auto v = st->client.select();
    ASSERT_TRUE(v.ok()) << v.error().to_string();
  }
  uint64_t writes() const {
    auto s = sim->stats();
    auto it = s.commands.find("WriteBinary");
    return it == s.commands.end() ? 0 : it->second.count;
  }
};

TEST_F(Scp03ChannelTest, SelectOpensTheChannelAndEverythingElseIsWrapped) {
  start_selected();
  EXPECT_TRUE(st->scp.channel_open());
  EXPECT_TRUE(st->card.open_channel());
  EXPECT_EQ(st->scp.handshakes(), 1u);
  EXPECT_EQ(st->card.initialize_updates, 1);
  ASSERT_TRUE(st->client.get_version().ok());  // no data: the 3.x counter rule
  auto cb = st->client.create_binary(kFile, hex("0102030405"));
  ASSERT_TRUE(cb.ok()) << cb.error().to_string();
  auto back = st->client.read_binary(kFile);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, hex("0102030405"));
  EXPECT_EQ(st->card.plain_commands, 0);
  EXPECT_GE(st->card.wrapped, 3);
  EXPECT_EQ(opened, std::vector<std::string>{"keys"});
}

TEST_F(Scp03ChannelTest, Applet7UsesTheOtherCounterRule) {
  start_selected("SE050E");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(st->client.get_version().ok());
  ASSERT_TRUE(st->client.create_binary(kFile, hex("0A0B")).ok());
  ASSERT_TRUE(st->client.get_version().ok());
  EXPECT_EQ(st->card.plain_commands, 0);
}

TEST_F(Scp03ChannelTest, ACardThatRequiresTheChannelSeesNoPlainCommand) {
  start({cand(kRight, "keys")});
  st->card.required = true;
  ASSERT_TRUE(st->client.select().ok());
  ASSERT_TRUE(st->client.create_binary(kFile, hex("0A0B")).ok());
  EXPECT_EQ(st->card.refused, 0);
}

TEST_F(Scp03ChannelTest, FlippedCommandByteIsATypedErrorAndTheNextOperationReopens) {
  start_selected();
  ASSERT_TRUE(st->client.create_binary(kFile, hex("01010101")).ok());
  const uint64_t before = writes();
  st->tamper.next = testing::Tamper::Next::FlipCommand;
  auto s = st->client.update_binary(kFile, hex("02020202"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::SecureChannel) << s.error().to_string();
  EXPECT_FALSE(st->scp.channel_open());
  EXPECT_EQ(st->card.refused, 1);
  // The next operation re-selects (re-opening the channel) and succeeds.
  auto back = st->client.read_binary(kFile);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, hex("01010101"));  // the tampered write never ran
  EXPECT_EQ(writes(), before);
  EXPECT_EQ(st->scp.handshakes(), 2u);
  EXPECT_EQ(st->rec.replays(), 1u);
}

TEST_F(Scp03ChannelTest, FlippedAnswerByteIsATypedErrorAndTheWriteRanOnce) {
  start_selected();
  ASSERT_TRUE(st->client.create_binary(kFile, hex("01010101")).ok());
  const uint64_t before = writes();
  st->tamper.next = testing::Tamper::Next::FlipAnswer;
  auto s = st->client.update_binary(kFile, hex("03030303"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::SecureChannel) << s.error().to_string();
  auto back = st->client.read_binary(kFile);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, hex("03030303"));
  EXPECT_EQ(writes(), before + 1);  // run once, never resent
  EXPECT_EQ(st->scp.handshakes(), 2u);
}

TEST_F(Scp03ChannelTest, ACardThatDroppedTheChannelIsATypedError) {
  start_selected();
  st->card.drop_channel();
  auto v = st->client.get_version();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::SecureChannel);
  EXPECT_NE(v.error().message.find("69 82"), std::string::npos) << v.error().message;
  ASSERT_TRUE(st->client.get_version().ok());
}

TEST_F(Scp03ChannelTest, WrongKeysThenRightKeysAndTheWorkingSetIsReported) {
  start({cand(kWrong, "/etc/se05x/scp03.keys"), cand(kRight, "/etc/se05x/scp03.keys.next")});
  ASSERT_TRUE(st->client.select().ok());
  EXPECT_EQ(st->card.initialize_updates, 2);  // one extra INITIALIZE UPDATE, no EXTERNAL AUTHENTICATE
  ASSERT_NE(st->scp.keys().used(), nullptr);
  EXPECT_EQ(st->scp.keys().used()->path, "/etc/se05x/scp03.keys.next");
  EXPECT_EQ(opened, std::vector<std::string>{"/etc/se05x/scp03.keys.next"});
  // The working set goes first from now on.
  ASSERT_TRUE(st->client.select().ok());
  EXPECT_EQ(st->card.initialize_updates, 3);
  EXPECT_EQ(opened.size(), 1u);
}

TEST_F(Scp03ChannelTest, NoWorkingKeysNamesTheFilesAndNothingGoesPlain) {
  start({cand(kWrong, "/etc/a.keys"), cand(keys_of(0x70), "/etc/b.keys")});
  auto v = st->client.select();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::SecureChannel);
  EXPECT_NE(v.error().message.find("no key set opens a channel"), std::string::npos) << v.error().message;
  EXPECT_NE(v.error().message.find("/etc/a.keys"), std::string::npos);
  EXPECT_NE(v.error().message.find("/etc/b.keys"), std::string::npos);
  EXPECT_EQ(v.error().message.find(to_hex(kWrong.enc)), std::string::npos);
  auto g = st->client.get_version();
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, Errc::SecureChannel);
  EXPECT_EQ(st->card.plain_commands, 0);
  EXPECT_TRUE(opened.empty());
}

TEST_F(Scp03ChannelTest, IssuerDomainSelectStaysPlain) {
  start_selected();
  auto r = st->scp.transceive(hex("00 A4 04 00 00"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(st->scp.channel_open());
  EXPECT_EQ(st->card.initialize_updates, 1);
  ASSERT_TRUE(st->client.select().ok());
  EXPECT_TRUE(st->scp.channel_open());
}

TEST_F(Scp03ChannelTest, ChipResetMidSessionReopensChannelAndSessionTransparently) {
  start_selected();
  ASSERT_TRUE(st->client.write_user_id(kUser, kPin, 10, kUserPolicy).ok());
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  st->tamper.next = testing::Tamper::Next::ResetBefore;
  auto v = st->client.get_version();
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(st->scp.handshakes(), 2u);
  EXPECT_EQ(st->session.relogins(), 1u);
  EXPECT_TRUE(st->session.logged_in());
  // A reset after a command ran: not resent, the error goes up; the next one works.
  st->tamper.next = testing::Tamper::Next::ResetAfter;
  EXPECT_FALSE(st->client.create_binary(kFile, hex("0101")).ok());
  ASSERT_TRUE(st->client.get_version().ok());
  EXPECT_EQ(st->scp.handshakes(), 3u);
  EXPECT_TRUE(st->session.logged_in());
  EXPECT_EQ(st->card.plain_commands, 0);
  ASSERT_TRUE(st->session.logout().ok());
}

TEST_F(Scp03ChannelTest, AMacFailureInsideAUserSessionReopensBoth) {
  start_selected();
  ASSERT_TRUE(st->client.write_user_id(kUser, kPin, 10, kUserPolicy).ok());
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  st->tamper.next = testing::Tamper::Next::FlipAnswer;
  auto v = st->client.get_version();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::SecureChannel);
  auto again = st->client.get_version();
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(st->session.relogins(), 1u);
  EXPECT_TRUE(st->session.logged_in());
}

}  // namespace
}  // namespace sx::device::scp03_channel_test
