// The simulator's PlatformSCP03 card side against the host-side se05x::scp03::HostChannel:
// handshake, wrapped commands, the worked example of docs/scp03.md §3/§4 byte for byte on both
// counter rules, MAC failures, SELECT ending the channel, statistics on wire sizes.
#include <random>

#include "crypto/aes.h"
#include "sim_scp03_util.h"

namespace sx::sim::test {
namespace {

const char* const kVariants[] = {"SE050A", "SE050B", "SE050C", "SE050E", "SE051H"};

TEST(SimScp03, EveryVariantOpensWithItsPublishedKeysAndRunsCommands) {
  for (const std::string v : kVariants) {
    SCOPED_TRACE(v);
    ScpCard c(make_cfg(v));
    c.select();
    ASSERT_TRUE(c.open_channel(default_keys(v), rule_of(v)).ok());
    auto ver = c.stx("80 04 00 20");  // no data: the counter rule matters here
    ASSERT_EQ(ver.sw, 0x9000);
    EXPECT_EQ(ver.data.size(), 9u);
    EXPECT_EQ(c.stx("80 04 00 27 06 41 04 7F FF 02 06").data, hex("41 01 01"));
    EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);
    auto rnd = c.stx(se05x::build_command({0x80, 0x04, 0x00, 0x49}, hex("41 02 00 20"), se05x::LeMode::Extended));
    EXPECT_EQ(rnd.sw, 0x9000);
    EXPECT_EQ(value(rnd).size(), 32u);
    // an error SW comes back bare: no data, no R-MAC (docs/scp03.md §4)
    EXPECT_EQ(c.stx("80 04 00 28 06 41 04 00 00 00 99").sw, 0x6A80);
    EXPECT_EQ(c.last_wire, hex("6A80"));
    EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);  // and the chain goes on
  }
}

TEST(SimScp03, TheOtherCounterRuleFailsOnTheFirstDataLessCommand) {
  for (const std::string v : {"SE050C", "SE050E"}) {
    SCOPED_TRACE(v);
    ScpCard c(make_cfg(v));
    c.select();
    const auto wrong = rule_of(v) == scp::CounterRule::Applet3 ? scp::CounterRule::Applet43 : scp::CounterRule::Applet3;
    ASSERT_TRUE(c.open_channel(default_keys(v), wrong).ok());
    auto w = c.ch->wrap(hex("80 04 00 20"));
    ASSERT_TRUE(w.ok());
    const Bytes r = c.raw(*w);
    EXPECT_EQ(r.size(), 16u + 8 + 2);
    EXPECT_FALSE(c.ch->unwrap(r).ok());
  }
}

TEST(SimScp03, WrongKeysAreSeenAtTheCardCryptogram) {
  ScpCard c;
  c.select();
  auto s = c.open_channel(gp_test_keys(), scp::CounterRule::Applet3);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::SecureChannel);
  EXPECT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
}

// docs/scp03.md §3/§4 with the GP test keys (put on the chip by PUT KEY from the defaults)
// and the example's card challenge injected; `variant` picks the counter rule.
struct Example {
  ScpCard c;
  explicit Example(const std::string& variant) : c(make_cfg(variant)) {
    EXPECT_EQ(c.rotate(default_keys(variant), gp_test_keys(), rule_of(variant)).sw, 0x9000);
    c.select();
    *c.card_challenge = hex("31900058C1C451A2");
    // INITIALIZE UPDATE: diversification 10 x 00, 0B 03 00, card challenge, card cryptogram
    EXPECT_EQ(to_hex(c.raw(hex("80 50 0B 00 08 A7F76C713F0A713D"))),
              to_hex(hex("00000000000000000000 0B0300 31900058C1C451A2 A412D9C87482D199 9000")));
    EXPECT_EQ(c.raw(hex("84 82 33 00 10 CC43EC66CB371CC4 A4F9CFD07C752783")), hex("9000"));
    EXPECT_EQ(to_hex(c.raw(hex("84 04 00 27 18 176AF601E1673CAA42B4B38C20144F86 870A679552EB0EE2"))),
              to_hex(hex("6118F64B2AE97CD1BEEB804052020D79 CDFEC471C9D3BB3F 9000")));
  }
};

TEST(SimScp03, WorkedExampleApplet3ByteForByte) {
  Example e("SE050C");  // applet 3.1.0, AppletConfig 3FFF, SecureBox 010B: the example's plain answer
  EXPECT_EQ(to_hex(e.c.raw(hex("84 04 00 20 08 6B4A78AAEC1B73A3"))),
            to_hex(hex("26DE44C64105B6F6CA15D8D5AFB08F92 6FDA690C07441158 9000")));
}

// The SE050E answers GetVersion 41 07 070200 3F9F 010B where the example has 41 07 030100 3FFF
// 010B; one CBC block, so the example's ciphertext fixes the IV: C = AES(IV ^ P) for our P.
TEST(SimScp03, WorkedExampleApplet43SameIvAsTheExample) {
  Example e("SE050E");
  const Bytes wire = e.c.raw(hex("84 04 00 20 08 6B4A78AAEC1B73A3"));
  ASSERT_EQ(wire.size(), 16u + 8 + 2);
  const Bytes s_enc = hex("258A78866F41482BEF482DC8CA976CCD");
  const Bytes doc_c = hex("804092201485954EE5588AEF1A9CD23B");
  const Bytes doc_p = hex("41 07 03 01 00 3F FF 01 0B 80 00 00 00 00 00 00");
  const Bytes our_p = hex("41 07 07 02 00 3F 9F 01 0B 80 00 00 00 00 00 00");
  auto x = crypto::aes_ecb_decrypt(s_enc, doc_c);  // IV ^ doc_p
  ASSERT_TRUE(x.ok());
  Bytes block(16);
  for (size_t i = 0; i < 16; ++i) block[i] = static_cast<uint8_t>((*x)[i] ^ doc_p[i] ^ our_p[i]);
  auto want = crypto::aes_ecb_encrypt(s_enc, block);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(to_hex(Bytes(wire.begin(), wire.begin() + 16)), to_hex(*want));
  EXPECT_EQ(Bytes(wire.end() - 2, wire.end()), hex("9000"));
}

TEST(SimScp03, PutKeyExampleAnswer) {
  ScpCard c;
  ASSERT_EQ(c.rotate(default_keys("SE050C"), gp_test_keys(), scp::CounterRule::Applet3).sw, 0x9000);
  // docs/scp03.md §6: current DEK 40..4F, the example's new set
  auto r = c.rotate(gp_test_keys(), example_new_keys(), scp::CounterRule::Applet3);
  EXPECT_EQ(r.sw, 0x9000);
  EXPECT_EQ(to_hex(r.data), to_hex(hex("0B 3544E0 A00260 8F93D8")));
}

TEST(SimScp03, BadCmacAnswers6982AndDropsTheChannel) {
  ScpCard c;
  c.select();
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  auto w = c.ch->wrap(hex("80 04 00 27 06 41 04 7F FF 02 06"));
  ASSERT_TRUE(w.ok());
  Bytes bad = *w;
  bad[7] ^= 0x01;  // one bit of the encrypted data
  EXPECT_EQ(c.raw(bad), hex("6982"));
  // the channel is gone: a correctly wrapped command (next in the host's chain) is refused too
  auto w2 = c.ch->wrap(hex("80 04 00 20"));
  ASSERT_TRUE(w2.ok());
  EXPECT_EQ(c.raw(*w2), hex("6982"));
  // plain still works while SCP is not required; the channel re-opens
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);
  // a flipped MAC byte too
  auto w3 = c.ch->wrap(hex("80 04 00 20"));
  ASSERT_TRUE(w3.ok());
  w3->back() ^= 0x80;
  EXPECT_EQ(c.raw(*w3), hex("6982"));
}

TEST(SimScp03, WrappedWithoutChannelAndHandshakeOutOfOrder) {
  ScpCard c;
  c.select();
  EXPECT_EQ(c.raw(hex("84 04 00 20 08 0000000000000000")), hex("6982"));
  EXPECT_EQ(c.raw(hex("84 82 33 00 10 CC43EC66CB371CC4 A4F9CFD07C752783")), hex("6982"));  // EA before IU
  EXPECT_EQ(c.tx("80 50 0C 00 08 0102030405060708").sw, 0x6A88);  // no key set 0C
  // a wrong EXTERNAL AUTHENTICATE ends the pending channel
  ASSERT_EQ(c.tx("80 50 0B 00 08 0102030405060708").sw, 0x9000);
  EXPECT_EQ(c.raw(hex("84 82 33 00 10 0000000000000000 0000000000000000")), hex("6982"));
  EXPECT_EQ(c.raw(hex("84 04 00 20 08 0000000000000000")), hex("6982"));
  // nothing selected (after a chip reset): no INITIALIZE UPDATE
  c.sim->chip_reset();
  EXPECT_EQ(c.tx("80 50 0B 00 08 0102030405060708").sw, 0x6D00);
}

TEST(SimScp03, SecurityLevelOtherThan33IsRefused) {
  ScpCard c;
  c.select();
  const scp::StaticKeys k = default_keys("SE050C");
  const Bytes hc = hex("1122334455667788");
  const Bytes iu = c.raw(scp::initialize_update(hc));
  auto reply = scp::parse_initialize_update_reply(iu);
  ASSERT_TRUE(reply.ok());
  Bytes ctx = hc;
  append(ctx, reply->card_challenge);
  auto s = scp::derive_session_keys(k, ctx);
  ASSERT_TRUE(s.ok());
  auto host = scp::host_cryptogram(*s, ctx);
  ASSERT_TRUE(host.ok());
  Bytes macced(16, 0x00);
  append(macced, hex("84 82 03 00 10"));  // C-MAC and C-DEC only
  append(macced, *host);
  auto mac = crypto::aes_cmac(s->s_mac, macced);
  ASSERT_TRUE(mac.ok());
  Bytes ea = hex("84 82 03 00 10");
  append(ea, *host);
  ea.insert(ea.end(), mac->begin(), mac->begin() + 8);
  const Bytes r = c.raw(ea);
  EXPECT_NE(r, hex("9000"));
  EXPECT_EQ(c.raw(hex("84 04 00 20 08 0000000000000000")), hex("6982"));
}

// Every SELECT ends the channel — applet, SSD, ISD, an unknown AID — and so does a chip reset;
// re-selecting the applet also ends the user sessions opened inside the channel.
TEST(SimScp03, EverySelectEndsTheChannel) {
  const scp::StaticKeys k = default_keys("SE050C");
  const auto rule = scp::CounterRule::Applet3;
  for (const std::string& sel : {kSelect, kSelectSsd, kSelectIsd, std::string("00 A4 04 00 03 A0 00 01 00")}) {
    SCOPED_TRACE(sel);
    ScpCard c;
    c.select();
    ASSERT_TRUE(c.open_channel(k, rule).ok());
    ASSERT_EQ(c.stx("80 04 00 20").sw, 0x9000);
    c.tx(sel);
    auto w = c.ch->wrap(hex("80 04 00 20"));
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(c.raw(*w), hex("6982"));
  }
  ScpCard c;
  c.select();
  ASSERT_TRUE(c.open_channel(k, rule).ok());
  c.sim->chip_reset();
  c.select();
  auto w = c.ch->wrap(hex("80 04 00 20"));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(c.raw(*w), hex("6982"));
}

TEST(SimScp03, UserSessionsRunInsideTheChannelAndEndAtSelect) {
  ScpCard c;
  c.select();
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  ASSERT_EQ(c.stx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  auto cs = c.stx(se05x::build_command({0x80, 0x04, 0x00, 0x1B}, id_tlv(kUserX), se05x::LeMode::None));
  ASSERT_EQ(cs.sw, 0x9000);
  const Bytes sid = value(cs);
  EXPECT_EQ(c.stx(wrap(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, kPinY).take()))).sw, 0x6985);
  EXPECT_EQ(c.last_wire, hex("6985"));  // bare SW
  EXPECT_EQ(c.stx(wrap(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, kPinX).take()))).sw, 0x9000);
  EXPECT_EQ(c.stx(wrap(sid, inner(0x04, 0x00, 0x20))).sw, 0x9000);
  c.select();  // ends the channel and the session
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  EXPECT_EQ(c.stx(wrap(sid, inner(0x04, 0x00, 0x20))).sw, 0x6985);
}

TEST(SimScp03, SsdAnswersOnlyTheCardManagerCommands) {
  ScpCard c;
  c.select();
  EXPECT_EQ(c.tx(kSelectSsd).sw, 0x9000);
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x6D00);  // the applet is no longer selected
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x6D00);
  // PUT KEY outside a channel, and on the applet's channel: refused
  auto pk = scp::put_key(default_keys("SE050C"), gp_test_keys());
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(c.tx(*pk).sw, 0x6982);
  c.select();
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  EXPECT_NE(c.stx(*pk).sw, 0x9000);  // the applet's answer to a foreign INS (6A80: no TLVs)
  EXPECT_TRUE(c.opens_with(default_keys("SE050C"), scp::CounterRule::Applet3));
}

// Wrapped commands count under their own names with the bytes on the wire, the wrapper once
// more under "PlatformSCP"; the modelled time grows with the wrapped sizes.
TEST(SimScp03, StatisticsCountWireBytes) {
  ScpCard c;
  c.select();
  c.sim->reset_stats();
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);
  const auto plain = c.sim->stats().commands.at("GetVersion");
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  c.sim->reset_stats();
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);
  EXPECT_EQ(c.stx("80 04 00 27 06 41 04 7F FF 02 06").sw, 0x9000);
  const Stats st = c.sim->stats();
  const auto& gv = st.commands.at("GetVersion");
  EXPECT_EQ(gv.count, 2u);
  EXPECT_EQ(gv.capdu_bytes, 2u * 13);            // 84 04 00 20 08 <MAC 8>
  EXPECT_EQ(gv.rapdu_bytes, 2u * (16 + 8 + 2));  // 9 bytes padded to 16, R-MAC, SW
  EXPECT_EQ(st.commands.at("CheckObjectExists").capdu_bytes, 5u + 16 + 8);
  EXPECT_EQ(st.commands.at("PlatformSCP").count, 3u);
  EXPECT_EQ(st.total.count, 3u);
  EXPECT_GT(gv.modelled_time / 2, plain.modelled_time);
  c.sim->reset_stats();
  ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
  EXPECT_EQ(c.sim->stats().commands.at("InitializeUpdate").count, 1u);
  EXPECT_EQ(c.sim->stats().commands.at("ExternalAuthenticate").capdu_bytes, 21u);
  EXPECT_EQ(c.sim->stats().commands.count("PlatformSCP"), 0u);
}

// Damaged wrapped commands: a bare 6982 while they stay wrapped, never a crash or silence; the
// card stays usable.
TEST(SimScp03, GarbageWrappedCommandsNeverCrash) {
  std::mt19937 rng(4242);
  ScpCard c;
  c.select();
  for (int round = 0; round < 300; ++round) {
    ASSERT_TRUE(c.open_channel(default_keys("SE050C"), scp::CounterRule::Applet3).ok());
    auto w = c.ch->wrap(se05x::build_command({0x80, 0x04, 0x00, 0x27}, id_tlv(0x7FFF0206), se05x::LeMode::None));
    ASSERT_TRUE(w.ok());
    Bytes bad = *w;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    const Bytes r = c.raw(bad);
    ASSERT_GE(r.size(), 2u) << to_hex(bad);
    // still a wrapped CLA (x4..x7, xC..xF of classes 0x and 8x): the C-MAC covers header and
    // body, so a bare 6982
    const uint8_t group = bad.empty() ? 0xFF : bad[0] & 0xF0;
    if (bad.size() >= 4 && (bad[0] & 0x04) && (group == 0x00 || group == 0x80)) {
      EXPECT_EQ(r, hex("6982")) << to_hex(bad);
    }
  }
  EXPECT_TRUE(c.opens_with(default_keys("SE050C"), scp::CounterRule::Applet3));
}

}  // namespace
}  // namespace sx::sim::test
