// Attack-style test against the real se05x-sim process over JRCP, with a raw client made
// only of src/link (no project host stack, no PIN): a PIN-bound key cannot be used without a
// verified session of its UserID, and wrong PINs are counted by the chip, across restarts.
#include <gtest/gtest.h>

#include "base/bytes.h"
#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "support/sim_process.h"

namespace sx::sim::test {
namespace {

using sx::testing::TempDir;

struct Raw {
  link::JrcpClient client;
  explicit Raw(const std::string& ep) : client(*link::parse_endpoint(ep)) {}
  // R-APDU bytes; the status word is the last two.
  Bytes tx(std::string_view h) {
    auto r = client.transceive(hex(h));
    EXPECT_TRUE(r.ok()) << h;
    return r.ok() ? *r : Bytes{};
  }
  uint16_t sw(std::string_view h) {
    const Bytes r = tx(h);
    return r.size() >= 2 ? get_u16(r, r.size() - 2) : 0;
  }
};

constexpr const char* kSelect = "00A4040010A00000039654530000000103000000 00";
const std::string kDigest(64, 'A');
const std::string kSign = "80 03 0C 09 2B 41 04 20181001 42 01 21 43 20 " + kDigest;

std::string wrapped(const std::string& sid, const std::string& inner_hex) {
  const Bytes in = hex(inner_hex);
  Bytes body = hex("10 08 " + sid);
  body.push_back(0x41);
  body.push_back(static_cast<uint8_t>(in.size()));
  append(body, in);
  Bytes apdu = hex("80 05 00 00");
  apdu.push_back(static_cast<uint8_t>(body.size()));
  append(apdu, body);
  return to_hex(apdu);
}

std::string verify(const std::string& sid, const std::string& pin_hex) {
  const auto n = static_cast<uint8_t>(pin_hex.size() / 2);
  Bytes head = hex("80 04 00 2C");
  head.push_back(static_cast<uint8_t>(n + 2));
  head.push_back(0x41);
  head.push_back(n);
  return wrapped(sid, to_hex(head) + pin_hex);
}

uint16_t failed_attempts(Raw& r) {
  const Bytes a = r.tx("80 02 00 3B 06 41 04 7DA00001");  // attributes: TAG_3 on applet 7.2
  return a.size() > 10 && a[0] == 0x43 ? get_u16(a, 2 + 6) : 0xFFFF;
}

TEST(SimAttackProcess, PinBoundKeyNeedsTheChipSessionAndWrongPinsAreCounted) {
  TempDir dir;
  auto sim = sx::testing::start_sim_in(dir, "chip.nvm", {"--variant", "SE050E"});
  ASSERT_TRUE(sim);
  {
    Raw r(sim->endpoints()[0]);
    ASSERT_TRUE(r.client.open().ok());
    ASSERT_EQ(r.sw(kSelect), 0x9000);
    // Provisioning as our module will do it: UserID (PIN "123456", 3 tries), PIN-bound key.
    ASSERT_EQ(r.sw("80 41 07 00 12 12 02 0003 41 04 7DA00001 42 06 313233343536"), 0x9000);
    ASSERT_EQ(r.sw("80 01 61 00 1D 11 12 08 7DA00001 18240000 08 00000000 00200000 41 04 20181001 42 01 03"), 0x9000);
    // The attacker: no session -> 6986.
    EXPECT_EQ(r.sw(kSign), 0x6986);
    EXPECT_EQ(r.sw("80 04 00 28 06 41 04 20181001"), 0x6986);  // nor delete it
    const Bytes cs = r.tx("80 04 00 1B 06 41 04 7DA00001");
    ASSERT_EQ(cs.size(), 12u);
    const std::string sid = to_hex(ByteView(cs).subspan(2, 8));
    EXPECT_EQ(r.sw(wrapped(sid, kSign)), 0x6985);  // unverified session
    EXPECT_EQ(r.sw(verify(sid, "313131313131")), 0x6985);
    EXPECT_EQ(failed_attempts(r), 1);
    EXPECT_EQ(r.sw(verify(sid, "313233343536")), 0x9000);
    EXPECT_EQ(failed_attempts(r), 0);
    EXPECT_EQ(r.sw(wrapped(sid, kSign)), 0x9000);  // the owner, verified
    for (int i = 0; i < 3; ++i) EXPECT_EQ(r.sw(verify(sid, "393939393939")), 0x6985);
    EXPECT_EQ(r.sw(verify(sid, "313233343536")), 0x6983);  // locked: guessing ends here
    EXPECT_EQ(failed_attempts(r), 3);
  }
  sim->stop();
  sim = sx::testing::start_sim_in(dir, "chip.nvm", {"--variant", "SE050E"});
  ASSERT_TRUE(sim);
  Raw r(sim->endpoints()[0]);
  ASSERT_TRUE(r.client.open().ok());
  ASSERT_EQ(r.sw(kSelect), 0x9000);
  EXPECT_EQ(failed_attempts(r), 3);  // survives a restart of the chip process
  const Bytes cs = r.tx("80 04 00 1B 06 41 04 7DA00001");
  ASSERT_EQ(cs.size(), 12u);
  EXPECT_EQ(r.sw(verify(to_hex(ByteView(cs).subspan(2, 8)), "313233343536")), 0x6983);
  EXPECT_EQ(r.sw(kSign), 0x6986);
}

// se05x-sim --userid-locked-sw 6985: the SW a locked UserID answers with, for hosts that must
// cope with either answer.
TEST(SimAttackProcess, LockedSwOptionOfTheSimulatorProcess) {
  TempDir dir;
  auto sim = sx::testing::start_sim_in(dir, "chip.nvm", {"--variant", "SE050E", "--userid-locked-sw", "6985"});
  ASSERT_TRUE(sim);
  Raw r(sim->endpoints()[0]);
  ASSERT_TRUE(r.client.open().ok());
  ASSERT_EQ(r.sw(kSelect), 0x9000);
  ASSERT_EQ(r.sw("80 41 07 00 12 12 02 0001 41 04 7DA00001 42 06 313233343536"), 0x9000);
  const Bytes cs = r.tx("80 04 00 1B 06 41 04 7DA00001");
  ASSERT_EQ(cs.size(), 12u);
  const std::string sid = to_hex(ByteView(cs).subspan(2, 8));
  EXPECT_EQ(r.sw(verify(sid, "393939393939")), 0x6985);
  EXPECT_EQ(failed_attempts(r), 1);
  EXPECT_EQ(r.sw(verify(sid, "313233343536")), 0x6985);  // locked, not compared
  EXPECT_EQ(failed_attempts(r), 1);
}

}  // namespace
}  // namespace sx::sim::test
