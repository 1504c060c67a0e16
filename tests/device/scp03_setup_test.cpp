// device/scp03_setup.h: the `scp03` setting, the environment override, and
// the key rings each mode builds (default keys found by OEF ID, or all of them).
#include <gtest/gtest.h>

#include <cstdlib>

#include "device/scp03_setup.h"
#include "scp03_test_card.h"
#include "se05x/scp03_defaults.h"

namespace sx::device::scp03_setup_test {
namespace {

namespace scp = se05x::scp03;

// Answers the OEF ID read-out (ISD SELECT + GET DATA DF28) or refuses it, and
// counts what it saw; everything else goes to `below`.
class OefLink : public link::ApduChannel {
 public:
  explicit OefLink(link::ApduChannel& below) : below_(below) {}
  std::optional<uint16_t> oef;  // unset: the read-out is refused
  int isd_selects = 0, get_data = 0;
  Result<Bytes> open() override { return below_.open(); }
  Status close() override { return {}; }
  std::string describe() const override { return "oef"; }
  Result<Bytes> transceive(std::span<const uint8_t> c) override {
    const Bytes capdu(c.begin(), c.end());
    if (capdu == hex("00 A4 04 00 00")) {
      ++isd_selects;
      return below_.transceive(capdu);  // deselects, as on the chip
    }
    if (capdu == scp::get_data_config()) {
      ++get_data;
      if (!oef) return Bytes{0x69, 0x82};
      Bytes r = scp::encode_config_data(*oef);
      r.push_back(0x90);
      r.push_back(0x00);
      return r;
    }
    return below_.transceive(capdu);
  }

 private:
  link::ApduChannel& below_;
};

struct EnvGuard {
  EnvGuard() {
    ::unsetenv("SE05X_SCP03");
    ::unsetenv("SE05X_SCP03_KEY_FILE");
  }
  ~EnvGuard() {
    ::unsetenv("SE05X_SCP03");
    ::unsetenv("SE05X_SCP03_KEY_FILE");
  }
};

TEST(Scp03Setup, ModesParseAndTheEnvironmentOverrides) {
  EnvGuard g;
  EXPECT_EQ(*parse_scp03_mode("off"), Scp03Mode::Off);
  EXPECT_EQ(*parse_scp03_mode("default-keys"), Scp03Mode::DefaultKeys);
  EXPECT_EQ(*parse_scp03_mode("required"), Scp03Mode::Required);
  EXPECT_FALSE(parse_scp03_mode("on").ok());
  Scp03Settings c;
  c.mode = Scp03Mode::Required;
  c.key_file = "/etc/x";
  EXPECT_EQ(scp03_with_env(c)->mode, Scp03Mode::Required);
  ::setenv("SE05X_SCP03", "default-keys", 1);
  ::setenv("SE05X_SCP03_KEY_FILE", "/tmp/k", 1);
  EXPECT_EQ(scp03_with_env(c)->mode, Scp03Mode::DefaultKeys);
  EXPECT_EQ(scp03_with_env(c)->key_file, "/tmp/k");
  ::setenv("SE05X_SCP03", "bogus", 1);
  EXPECT_FALSE(scp03_with_env(c).ok());
}

TEST(Scp03Setup, OffStacksNothingAndRequiredNeedsAKeyFile) {
  EnvGuard g;
  Scp03Settings off;
  auto o = with_scp03({}, off);
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->secure_link);
  Scp03Settings req;
  req.mode = Scp03Mode::Required;
  auto r = with_scp03({}, req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("scp03_key_file"), std::string::npos) << r.error().message;
  req.key_file = "/nonexistent/dir/scp03.keys";
  auto missing = with_scp03({}, req);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("required"), std::string::npos) << missing.error().message;
}

struct DefaultKeys : ::testing::Test {
  std::unique_ptr<sim::Simulator> sim;
  std::vector<std::string> warnings;
  void SetUp() override {
    sim::Config cfg;
    cfg.fsync = false;
    auto s = sim::Simulator::open(cfg);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    sim = std::move(*s);
  }
  Scp03Warn warn() {
    return [this](const std::string& w) { warnings.push_back(w); };
  }
};

TEST_F(DefaultKeys, TheVariantsSetFromItsOefIdAndOneWarning) {
  const scp::DefaultKeySet* set = scp::default_keys_for_oef(0xA200);
  ASSERT_NE(set, nullptr);
  testing::ScpCard card(*sim, set->keys());
  OefLink oef(card);
  oef.oef = 0xA200;
  Scp03Settings s;
  s.mode = Scp03Mode::DefaultKeys;
  auto ring = scp03_key_ring(s, warn());
  ASSERT_TRUE(ring.ok() && *ring);
  Scp03Channel ch(oef, *ring);
  auto r = ch.transceive(hex("00 A4 04 00 10 A0000003965453000000010300000000 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(ch.channel_open());
  EXPECT_EQ(oef.get_data, 1);
  EXPECT_EQ(card.initialize_updates, 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("public"), std::string::npos);
  EXPECT_NE(warnings[0].find(std::string(set->variant)), std::string::npos);
  // A second SELECT reads nothing again and warns no more.
  ASSERT_TRUE(ch.transceive(hex("00 A4 04 00 10 A0000003965453000000010300000000 00")).ok());
  EXPECT_EQ(oef.get_data, 1);
  EXPECT_EQ(warnings.size(), 1u);
}

TEST_F(DefaultKeys, ARefusedReadOutTriesEveryPublishedSet) {
  const auto sets = scp::default_key_sets();
  ASSERT_GT(sets.size(), 2u);
  const scp::DefaultKeySet& last = sets[sets.size() - 1];
  testing::ScpCard card(*sim, last.keys());
  OefLink oef(card);  // refuses GET DATA
  Scp03Settings s;
  s.mode = Scp03Mode::DefaultKeys;
  auto ring = scp03_key_ring(s, warn());
  ASSERT_TRUE(ring.ok() && *ring);
  Scp03Channel ch(oef, *ring);
  auto r = ch.transceive(hex("00 A4 04 00 10 A0000003965453000000010300000000 00"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(ch.channel_open());
  EXPECT_GE(card.initialize_updates, 2);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("public"), std::string::npos);
  std::printf("[ measured ] default keys without the OEF ID: %d INITIALIZE UPDATEs of %zu candidates\n",
              card.initialize_updates, all_default_candidates().size());
}

}  // namespace
}  // namespace sx::device::scp03_setup_test
