// Object policies evaluated per session (docs/se05x-protocol.md §4.9.5): the entry for the
// session's auth object, else the entry for 00000000; denial 6986; unverified sessions 6985.
#include "sim_session_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

struct PolicyCard : SessCard {
  PolicyCard() {
    EXPECT_EQ(tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
    EXPECT_EQ(tx(write_user_id(kUserY, kPinY)).sw, 0x9000);
  }
  Bytes verified(uint32_t auth, ByteView pin) {
    Bytes sid = open(auth);
    EXPECT_EQ(verify(sid, pin), 0x9000);
    return sid;
  }
};

Bytes x_bound_policy() {  // [X: SIGN|READ|DELETE] [0: READ]
  Bytes p = entry(kUserX, pol::kAllowSign | pol::kAllowRead | pol::kAllowDelete);
  append(p, entry(0, pol::kAllowRead));
  return p;
}

TEST(SimSessionPolicy, PinBoundKeySignsOnlyInAVerifiedSessionOfItsUserId) {
  PolicyCard c;
  ASSERT_EQ(c.tx(gen_p256(kPinKey, x_bound_policy())).sw, 0x9000);
  EXPECT_EQ(c.sign_out(kPinKey), 0x6986);  // outside any session
  const Bytes x = c.open(kUserX);
  EXPECT_EQ(c.sign_in(x, kPinKey), 0x6985);  // unverified session
  ASSERT_EQ(c.verify(x, kPinX), 0x9000);
  EXPECT_EQ(c.sign_in(x, kPinKey), 0x9000);  // verified session of X
  const Bytes y = c.verified(kUserY, kPinY);
  EXPECT_EQ(c.sign_in(y, kPinKey), 0x6986);  // verified session of another UserID
  // READ falls back to the entry for 0 in Y's session and outside; DELETE only for X.
  EXPECT_EQ(c.in(y, inner(0x02, 0x00, 0x00, id_tlv(kPinKey), true)).sw, 0x9000);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(kPinKey), se05x::LeMode::Extended).sw, 0x9000);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x28, id_tlv(kPinKey)).sw, 0x6986);
  EXPECT_EQ(c.in(y, inner(0x04, 0x00, 0x28, id_tlv(kPinKey))).sw, 0x6986);
  EXPECT_EQ(c.in(x, inner(0x04, 0x00, 0x28, id_tlv(kPinKey))).sw, 0x9000);
}

TEST(SimSessionPolicy, NoMatchingEntryDeniesAndForbidAllWins) {
  PolicyCard c;
  ASSERT_EQ(c.tx(gen_p256(0x20181002, entry(kUserX, pol::kAllowSign))).sw, 0x9000);
  Bytes forbid = entry(kUserX, pol::kAllowSign | pol::kForbidAll);
  append(forbid, entry(0, pol::kAllowSign));
  ASSERT_EQ(c.tx(gen_p256(0x20181003, forbid)).sw, 0x9000);
  const Bytes y = c.verified(kUserY, kPinY);
  EXPECT_EQ(c.sign_in(y, 0x20181002), 0x6986);  // no entry for Y nor for 0
  EXPECT_EQ(c.sign_out(0x20181002), 0x6986);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(0x20181002), se05x::LeMode::Extended).sw, 0x6986);
  const Bytes x = c.verified(kUserX, kPinX);
  EXPECT_EQ(c.sign_in(x, 0x20181002), 0x9000);
  EXPECT_EQ(c.sign_in(x, 0x20181003), 0x6986);  // FORBID_ALL in X's entry
  EXPECT_EQ(c.sign_in(y, 0x20181003), 0x9000);  // Y falls back to the entry for 0
  EXPECT_EQ(c.sign_out(0x20181003), 0x9000);
}

TEST(SimSessionPolicy, DefaultPolicyAppliesToEverySession) {
  PolicyCard c;
  ASSERT_EQ(c.tx(gen_p256(kPinKey, {})).sw, 0x9000);
  EXPECT_EQ(c.sign_out(kPinKey), 0x9000);
  const Bytes y = c.verified(kUserY, kPinY);
  EXPECT_EQ(c.sign_in(y, kPinKey), 0x9000);
}

// Every right the simulator checks (policy.cpp's table) follows the session's auth object.
TEST(SimSessionPolicy, EveryCheckedRightUsesTheSessionAuthObject) {
  PolicyCard c;
  namespace p = pol;
  const uint32_t all = p::kAllowSign | p::kAllowVerify | p::kAllowKeyAgreement | p::kAllowEncrypt | p::kAllowDecrypt |
                       p::kAllowRead | p::kAllowWrite | p::kAllowDelete;
  const Bytes xonly = entry(kUserX, all);
  ASSERT_EQ(c.tx(gen_p256(kPinKey, xonly)).sw, 0x9000);
  TlvWriter bw;
  bw.bytes(t::kPolicy, xonly).u32(t::k1, 0x30000002).u16(t::k3, 4).bytes(t::k4, hex("01020304"));
  ASSERT_EQ(c.cmd(0x01, 0x06, 0x00, bw.data()).sw, 0x9000);
  TlvWriter aw;
  aw.bytes(t::kPolicy, xonly).u32(t::k1, 0x30000003).bytes(t::k3, Bytes(16, 1));
  ASSERT_EQ(c.cmd(0x01, 0x03, 0x00, aw.data()).sw, 0x9000);
  const Bytes peer = hex("04 6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"
                         "4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5");
  const std::vector<std::pair<const char*, Bytes>> ops = {
      {"ECDSAVerify", inner(0x03, 0x0C, 0x0A, TlvWriter().u32(t::k1, kPinKey).u8(t::k2, 0x21).bytes(t::k3, Bytes(32, 1)).bytes(t::k5, hex("3006020101020101")).take())},
      {"ECDH", inner(0x03, 0x01, 0x0F, TlvWriter().u32(t::k1, kPinKey).bytes(t::k2, peer).take(), true)},
      {"ReadObject", inner(0x02, 0x00, 0x00, id_tlv(0x30000002), true)},
      {"WriteBinary", inner(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x30000002).bytes(t::k4, hex("05")).take())},
      {"WriteSymmKey", inner(0x01, 0x03, 0x00, TlvWriter().u32(t::k1, 0x30000003).bytes(t::k3, Bytes(16, 2)).take())},
      {"WriteECKey", inner(0x01, 0x61, 0x00, TlvWriter().u32(t::k1, kPinKey).take())},
      {"ECDSASign", inner(0x03, 0x0C, 0x09, sign_body(kPinKey))},
  };
  const Bytes y = c.verified(kUserY, kPinY);
  const Bytes x = c.verified(kUserX, kPinX);
  for (const auto& [name, op] : ops) {
    EXPECT_EQ(c.in(y, op).sw, 0x6986) << name << " in Y's session";
    EXPECT_NE(c.in(x, op).sw, 0x6986) << name << " in X's session";
  }
  EXPECT_EQ(c.in(y, inner(0x04, 0x00, 0x28, id_tlv(0x30000002))).sw, 0x6986);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x28, id_tlv(0x30000002)).sw, 0x6986);
  EXPECT_EQ(c.in(x, inner(0x04, 0x00, 0x28, id_tlv(0x30000002))).sw, 0x9000);
}

// RSA encrypt/decrypt follow the same table.
TEST(SimSessionPolicy, RsaDecryptAndEncryptUseTheSessionAuthObject) {
  PolicyCard c;
  const Bytes xonly = entry(kUserX, pol::kAllowEncrypt | pol::kAllowDecrypt);
  TlvWriter w;
  w.bytes(t::kPolicy, xonly).u32(t::k1, 0x20181010).u16(t::k2, 2048);
  ASSERT_EQ(c.cmd(0x01, 0x62, 0x00, w.data()).sw, 0x9000);
  const Bytes enc = TlvWriter().u32(t::k1, 0x20181010).u8(t::k2, 0x0A).bytes(t::k3, hex("01020304")).take();
  EXPECT_EQ(c.cmd(0x03, 0x02, 0x37, enc, se05x::LeMode::Extended).sw, 0x6986);
  const Bytes x = c.verified(kUserX, kPinX);
  const Response ct = c.in(x, inner(0x03, 0x02, 0x37, enc, true));
  ASSERT_EQ(ct.sw, 0x9000);
  const Bytes dec = TlvWriter().u32(t::k1, 0x20181010).u8(t::k2, 0x0A).bytes(t::k3, value(ct)).take();
  EXPECT_EQ(c.cmd(0x03, 0x02, 0x38, dec, se05x::LeMode::Extended).sw, 0x6986);
  const Response pt = c.in(x, inner(0x03, 0x02, 0x38, dec, true));
  ASSERT_EQ(pt.sw, 0x9000);
  EXPECT_EQ(value(pt), hex("01020304"));
}

}  // namespace
}  // namespace sx::sim::test
