// User sessions on the wire: the E1 traces of docs/se05x-protocol.md §4.9 byte for byte, the
// session wrapper's framing rules, session limits and the session policy.
#include <thread>

#include "sim_session_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

// The WriteUserID example of docs/se05x-protocol.md §4.9.1, sent verbatim.
TEST(SimSessionWire, WriteUserIdExampleIsAcceptedVerbatim) {
  SessCard c;
  const Response r = c.tx(
      "80 41 07 00 26 11 12 08 7DA00001 00100000 08 00000000 00040000 12 02 000A 41 04 7DA00001 42 06 313233343536");
  EXPECT_EQ(r.sw, 0x9000);
  const auto a = c.attrs(kUserX);
  EXPECT_EQ(a.indicator, 0x02);
  EXPECT_EQ(a.max, 10);
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(a.policy, hex("08 7DA00001 00100000 08 00000000 00040000"));
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x26, id_tlv(kUserX)).data, hex("41 01 0C 42 01 01"));  // ReadType: UserID
}

// E1: CreateSession, VerifySessionUserID, ReadIDList and CloseSession as NXP's MW sends them
// (only the session ID, random on every chip, is substituted).
TEST(SimSessionWire, E1TracesAreAcceptedByteForByte) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Response cr = c.tx("80 04 00 1B 06 41 04 7DA00001");
  ASSERT_EQ(cr.sw, 0x9000);
  ASSERT_EQ(cr.data.size(), 10u);
  EXPECT_EQ(cr.data[0], 0x41);
  EXPECT_EQ(cr.data[1], 0x08);
  const std::string sid = to_hex(ByteView(cr.data).subspan(2));
  EXPECT_EQ(c.tx("80 05 00 00 18 10 08 " + sid + " 41 0C 80 04 00 2C 07 41 05 C001020304").sw, 0x9000);
  const Response list = c.tx("80 05 00 00 00 00 1A 10 08 " + sid + " 41 0E 80 02 00 25 00 00 07 41 02 0000 42 01 FF 00 00");
  EXPECT_EQ(list.sw, 0x9000);
  // The inner R-APDU is the outer one unchanged: the same answer as outside the session.
  EXPECT_EQ(list.data, c.cmd(0x02, 0x00, 0x25, hex("41 02 0000 42 01 FF"), se05x::LeMode::Extended).data);
  EXPECT_EQ(c.tx("80 05 00 00 10 10 08 " + sid + " 41 04 80 04 00 1C").sw, 0x9000);
  EXPECT_EQ(c.tx("80 05 00 00 10 10 08 " + sid + " 41 04 80 04 00 1C").sw, 0x6985);  // closed
}

TEST(SimSessionWire, CreateSessionNeedsAnExistingAuthObject) {
  SessCard c;
  c.open(0x7DA0FFFF);
  EXPECT_EQ(c.last, 0x6A80);
  ASSERT_EQ(c.tx(gen_p256(kPinKey, {})).sw, 0x9000);
  c.open(kPinKey);
  EXPECT_EQ(c.last, 0x6985);
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes a = c.open(kUserX);
  ASSERT_EQ(a.size(), 8u);
}

TEST(SimSessionWire, TwoSessionsAtMostAndOnePerAuthObject) {
  SessCard c;
  for (uint32_t id : {kUserX, kUserY, 0x7DA00003u}) ASSERT_EQ(c.tx(write_user_id(id, kPinY)).sw, 0x9000);
  const Bytes x = c.open(kUserX);
  ASSERT_EQ(c.last, 0x9000);
  c.open(kUserX);
  EXPECT_EQ(c.last, 0x6985);  // one per auth object
  const Bytes y = c.open(kUserY);
  ASSERT_EQ(c.last, 0x9000);
  EXPECT_NE(x, y);
  c.open(0x7DA00003);
  EXPECT_EQ(c.last, 0x6A84);  // a third session
  EXPECT_EQ(c.close(x), 0x9000);
  c.open(0x7DA00003);
  EXPECT_EQ(c.last, 0x9000);  // the closed slot is free again
}

TEST(SimSessionWire, SelectAndChipResetEndAllSessions) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  c.select();
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
  sid = c.open(kUserX);  // the auth object is free again
  ASSERT_EQ(c.last, 0x9000);
  c.sim->chip_reset();
  c.select();
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
  c.open(kUserX);
  EXPECT_EQ(c.last, 0x9000);
}

TEST(SimSessionWire, WrapperFramingRules) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  const Bytes version = inner(0x04, 0x00, 0x20);
  EXPECT_EQ(c.in(sid, version).data, c.cmd(0x04, 0x00, 0x20, {}).data);
  EXPECT_EQ(c.in(Bytes(8, 0x11), version).sw, 0x6985);                       // unknown session
  EXPECT_EQ(c.in(sid, wrap(sid, version)).sw, 0x6985);                        // nested wrapper
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x1B, id_tlv(kUserX))).sw, 0x6985);  // CreateSession inside
  EXPECT_EQ(c.in(sid, hex("80 04 00 20 00")).sw, 0x6A80);                     // inner carries an Le
  EXPECT_EQ(c.in(sid, hex("00 A4 04 00 02 A0 00")).sw, 0x6985);               // no SELECT inside
  EXPECT_EQ(c.in(sid, hex("80 0F 00 00")).sw, 0x6D00);                        // unknown INS: as outside
  // Extended inner Lc (and an extended outer APDU): a 300-byte WriteBinary.
  const Bytes data = pattern(300, 7);
  const Bytes wb = TlvWriter().u32(t::k1, 0x30000001).u16(t::k3, 300).bytes(t::k4, data).take();
  EXPECT_EQ(c.in(sid, inner(0x01, 0x06, 0x00, wb)).sw, 0x9000);
  EXPECT_EQ(read_binary(c, 0x30000001), data);
  // Session-only commands outside the wrapper.
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x1C, {}).sw, 0x6985);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x2C, TlvWriter().bytes(t::k1, kPinX).take()).sw, 0x6985);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("04 8000 0064")).take()).sw, 0x6985);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x1E, {}).sw, 0x6985);
}

TEST(SimSessionWire, SessionPolicyMaxApdusClosesTheSession) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("03 8000")).take())).sw, 0x6A80);
  ASSERT_EQ(c.in(sid, inner(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("04 8000 0002")).take())).sw, 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000);
  c.open(kUserX);
  EXPECT_EQ(c.last, 0x6985);  // still open
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000);
  c.open(kUserX);  // the second APDU exhausted the session: it closed at once
  EXPECT_EQ(c.last, 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
}

TEST(SimSessionWire, RefreshNeedsAllowRefreshAndRearmsTheLimits) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  const Bytes refresh = inner(0x04, 0x00, 0x1E);
  ASSERT_EQ(c.in(sid, inner(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("04 8000 0003")).take())).sw, 0x9000);
  EXPECT_EQ(c.in(sid, refresh).sw, 0x6985);  // no ALLOW_REFRESH
  ASSERT_EQ(c.close(sid), 0x9000);
  sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  ASSERT_EQ(c.in(sid, inner(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("04 A000 0002")).take())).sw, 0x9000);
  for (int round = 0; round < 3; ++round) {  // without the refresh the third round would fail
    EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000) << round;
    EXPECT_EQ(c.in(sid, refresh).sw, 0x9000) << round;
  }
}

TEST(SimSessionWire, SessionPolicyMaxTimeExpires) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  ASSERT_EQ(c.in(sid, inner(0x04, 0x00, 0x1F, TlvWriter().bytes(t::k1, hex("04 4000 0001")).take())).sw, 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
}

TEST(SimSessionWire, StatisticsCountWrappedCommandsUnderTheirOwnName) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  ASSERT_EQ(c.tx(gen_p256(kPinKey, {})).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  c.sim->reset_stats();
  EXPECT_EQ(c.sign_in(sid, kPinKey), 0x9000);
  EXPECT_EQ(c.sign_in(sid, kPinKey), 0x9000);
  const Stats st = c.sim->stats();
  ASSERT_TRUE(st.commands.count("ECDSASign"));
  EXPECT_EQ(st.commands.at("ECDSASign").count, 2u);
  ASSERT_TRUE(st.commands.count("ProcessSessionCmd"));
  EXPECT_EQ(st.commands.at("ProcessSessionCmd").count, 2u);
  EXPECT_EQ(st.total.count, 2u);
}

}  // namespace
}  // namespace sx::sim::test
