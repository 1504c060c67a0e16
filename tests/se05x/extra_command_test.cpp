// The description is the only place a command is written: this build adds the made-up
// TestEcho (extra_commands.def) and the client encodes and decodes it, the simulator
// dispatches it and checks its request before its handler (below) runs, and the broker's
// matcher recognises it, with no other change.
#include <gtest/gtest.h>

#include "broker/apdu_watch.h"
#include "se05x/client.h"
#include "sim/applet.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"

namespace sx::sim {

namespace {
int echo_runs = 0;
}  // namespace

// The simulator's semantics of TestEcho: TAG_1 = TAG_2 reversed, TAG_2 = low byte of the ID.
Applet::Reply Applet::on_TestEcho(const Request& r) {
  ++echo_runs;
  const ByteView in = r.opt(se05x::tag::k2).value_or(ByteView{});
  const Bytes out(in.rbegin(), in.rend());
  return ok(se05x::TlvWriter().bytes(se05x::tag::k1, out).u8(se05x::tag::k2, static_cast<uint8_t>(r.u32(se05x::tag::k1))).take());
}

}  // namespace sx::sim

namespace sx::se05x {
namespace {

TEST(ExtraCommand, ClientEncodesTheRow) {
  const Bytes text = hex("6869");
  const Arg args[] = {Arg::u32(tag::k1, 0x12345678), Arg::bin(tag::k2, text)};
  auto apdu = build_request(command(CmdId::TestEcho), args, {ins::kTransient, 0, 0});
  ASSERT_TRUE(apdu.ok());
  EXPECT_EQ(to_hex(*apdu), to_hex(hex("80 84 00 7E 00 00 0A 41 04 12345678 42 02 6869 00 00")));
  // Bits outside the row's variable ones are a caller bug.
  EXPECT_EQ(build_request(command(CmdId::TestEcho), args, {0, 1, 0}).error().code, Errc::Internal);
}

class ExtraCommandSim : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = sim::Simulator::open(sim::Config{});
    ASSERT_TRUE(s.ok());
    sim = std::move(*s);
    ch = std::make_unique<testing::SimChannel>(*sim);
    client = std::make_unique<Client>(*ch);
    ASSERT_TRUE(client->select().ok());
    sim::echo_runs = 0;
  }
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<testing::SimChannel> ch;
  std::unique_ptr<Client> client;
};

TEST_F(ExtraCommandSim, SimulatorRunsItAndTheClientDecodesTheReply) {
  const Bytes text = hex("010203");
  auto a = client->run(CmdId::TestEcho, {Arg::u32(tag::k1, 0x20181001), Arg::bin(tag::k2, text)});
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(to_hex(a->fields.bytes(tag::k1)), "030201");
  EXPECT_EQ(a->fields.u8(tag::k2), 0x01);
  EXPECT_EQ(sim::echo_runs, 1);
  EXPECT_EQ(sim->stats().commands["TestEcho"].count, 1u);
}

TEST_F(ExtraCommandSim, SimulatorChecksTheRequestBeforeTheHandler) {
  // TAG_1 missing, then TAG_1 of the wrong size: 6A80 without running the handler.
  EXPECT_EQ(to_hex(sim->process(hex("80 04 00 7E 04 42 02 6869"))), "6A80");
  EXPECT_EQ(to_hex(sim->process(hex("80 04 00 7E 05 41 03 010203"))), "6A80");
  // Known INS, other P2: still "wrong P1/P2".
  EXPECT_EQ(to_hex(sim->process(hex("80 04 00 7D 06 41 04 00000001"))), "6A86");
  EXPECT_EQ(sim::echo_runs, 0);
  EXPECT_EQ(sim->process(hex("80 04 00 7E 06 41 04 00000005")), hex("41 00 42 01 05 90 00"));
  EXPECT_EQ(sim::echo_runs, 1);
}

TEST(ExtraCommand, ClientRejectsAReplyThatDoesNotFitTheRow) {
  // A reply the row does not describe (TAG_2 missing) is Malformed, named after the row.
  const Command& c = command(CmdId::TestEcho);
  auto bad = decode_reply(c, hex("41 01 00"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::Malformed);
  EXPECT_NE(bad.error().message.find("TestEcho"), std::string::npos);
}

TEST(ExtraCommand, BrokerMatcherRecognisesIt) {
  EXPECT_TRUE(broker::is_command(CmdId::TestEcho, hex("80 04 00 7E 00")));
  EXPECT_TRUE(broker::is_command(CmdId::TestEcho, hex("80 84 00 7E 00")));  // transient flag may vary
  EXPECT_FALSE(broker::is_command(CmdId::TestEcho, hex("80 04 00 7F 00")));
  EXPECT_FALSE(broker::is_command(CmdId::TestEcho, hex("80 04 01 7E 00")));
  EXPECT_FALSE(broker::is_command(CmdId::GetVersion, hex("80 04 00 7E 00")));
}

}  // namespace
}  // namespace sx::se05x
