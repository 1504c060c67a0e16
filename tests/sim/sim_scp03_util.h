// Test helpers for the simulator's PlatformSCP03 card side: a card driven through the host-side
// se05x::scp03::HostChannel, the published key sets, the SSD / ISD selections.
#pragma once

#include <optional>

#include "se05x/scp03.h"
#include "se05x/scp03_defaults.h"
#include "sim_session_util.h"

namespace sx::sim::test {

namespace scp = se05x::scp03;

inline const std::string kSelectSsd = "00 A4 04 00 0B D2 76 00 00 85 30 4A 43 4F 90 03 00";
inline const std::string kSelectIsd = "00 A4 04 00 00";
inline const std::string kGetDataDf28 = "80 CA 00 FE 02 DF 28 00";

// GP test keys (docs/scp03.md §2) and the new set of the PUT KEY example (§6).
inline scp::StaticKeys gp_test_keys() {
  const Bytes k = hex("404142434445464748494A4B4C4D4E4F");
  return {k, k, k};
}
inline scp::StaticKeys example_new_keys() {
  return {hex("00112233445566778899AABBCCDDEEFF"), hex("102132435465768798A9BACBDCEDFE0F"),
          hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0")};
}
inline uint16_t oef_of(const std::string& variant) {
  if (variant == "SE050A") return 0xA204;
  if (variant == "SE050B") return 0xA202;
  if (variant == "SE050C") return 0xA200;
  if (variant == "SE050E") return 0xA921;
  return 0xA8FA;  // SE051H
}
inline scp::StaticKeys default_keys(const std::string& variant) {
  const scp::DefaultKeySet* d = scp::default_keys_for_oef(oef_of(variant));
  EXPECT_NE(d, nullptr) << variant;
  return d ? d->keys() : scp::StaticKeys{};
}
inline scp::CounterRule rule_of(const std::string& variant) {
  return variant == "SE050E" || variant == "SE051H" ? scp::CounterRule::Applet43 : scp::CounterRule::Applet3;
}

// Built before Card (base order), so the simulator's challenge hook can point at it.
struct ChallengeHolder {
  std::shared_ptr<Bytes> card_challenge = std::make_shared<Bytes>();
};

// A card with a host channel on top. `*card_challenge` (when set) is what the simulator answers
// in every INITIALIZE UPDATE.
struct ScpCard : ChallengeHolder, Card {
  std::optional<scp::HostChannel> ch;
  Bytes last_wire;  // the last wrapped R-APDU as it came off the card

  static Config with_challenge(Config cfg, const std::shared_ptr<Bytes>& cc) {
    cfg.card_challenge = [cc]() -> Bytes {
      if (!cc->empty()) return *cc;
      return Bytes{1, 2, 3, 4, 5, 6, 7, 8};
    };
    return cfg;
  }
  explicit ScpCard(Config cfg = make_cfg()) : Card(with_challenge(std::move(cfg), card_challenge)) {}
  void reopen(Config cfg) {
    ch.reset();
    open(with_challenge(std::move(cfg), card_challenge));
  }

  // INITIALIZE UPDATE + EXTERNAL AUTHENTICATE on whatever is selected. The error names the step.
  Status open_channel(const scp::StaticKeys& k, scp::CounterRule rule, ByteView host_challenge = hex("0102030405060708")) {
    ch.reset();
    const Bytes iu = raw(scp::initialize_update(host_challenge));
    SX_ASSIGN(auto reply, scp::parse_initialize_update_reply(iu));
    Bytes ea;
    SX_ASSIGN(auto host, scp::HostChannel::begin(k, host_challenge, reply, rule, &ea));
    const Bytes r = raw(ea);
    if (r != hex("9000")) return make_error(Errc::StatusWord, "EXTERNAL AUTHENTICATE answered " + to_hex(r));
    ch.emplace(std::move(host));
    return {};
  }
  // One plain C-APDU through the channel; a failed unwrap is a test failure (sw 0).
  Response stx(ByteView plain) {
    auto w = ch->wrap(plain);
    EXPECT_TRUE(w.ok());
    if (!w.ok()) return {};
    last_wire = raw(*w);
    auto u = ch->unwrap(last_wire);
    EXPECT_TRUE(u.ok()) << "unwrap of " << to_hex(last_wire) << ": " << (u.ok() ? "" : u.error().to_string());
    if (!u.ok()) return {};
    auto s = se05x::split_response(*u);
    return s.ok() ? *s : Response{};
  }
  Response stx(std::string_view h) { return stx(hex(h)); }
  // PUT KEY on the SSD through a channel opened with `current`; the card's answer.
  Response rotate(const scp::StaticKeys& current, const scp::StaticKeys& next, scp::CounterRule rule) {
    EXPECT_EQ(tx(kSelectSsd).sw, 0x9000);
    EXPECT_TRUE(open_channel(current, rule).ok());
    auto pk = scp::put_key(current, next);
    EXPECT_TRUE(pk.ok());
    return pk.ok() ? stx(*pk) : Response{};
  }
  // True when a channel opens with `k` on the applet (selected first).
  bool opens_with(const scp::StaticKeys& k, scp::CounterRule rule) {
    if (tx(kSelect).sw != 0x9000) return false;
    return open_channel(k, rule).ok() && stx("80 04 00 20").sw == 0x9000;
  }
};

}  // namespace sx::sim::test
