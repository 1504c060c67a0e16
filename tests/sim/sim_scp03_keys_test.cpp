// The simulator's PlatformSCP03 state: GET DATA DF28 per variant, PUT KEY persisted in the NVM
// (across power_on(), re-open and power cuts), old NVM images, and "platform SCP required"
// (SetPlatformSCPRequest in a 7FFF0207 session, docs/scp03.md §7).
#include <nlohmann/json.hpp>

#include <openssl/sha.h>

#include "link/apdu_channel.h"
#include "se05x/client.h"
#include "sim/nvm_file.h"
#include "sim_scp03_util.h"
#include "support/temp_dir.h"

namespace sx::sim::test {
namespace {

using sx::testing::TempDir;
constexpr auto k3 = scp::CounterRule::Applet3;

TEST(SimScp03Keys, GetDataDf28NamesTheVariantsOefId) {
  for (const std::string v : {"SE050A", "SE050B", "SE050C", "SE050E", "SE051H"}) {
    SCOPED_TRACE(v);
    ScpCard c(make_cfg(v));
    ASSERT_EQ(c.tx(kSelectIsd).sw, 0x9000);
    const Bytes r = c.raw(hex(kGetDataDf28));
    auto oef = scp::parse_oef_id(r);
    ASSERT_TRUE(oef.ok()) << to_hex(r);
    EXPECT_EQ(*oef, oef_of(v));
    ASSERT_NE(scp::default_keys_for_oef(*oef), nullptr);
    // the key set it names is the one the chip opens with
    EXPECT_TRUE(c.opens_with(scp::default_keys_for_oef(*oef)->keys(), rule_of(v)));
    // the applet does not answer GET DATA
    EXPECT_NE(c.tx(kGetDataDf28).sw, 0x9000);
    EXPECT_EQ(c.tx(kSelectIsd).sw, 0x9000);
    EXPECT_EQ(c.tx("80 CA 00 FE 02 DF 29 00").sw, 0x6A88);
    // the SSD answers it too, also through its channel
    EXPECT_EQ(c.tx(kSelectSsd).sw, 0x9000);
    ASSERT_TRUE(c.open_channel(scp::default_keys_for_oef(*oef)->keys(), rule_of(v)).ok());
    auto wrapped = c.stx(kGetDataDf28);
    EXPECT_TRUE(scp::parse_oef_id(se05x::make_response(wrapped.data, wrapped.sw)).ok());
  }
}

TEST(SimScp03Keys, PutKeyPersistsAcrossPowerOnAndReopen) {
  TempDir dir;
  const Config cfg = make_cfg("SE050C", dir.file("se.nvm"));
  const scp::StaticKeys old = default_keys("SE050C"), next = example_new_keys();
  ScpCard c(cfg);
  ASSERT_EQ(c.rotate(old, next, k3).sw, 0x9000);
  // GP: the open channel keeps its session keys until the next SELECT
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x6D00);  // on the SSD; still wrapped and MACed both ways
  EXPECT_FALSE(c.opens_with(old, k3));
  EXPECT_TRUE(c.opens_with(next, k3));
  ASSERT_TRUE(c.sim->power_on().ok());
  EXPECT_TRUE(c.opens_with(next, k3));
  c.reopen(cfg);
  EXPECT_FALSE(c.opens_with(old, k3));
  EXPECT_TRUE(c.opens_with(next, k3));
  // AES-256 key sets too
  const scp::StaticKeys big{Bytes(32, 0x11), Bytes(32, 0x22), Bytes(32, 0x33)};
  ASSERT_EQ(c.rotate(next, big, k3).sw, 0x9000);
  c.reopen(cfg);
  EXPECT_TRUE(c.opens_with(big, k3));
}

TEST(SimScp03Keys, PutKeyWithABadKeyCheckValueChangesNothing) {
  ScpCard c;
  const scp::StaticKeys old = default_keys("SE050C");
  ASSERT_EQ(c.tx(kSelectSsd).sw, 0x9000);
  ASSERT_TRUE(c.open_channel(old, k3).ok());
  auto pk = scp::put_key(old, example_new_keys());
  ASSERT_TRUE(pk.ok());
  (*pk)[5 + 1 + 3 + 16 + 1] ^= 0x01;  // first byte of the ENC key's KCV
  EXPECT_NE(c.stx(*pk).sw, 0x9000);
  EXPECT_TRUE(c.opens_with(old, k3));
}

// A power cut at the PUT KEY write: no answer, and the chip opens afterwards with exactly one
// of the two sets — the old one when the write did not happen (before, or torn: the key set is
// written atomically), the new one when it did.
TEST(SimScp03Keys, PowerCutAtPutKeyLeavesOldOrNewKeys) {
  const scp::StaticKeys old = default_keys("SE050C"), next = example_new_keys();
  for (const CutMode mode : {CutMode::BeforeWrite, CutMode::TornWrite, CutMode::AfterWrite}) {
    for (const bool file : {true, false}) {
      SCOPED_TRACE(std::to_string(static_cast<int>(mode)) + (file ? " file" : " ram"));
      TempDir dir;
      const Config cfg = make_cfg("SE050C", file ? dir.file("se.nvm") : "");
      ScpCard c(cfg);
      ASSERT_EQ(c.tx(kSelectSsd).sw, 0x9000);
      ASSERT_TRUE(c.open_channel(old, k3).ok());
      auto pk = scp::put_key(old, next);
      ASSERT_TRUE(pk.ok());
      auto w = c.ch->wrap(*pk);
      ASSERT_TRUE(w.ok());
      c.sim->faults().cut_at_write(1, mode, 10);
      EXPECT_TRUE(c.raw(*w).empty());
      EXPECT_FALSE(c.sim->powered());
      ASSERT_TRUE(c.sim->power_on().ok());
      const bool with_old = c.opens_with(old, k3), with_new = c.opens_with(next, k3);
      EXPECT_NE(with_old, with_new);
      EXPECT_EQ(with_new, mode == CutMode::AfterWrite);
      if (file) {
        c.reopen(cfg);
        EXPECT_EQ(c.opens_with(next, k3), mode == CutMode::AfterWrite);
      }
    }
  }
}

// An NVM image of format 2 (before PlatformSCP03) as the previous simulator wrote it.
Bytes as_version_2(ByteView current) {
  auto j = nlohmann::json::parse(current.begin() + 48, current.end());
  j.erase("scp");
  const std::string payload = j.dump();
  Bytes out(current.begin(), current.begin() + 8);
  put_u32(out, 2);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  uint8_t d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), d);
  out.insert(out.end(), d, d + sizeof d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(SimScp03Keys, OldNvmImagesLoadWithTheVariantsDefaultKeys) {
  TempDir dir;
  const std::string path = dir.file("se.nvm");
  const Config cfg = make_cfg("SE050E", path);
  { ScpCard c(cfg); }
  auto cur = read_whole_file(path);
  ASSERT_TRUE(cur.ok() && *cur);
  EXPECT_EQ(get_u32(**cur, 8), 3u);
  ASSERT_TRUE(write_file_atomic(path, as_version_2(**cur), false).ok());
  ScpCard c(cfg);
  EXPECT_TRUE(c.opens_with(default_keys("SE050E"), scp::CounterRule::Applet43));
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);  // not required
}

// --- platform SCP required

struct RequiredCard : ScpCard {
  explicit RequiredCard(Config cfg = make_cfg()) : ScpCard(std::move(cfg)) {}
  // Through a channel on the applet: a verified 7FFF0207 session (UserID written when absent).
  Bytes platform_session() {
    EXPECT_TRUE(opens_with(default_keys("SE050C"), k3));
    const Response exists = stx(se05x::build_command({0x80, 0x04, 0x00, 0x27}, id_tlv(se05x::objid::kPlatformScpAuth),
                                                     se05x::LeMode::None));
    if (value(exists) != hex("01")) {
      EXPECT_EQ(stx(write_user_id(se05x::objid::kPlatformScpAuth, kPinY)).sw, 0x9000);
    }
    const Response cs = stx(se05x::build_command({0x80, 0x04, 0x00, 0x1B}, id_tlv(se05x::objid::kPlatformScpAuth),
                                                 se05x::LeMode::None));
    EXPECT_EQ(cs.sw, 0x9000);
    const Bytes sid = value(cs);
    EXPECT_EQ(stx(wrap(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, kPinY).take()))).sw, 0x9000);
    return sid;
  }
  static Bytes request(bool required) { return inner(0x04, 0x00, 0x52, hex(required ? "41 01 01" : "41 01 02")); }
};

TEST(SimScp03Required, RefusesPlainAppletCommandsAndSurvivesPowerCycles) {
  TempDir dir;
  const Config cfg = make_cfg("SE050C", dir.file("se.nvm"));
  RequiredCard c(cfg);
  const Bytes sid = c.platform_session();
  ASSERT_EQ(c.stx(wrap(sid, RequiredCard::request(true))).sw, 0x9000);
  EXPECT_EQ(c.stx("80 04 00 20").sw, 0x9000);  // the channel goes on
  c.select();                                  // SELECT stays plain
  EXPECT_EQ(c.raw(hex("80 04 00 20")), hex("6982"));
  EXPECT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x6982);
  EXPECT_EQ(c.tx("00 A4 04 00 00").sw, 0x9000);  // GET DATA on the ISD stays plain-allowed
  auto oef = scp::parse_oef_id(c.raw(hex(kGetDataDf28)));
  ASSERT_TRUE(oef.ok());
  EXPECT_EQ(*oef, 0xA200);
  EXPECT_TRUE(c.opens_with(default_keys("SE050C"), k3));  // IU / EA plain, then wrapped
  EXPECT_EQ(c.stx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  // persistent: a power cycle and a new process keep it
  ASSERT_TRUE(c.sim->power_on().ok());
  c.select();
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x6982);
  c.reopen(cfg);
  c.select();
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x6982);
  // the same session rule switches it off again
  const Bytes sid2 = c.platform_session();
  ASSERT_EQ(c.stx(wrap(sid2, RequiredCard::request(false))).sw, 0x9000);
  c.select();
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);
}

TEST(SimScp03Required, OnlyA7FFF0207SessionThroughAChannelMayChangeIt) {
  RequiredCard c;
  c.select();
  const uint32_t scp_id = se05x::objid::kPlatformScpAuth;
  EXPECT_EQ(c.tx(write_user_id(0x7FFF0208, kPinY)).sw, 0x6A80);  // other reserved IDs stay closed
  EXPECT_EQ(c.tx(write_user_id(scp_id, kPinY)).sw, 0x9000);      // written plain by anyone when absent
  // a verified 7FFF0207 session, but plain
  const Bytes sid = value(c.cmd(0x04, 0x00, 0x1B, id_tlv(scp_id)));
  ASSERT_EQ(c.tx(wrap(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, kPinY).take()))).sw, 0x9000);
  EXPECT_EQ(c.tx(wrap(sid, RequiredCard::request(true))).sw, 0x6982);
  // through a channel, but outside any session, or in another UserID's session
  ASSERT_TRUE(c.opens_with(default_keys("SE050C"), k3));
  EXPECT_EQ(c.stx(RequiredCard::request(true)).sw, 0x6985);
  ASSERT_EQ(c.stx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sx = value(c.stx(se05x::build_command({0x80, 0x04, 0x00, 0x1B}, id_tlv(kUserX), se05x::LeMode::None)));
  ASSERT_EQ(c.stx(wrap(sx, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, kPinX).take()))).sw, 0x9000);
  EXPECT_EQ(c.stx(wrap(sx, RequiredCard::request(true))).sw, 0x6985);
  EXPECT_EQ(c.stx(wrap(sx, inner(0x04, 0x00, 0x52, hex("41 01 03")))).sw, 0x6985);
  c.select();
  EXPECT_EQ(c.tx("80 04 00 20").sw, 0x9000);  // nothing changed
}

// se05x::Client::set_platform_scp_required over a link that wraps through the host channel.
class ScpLink : public link::ApduChannel {
 public:
  explicit ScpLink(ScpCard& c) : c_(c) {}
  Result<Bytes> open() override { return Bytes{}; }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    if (!c_.ch) return c_.raw(capdu);
    SX_ASSIGN(Bytes w, c_.ch->wrap(capdu));
    return c_.ch->unwrap(c_.raw(w));
  }
  Status close() override { return {}; }
  std::string describe() const override { return "test PlatformSCP03 link"; }

 private:
  ScpCard& c_;
};

TEST(SimScp03Required, ClientMethodSetsAndClearsIt) {
  RequiredCard c;
  ScpLink link(c);
  se05x::Client cl(link);
  c.select();
  ASSERT_TRUE(cl.write_user_id(se05x::objid::kPlatformScpAuth, kPinY).ok());
  auto sid = cl.create_session(se05x::objid::kPlatformScpAuth);
  ASSERT_TRUE(sid.ok());
  ASSERT_TRUE(cl.verify_session_user_id(*sid, kPinY).ok());
  auto plain = cl.set_platform_scp_required(*sid, true);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().sw, 0x6982);

  ASSERT_TRUE(c.opens_with(default_keys("SE050C"), k3));
  sid = cl.create_session(se05x::objid::kPlatformScpAuth);
  ASSERT_TRUE(sid.ok());
  ASSERT_TRUE(cl.verify_session_user_id(*sid, kPinY).ok());
  ASSERT_TRUE(cl.set_platform_scp_required(*sid, true).ok());
  EXPECT_TRUE(cl.get_version().ok());  // through the channel
  c.ch.reset();
  c.select();
  auto refused = cl.get_version();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().sw, 0x6982);

  ASSERT_TRUE(c.opens_with(default_keys("SE050C"), k3));
  sid = cl.create_session(se05x::objid::kPlatformScpAuth);
  ASSERT_TRUE(sid.ok());
  ASSERT_TRUE(cl.verify_session_user_id(*sid, kPinY).ok());
  ASSERT_TRUE(cl.set_platform_scp_required(*sid, false).ok());
  c.ch.reset();
  c.select();
  EXPECT_TRUE(cl.get_version().ok());
}

}  // namespace
}  // namespace sx::sim::test
