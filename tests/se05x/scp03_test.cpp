// PlatformSCP03 (docs/scp03.md): the published session-key vector and the
// deterministic worked example of §2-§4 and §6, from both sides — the host's
// HostChannel and the card's CardChannel must produce exactly these bytes.
#include "se05x/scp03.h"

#include <gtest/gtest.h>

#include "se05x/scp03_defaults.h"

namespace sx::se05x::scp03 {
namespace {

Bytes h(std::string_view s) {
  std::string clean;
  for (char c : s)
    if (c != ' ') clean += c;
  auto b = from_hex(clean);
  EXPECT_TRUE(b.has_value()) << s;
  return b ? *b : Bytes{};
}

StaticKeys gp_test_keys() {
  const Bytes k = h("404142434445464748494A4B4C4D4E4F");
  return StaticKeys(k, k, k);
}

const Bytes kHostChallenge = h("A7F76C713F0A713D");
const Bytes kCardChallenge = h("31900058C1C451A2");

Bytes context() {
  Bytes c = kHostChallenge;
  c.insert(c.end(), kCardChallenge.begin(), kCardChallenge.end());
  return c;
}

Bytes iu_reply_rapdu() { return h("00000000000000000000 0B 03 00 31900058C1C451A2 A412D9C87482D199 9000"); }

TEST(Scp03Kdf, PublishedSessionKeyVector) {
  auto s = derive_session_keys(gp_test_keys(), context());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(to_hex(s->s_enc), "258A78866F41482BEF482DC8CA976CCD");
  EXPECT_EQ(to_hex(s->s_mac), "053DB6ABC7FDF3B63A0D965EE16B0255");
  EXPECT_EQ(to_hex(s->s_rmac), "EDA0B4F2EC0345BFC50F3BC59CFEF936");
  EXPECT_EQ(to_hex(*card_cryptogram(*s, context())), "A412D9C87482D199");
  EXPECT_EQ(to_hex(*host_cryptogram(*s, context())), "CC43EC66CB371CC4");
}

TEST(Scp03Kdf, Aes256KeysGiveTwoBlockSessionKeys) {
  Bytes k(32, 0x5A);
  auto s = derive_session_keys(StaticKeys(k, k, k), context());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->s_enc.size(), 32u);
  EXPECT_NE(Bytes(s->s_enc.begin(), s->s_enc.begin() + 16), Bytes(s->s_enc.begin() + 16, s->s_enc.end()));
  EXPECT_FALSE(derive_session_keys(StaticKeys(k, Bytes(16, 1), k), context()).ok());
}

TEST(Scp03Host, WorkedExampleApplet3) {
  EXPECT_EQ(initialize_update(kHostChallenge), h("80500B0008 A7F76C713F0A713D"));
  auto reply = parse_initialize_update_reply(iu_reply_rapdu());
  ASSERT_TRUE(reply.ok());
  Bytes ea;
  auto ch = HostChannel::begin(gp_test_keys(), kHostChallenge, *reply, CounterRule::Applet3, &ea);
  ASSERT_TRUE(ch.ok()) << ch.error().message;
  EXPECT_EQ(ea, h("8482330010 CC43EC66CB371CC4 A4F9CFD07C752783"));
  EXPECT_EQ(to_hex(ch->state().mcv), "A4F9CFD07C752783BA4F80176A799424");

  auto c1 = ch->wrap(h("8004002706 41047FFF0206"));
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(*c1, h("8404002718 176AF601E1673CAA42B4B38C20144F86 870A679552EB0EE2"));
  auto r1 = ch->unwrap(h("6118F64B2AE97CD1BEEB804052020D79 CDFEC471C9D3BB3F 9000"));
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ(*r1, h("410101 9000"));

  auto c2 = ch->wrap(h("80040020"));
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(*c2, h("8404002008 6B4A78AAEC1B73A3"));
  auto r2 = ch->unwrap(h("26DE44C64105B6F6CA15D8D5AFB08F92 6FDA690C07441158 9000"));
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(*r2, h("41070301003FFF010B 9000"));
}

TEST(Scp03Host, GetVersionUnderTheNewerCounterRule) {
  auto reply = parse_initialize_update_reply(iu_reply_rapdu());
  auto ch = HostChannel::begin(gp_test_keys(), kHostChallenge, *reply, CounterRule::Applet43, nullptr);
  ASSERT_TRUE(ch.ok());
  ASSERT_TRUE(ch->wrap(h("8004002706 41047FFF0206")).ok());
  ASSERT_TRUE(ch->unwrap(h("6118F64B2AE97CD1BEEB804052020D79 CDFEC471C9D3BB3F 9000")).ok());
  ASSERT_TRUE(ch->wrap(h("80040020")).ok());
  auto r2 = ch->unwrap(h("804092201485954EE5588AEF1A9CD23B 187F3F0DDCDA33CE 9000"));
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(*r2, h("41070301003FFF010B 9000"));
}

TEST(Scp03Host, UserSessionCommandInsideTheChannel) {
  auto reply = parse_initialize_update_reply(iu_reply_rapdu());
  auto ch = HostChannel::begin(gp_test_keys(), kHostChallenge, *reply, CounterRule::Applet3, nullptr);
  ASSERT_TRUE(ch.ok());
  auto c = ch->wrap(h("8005000018 1008 0102030405060708 410C 800400 2C07 4105C001020304"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, h("8405000028 01CCEC5DF7F015CAF361372FA31DF7EE 62FC16D6104FFD1D5256CDA8F2D63830 B1E4F193C62F1D39"));
  auto ok = ch->unwrap(h("25D750C4F0597425 9000"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, h("9000"));
  auto wrong_pin = ch->unwrap(h("6985"));
  ASSERT_TRUE(wrong_pin.ok());
  EXPECT_EQ(*wrong_pin, h("6985"));
}

TEST(Scp03Host, WrongKeysAreSeenAtTheCardCryptogram) {
  auto reply = parse_initialize_update_reply(iu_reply_rapdu());
  Bytes other(16, 0x11);
  auto ch = HostChannel::begin(StaticKeys(other, other, other), kHostChallenge, *reply, CounterRule::Applet3, nullptr);
  ASSERT_FALSE(ch.ok());
  EXPECT_EQ(ch.error().code, Errc::SecureChannel);
}

TEST(Scp03Host, EveryFlippedResponseByteIsAMacFailure) {
  const Bytes good = h("6118F64B2AE97CD1BEEB804052020D79 CDFEC471C9D3BB3F 9000");
  for (size_t i = 0; i + 2 < good.size(); ++i) {
    auto reply = parse_initialize_update_reply(iu_reply_rapdu());
    auto ch = HostChannel::begin(gp_test_keys(), kHostChallenge, *reply, CounterRule::Applet3, nullptr);
    ASSERT_TRUE(ch->wrap(h("8004002706 41047FFF0206")).ok());
    Bytes bad = good;
    bad[i] ^= 0x01;
    auto r = ch->unwrap(bad);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.error().code, Errc::SecureChannel);
  }
}

TEST(Scp03Card, WorkedExampleFromTheCardSide) {
  Bytes iu;
  auto card = CardChannel::on_initialize_update(gp_test_keys(), kHostChallenge, kCardChallenge, Bytes(10, 0),
                                                CounterRule::Applet3, &iu);
  ASSERT_TRUE(card.ok());
  iu.push_back(0x90);
  iu.push_back(0x00);
  EXPECT_EQ(iu, iu_reply_rapdu());
  ASSERT_TRUE(card->on_external_authenticate(h("8482330010 CC43EC66CB371CC4 A4F9CFD07C752783")).ok());
  EXPECT_TRUE(card->open());

  auto p1 = card->unwrap(h("8404002718 176AF601E1673CAA42B4B38C20144F86 870A679552EB0EE2"));
  ASSERT_TRUE(p1.ok()) << p1.error().message;
  EXPECT_EQ(*p1, h("8004002706 41047FFF0206"));
  EXPECT_EQ(*card->wrap(h("410101 9000")), h("6118F64B2AE97CD1BEEB804052020D79 CDFEC471C9D3BB3F 9000"));

  auto p2 = card->unwrap(h("8404002008 6B4A78AAEC1B73A3"));
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(*p2, h("80040020"));
  EXPECT_EQ(*card->wrap(h("41070301003FFF010B 9000")),
            h("26DE44C64105B6F6CA15D8D5AFB08F92 6FDA690C07441158 9000"));
  EXPECT_EQ(*card->wrap(h("6A80")), h("6A80"));
}

TEST(Scp03Card, BadCommandMacDropsTheChannel) {
  auto card = CardChannel::on_initialize_update(gp_test_keys(), kHostChallenge, kCardChallenge, Bytes(10, 0),
                                                CounterRule::Applet3, nullptr);
  ASSERT_TRUE(card->on_external_authenticate(h("8482330010 CC43EC66CB371CC4 A4F9CFD07C752783")).ok());
  auto bad = card->unwrap(h("8404002718 176AF601E1673CAA42B4B38C20144F86 870A679552EB0EE3"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::SecureChannel);
  EXPECT_FALSE(card->open());
  EXPECT_FALSE(card->unwrap(h("8404002718 176AF601E1673CAA42B4B38C20144F86 870A679552EB0EE2")).ok());
}

TEST(Scp03Card, RefusesAWrongHostCryptogramAndOtherLevels) {
  auto card = CardChannel::on_initialize_update(gp_test_keys(), kHostChallenge, kCardChallenge, Bytes(10, 0),
                                                CounterRule::Applet3, nullptr);
  EXPECT_EQ(card->on_external_authenticate(h("8482330010 CC43EC66CB371CC5 A4F9CFD07C752783")).error().code,
            Errc::SecureChannel);
  EXPECT_EQ(card->on_external_authenticate(h("8482010010 CC43EC66CB371CC4 A4F9CFD07C752783")).error().code,
            Errc::Unsupported);
  EXPECT_FALSE(card->open());
}

// Both sides, many shapes: short and extended, with and without data and Le,
// and long bodies that only fit once extended.
TEST(Scp03RoundTrip, HostAndCardAgreeOnEveryShape) {
  for (CounterRule rule : {CounterRule::Applet3, CounterRule::Applet43}) {
    Bytes iu;
    auto card = CardChannel::on_initialize_update(gp_test_keys(), kHostChallenge, kCardChallenge, Bytes(10, 0), rule, &iu);
    iu.push_back(0x90);
    iu.push_back(0x00);
    Bytes ea;
    auto host = HostChannel::begin(gp_test_keys(), kHostChallenge, *parse_initialize_update_reply(iu), rule, &ea);
    ASSERT_TRUE(host.ok());
    ASSERT_TRUE(card->on_external_authenticate(ea).ok());
    std::vector<Bytes> commands = {h("80040020"), h("8004002706 41047FFF0206"), h("80020000 000006 410400000001 0000"),
                                   h("80CA00FE00")};
    Bytes big{0x80, 0x01, 0x01, 0x00, 0xF0};
    big.resize(5 + 0xF0, 0xAB);
    commands.push_back(big);
    Bytes ext{0x80, 0x01, 0x01, 0x00, 0x00, 0x01, 0x20};
    ext.resize(7 + 0x120, 0xCD);
    commands.push_back(ext);
    for (const Bytes& plain : commands) {
      auto wrapped = host->wrap(plain);
      ASSERT_TRUE(wrapped.ok()) << to_hex(plain);
      auto back = card->unwrap(*wrapped);
      ASSERT_TRUE(back.ok()) << to_hex(plain) << ": " << back.error().message;
      EXPECT_EQ(*back, plain);
      Bytes answer(300, 0x42);
      answer.push_back(0x90);
      answer.push_back(0x00);
      auto r = host->unwrap(*card->wrap(answer));
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(*r, answer);
    }
  }
}

TEST(Scp03PutKey, WorkedExample) {
  const StaticKeys next(h("00112233445566778899AABBCCDDEEFF"), h("102132435465768798A9BACBDCEDFE0F"),
                        h("0F1E2D3C4B5A69788796A5B4C3D2E1F0"));
  auto c = put_key(gp_test_keys(), next);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, h("80D80B8146 0B 881110 4533BFD23699FC7C142D20BB1A4A191F 03 3544E0 881110 "
                  "FB0882BBDBA71CEAD25D618A191C4FB4 03 A00260 881110 B6656BA05DBC3BBB8389A39CC1774FAB 03 8F93D8 00"));
  EXPECT_EQ(*put_key_reply(next), h("0B 3544E0 A00260 8F93D8"));
  auto parsed = parse_put_key(*c, gp_test_keys());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->keys, next);
  EXPECT_EQ(parsed->old_kvn, 0x0B);
  Bytes bad = *c;
  bad[20] ^= 0x01;  // inside the first encrypted key: its KCV no longer matches
  EXPECT_EQ(parse_put_key(bad, gp_test_keys()).error().code, Errc::SecureChannel);
  Bytes k32(32, 0x33);
  auto c32 = put_key(gp_test_keys(), StaticKeys(k32, k32, k32));
  ASSERT_TRUE(c32.ok());
  EXPECT_EQ(parse_put_key(*c32, gp_test_keys())->keys.enc, k32);
}

TEST(Scp03Defaults, TableAndConfigurationReadOut) {
  EXPECT_GE(default_key_sets().size(), 17u);
  const DefaultKeySet* c1 = default_keys_for_oef(0xA200);
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->variant, "SE050C1");
  EXPECT_EQ(to_hex(c1->keys().enc), "852B5962E9CCE5D0BE746B833BCC6287");
  EXPECT_EQ(default_keys_for_oef(0x1234), nullptr);
  Bytes r = encode_config_data(0xA921);
  EXPECT_EQ(r.size(), 71u);
  r.push_back(0x90);
  r.push_back(0x00);
  EXPECT_EQ(*parse_oef_id(r), 0xA921);
  EXPECT_FALSE(parse_oef_id(h("FE03DF2800 9000")).ok());
  EXPECT_EQ(parse_oef_id(h("6982")).error().code, Errc::StatusWord);
  EXPECT_EQ(counter_rule_for(3, 1), CounterRule::Applet3);
  EXPECT_EQ(counter_rule_for(4, 3), CounterRule::Applet43);
  EXPECT_EQ(counter_rule_for(7, 2), CounterRule::Applet43);
}

}  // namespace
}  // namespace sx::se05x::scp03
