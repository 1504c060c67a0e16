// What crosses the (virtual) I2C bus with PlatformSCP03 on and off: the PKCS#11
// module, loaded in this process, provisions a token, logs in with a known PIN
// and imports a known EC private key over vi2c: (T=1 frames) to a simulated
// chip served from this process, whose bus is recorded byte for byte. With the
// channel on, neither the private scalar, nor the PIN, nor the UserID value the
// module derives from it, nor any command body the card received, appears on
// the bus; with it off they all do (so the search itself is shown to work).
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "../pkcs11/p11_fixture.h"
#include "link/vi2c.h"
#include "scp03_test_card.h"
#include "se05x/scp03_defaults.h"
#include "t1/card.h"

namespace sx::device::scp03_bus_capture_test {
namespace {

using sx::p11test::P11Test;

// RFC 6979 A.2.5's P-256 private key: a known, valid scalar.
const Bytes kScalar = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
const Bytes kP256Oid = hex("06082A8648CE3D030107");

// The bus as the chip sees it: every successful write and read, in order, per direction.
class RecordingBus : public link::I2cBus {
 public:
  explicit RecordingBus(link::I2cBus& card) : card_(card) {}
  Status write(std::span<const uint8_t> d) override {
    auto s = card_.write(d);
    std::lock_guard<std::mutex> g(mu_);
    if (s) to_card.insert(to_card.end(), d.begin(), d.end());
    return s;
  }
  Status read(std::span<uint8_t> out) override {
    auto s = card_.read(out);
    std::lock_guard<std::mutex> g(mu_);
    if (s) from_card.insert(from_card.end(), out.begin(), out.end());
    return s;
  }
  std::string describe() const override { return card_.describe(); }
  Bytes to_card, from_card;

 private:
  link::I2cBus& card_;
  std::mutex mu_;
};

bool contains(const Bytes& hay, ByteView needle) {
  return !needle.empty() && std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// The UserID value inside a plain VerifySessionUserID in its session wrapper:
// 80 05 00 00 Lc 10 08 <id> 41 L [80 04 00 2C Lc 41 L <value>] (docs/se05x-protocol.md §4.9.3).
std::optional<Bytes> user_id_value(ByteView c) {
  if (c.size() < 5 + 10 + 2 + 7 || c[0] != 0x80 || c[1] != 0x05) return std::nullopt;
  ByteView inner = c.subspan(5 + 10 + 2);
  if (inner[1] != 0x04 || inner[3] != 0x2C || inner[5] != 0x41 || inner.size() < size_t{7} + inner[6])
    return std::nullopt;
  return Bytes(inner.begin() + 7, inner.begin() + 7 + inner[6]);
}

class Scp03BusCapture : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    sim::Config cfg;
    cfg.fsync = false;
    auto s = sim::Simulator::open(cfg);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    chip = std::move(*s);
    // The published keys of the simulated SE050C1 (OEF ID A200): default-keys reads that ID
    // through the issuer security domain, which the simulator answers.
    scp_card = std::make_unique<testing::ScpCard>(*chip, se05x::scp03::default_keys_for_oef(0xA200)->keys());
    t1 = std::make_unique<t1::Card>(
        [this](ByteView c) {
          auto r = scp_card->transceive(c);
          return r ? *r : Bytes{0x6F, 0x00};
        },
        [this] {
          chip->chip_reset();
          scp_card->drop_channel();
        },
        t1::CardConfig{chip->atr()});
    bus = std::make_unique<RecordingBus>(*t1);
    server = std::make_unique<link::Vi2cServer>(*bus);
    ASSERT_TRUE(server->listen(dir->file("bus.sock")).ok());
    ASSERT_TRUE(server->start().ok());
    ::setenv("SE05X_PORT", ("vi2c:" + dir->file("bus.sock")).c_str(), 1);
    ::setenv("SE05X_T1_TIMING", "immediate", 1);
    ::unsetenv("SE05X_SCP03");
    ::unsetenv("SE05X_SCP03_KEY_FILE");
  }
  void TearDown() override {
    P11Test::TearDown();
    if (server) server->stop();
  }

  // Provision, log in, import the key; the module's whole conversation on the bus.
  void run(bool scp03) {
    sx::p11test::use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                                       "\npin_iterations = 1000\nlog_level = error\nscp03 = " +
                                                       (scp03 ? "default-keys" : "off") + "\n");
    init();
    provision();
    CK_SESSION_HANDLE s = open();
    login(s);
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    CK_BBOOL yes = CK_TRUE;
    std::string label = "captured";
    Bytes id = {0x42};
    Bytes params = kP256Oid, value = kScalar;
    std::vector<CK_ATTRIBUTE> t = {sx::p11test::attr_of(CKA_CLASS, cls),   sx::p11test::attr_of(CKA_KEY_TYPE, kt),
                                   sx::p11test::attr_of(CKA_TOKEN, yes),   sx::p11test::attr_of(CKA_SIGN, yes),
                                   sx::p11test::attr_of(CKA_PRIVATE, yes), sx::p11test::attr_str(CKA_LABEL, label),
                                   sx::p11test::attr_bytes(CKA_ID, id),    sx::p11test::attr_bytes(CKA_EC_PARAMS, params),
                                   sx::p11test::attr_bytes(CKA_VALUE, value)};
    CK_OBJECT_HANDLE h = 0;
    ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
    ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
    ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
    f = nullptr;
  }

  struct Found {
    bool scalar = false, pin = false, user_id = false;
    size_t bodies = 0, bodies_seen = 0;
  };
  Found search() {
    Found r;
    const Bytes& w = bus->to_card;
    r.scalar = contains(w, kScalar);
    r.pin = contains(w, Bytes(sx::p11test::kUserPin, sx::p11test::kUserPin + 4));
    for (const Bytes& c : scp_card->plain_log) {
      if (auto v = user_id_value(c); v && contains(w, *v)) r.user_id = true;
      // Every command body of 8 bytes or more that fits one T=1 frame.
      if (c.size() < 5 + 8 || c[4] < 8 || c[4] > 200 || c.size() < size_t{5} + c[4]) continue;
      ++r.bodies_seen;
      if (contains(w, ByteView(c).subspan(5, c[4]))) ++r.bodies;
    }
    return r;
  }

  std::unique_ptr<sim::Simulator> chip;
  std::unique_ptr<testing::ScpCard> scp_card;
  std::unique_ptr<t1::Card> t1;
  std::unique_ptr<RecordingBus> bus;
  std::unique_ptr<link::Vi2cServer> server;
};

TEST_F(Scp03BusCapture, WithTheChannelNoSecretCrossesTheBus) {
  run(true);
  ASSERT_GT(scp_card->wrapped, 10);
  const Found found = search();
  EXPECT_FALSE(found.scalar);
  EXPECT_FALSE(found.pin);
  EXPECT_FALSE(found.user_id);
  EXPECT_GT(found.bodies_seen, 10u);
  EXPECT_EQ(found.bodies, 0u);
  std::printf("[ measured ] bus bytes host->chip %zu, chip->host %zu; %zu plain bodies checked, none on the bus\n",
              bus->to_card.size(), bus->from_card.size(), found.bodies_seen);
}

TEST_F(Scp03BusCapture, WithoutTheChannelTheSearchFindsThem) {
  run(false);
  EXPECT_EQ(scp_card->wrapped, 0);
  const Found found = search();
  EXPECT_TRUE(found.scalar);
  EXPECT_TRUE(found.user_id);
  EXPECT_EQ(found.bodies, found.bodies_seen);
  std::printf("[ measured ] plain: bus bytes host->chip %zu, chip->host %zu; PIN itself on the bus: %s\n",
              bus->to_card.size(), bus->from_card.size(), found.pin ? "yes" : "no (only its derived UserID value)");
}

}  // namespace
}  // namespace sx::device::scp03_bus_capture_test
