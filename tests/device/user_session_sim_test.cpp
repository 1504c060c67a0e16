// The user-session layer end to end on the in-process simulator: the chip (model)
// enforces the PIN. Stack as in the device stack: simulator -> (reset injection) ->
// reset recovery -> user session -> chip lock -> Client.
#include <gtest/gtest.h>

#include <cstdio>

#include "device/chip_lock.h"
#include "device/user_session.h"
#include "se05x/client.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"

namespace sx::device::user_session_sim_test {
namespace {

constexpr uint32_t kUser = 0x7DA00001;
constexpr uint32_t kKey = 0x20181001;
const Bytes kPin = {'1', '2', '3', '4', '5', '6'};
const Bytes kWrongPin = {'6', '5', '4', '3', '2', '1'};
// Everybody may rewrite (unlock) or delete the UserID: the test plays the SO outside a session.
const Bytes kUserPolicy = hex("08 00000000 00140000");
// SIGN|VERIFY|READ|DELETE in the PIN's session, READ (the public key) for everybody
// (docs/se05x-protocol.md §4.9.5).
const Bytes kKeyPolicy = hex("08 7DA00001 18240000 08 00000000 00200000");

// The simulator's link, with a chip reset injected on demand.
class ResettingLink : public link::ApduChannel {
 public:
  explicit ResettingLink(sim::Simulator& s) : sim_(s), ch_(s) {}
  enum class Reset { None, BeforeCommand, AfterCommand };
  Reset next = Reset::None;
  int apdus = 0;

  Result<Bytes> open() override { return ch_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    ++apdus;
    const Reset r = next;
    next = Reset::None;
    if (r == Reset::AfterCommand) (void)ch_.transceive(capdu);  // ran, then the answer was lost
    if (r != Reset::None) {
      sim_.chip_reset();
      return Error{Errc::LinkReset, "injected chip reset", 0, r == Reset::BeforeCommand};
    }
    return ch_.transceive(capdu);
  }
  Status close() override { return {}; }
  std::string describe() const override { return "resetting sim"; }

 private:
  sim::Simulator& sim_;
  sx::testing::SimChannel ch_;
};

struct Stack {
  explicit Stack(sim::Simulator& s) : link(s) {}
  ResettingLink link;
  ReselectChannel rec{link};
  UserSession session{rec};
  ChipLockChannel top{session, LockSettings{}};
  se05x::Client client{top};
};

struct UserSessionSim : ::testing::Test {
  std::unique_ptr<sim::Simulator> sim;
  std::unique_ptr<Stack> st;

  void SetUp() override { start(sim::AuthOptions{}); }
  void start(const sim::AuthOptions& auth) {
    sim::Config cfg;  // RAM only
    cfg.fsync = false;
    cfg.auth = auth;
    auto s = sim::Simulator::open(cfg);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    sim = std::move(*s);
    st = std::make_unique<Stack>(*sim);
    ASSERT_TRUE(st->client.select().ok());
  }
  void provision(uint16_t max_attempts) {
    auto w = st->client.write_user_id(kUser, kPin, max_attempts, kUserPolicy);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    ASSERT_TRUE(st->client.ensure_curve(se05x::Curve::NistP256).ok());
    auto g = st->client.generate_ec_key(kKey, se05x::Curve::NistP256, kKeyPolicy);
    ASSERT_TRUE(g.ok()) << g.error().to_string();
  }
  Result<Bytes> sign() { return st->client.ecdsa_sign(kKey, Bytes(32, 0x5A)); }
  uint16_t counter() {
    auto a = st->client.read_object_attributes(kUser);
    EXPECT_TRUE(a.ok()) << a.error().to_string();
    return a ? a->auth_attempts : 0xFFFF;
  }
};

TEST_F(UserSessionSim, PinBoundKeySignsOnlyInTheSession) {
  provision(10);
  auto outside = sign();
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().code, Errc::AccessDenied) << outside.error().to_string();
  EXPECT_EQ(outside.error().sw, 0x6986);

  const int before_login = st->link.apdus;
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  const int login_apdus = st->link.apdus - before_login;
  const int before_sign = st->link.apdus;
  auto sig = sign();
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  const int sign_apdus = st->link.apdus - before_sign;
  auto ok = st->client.ecdsa_verify(kKey, Bytes(32, 0x5A), *sig);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_TRUE(*ok);
  EXPECT_EQ(login_apdus, 2);
  EXPECT_EQ(sign_apdus, 1);
  std::printf("[ measured ] C_Login-equivalent: %d APDUs; ECDSASign in the session: %d APDU\n", login_apdus,
              sign_apdus);

  ASSERT_TRUE(st->session.logout().ok());
  auto after = sign();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, Errc::AccessDenied);
}

TEST_F(UserSessionSim, WrongPinCountsOnTheChipLocksAndARewriteUnlocks) {
  provision(3);
  for (int left : {2, 1}) {
    auto s = st->session.login(kUser, kWrongPin);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::PinIncorrect) << s.error().to_string();
    EXPECT_EQ(s.error().tries_left, left);
  }
  EXPECT_EQ(counter(), 2);
  auto third = st->session.login(kUser, kWrongPin);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::PinLocked) << third.error().to_string();
  EXPECT_EQ(third.error().tries_left, 0);
  auto right_but_locked = st->session.login(kUser, kPin);
  ASSERT_FALSE(right_but_locked.ok());
  EXPECT_EQ(right_but_locked.error().code, Errc::PinLocked);
  EXPECT_FALSE(st->session.logged_in());
  EXPECT_FALSE(sign().ok());

  // The SO rewrites the UserID (outside any session; its policy lets everybody WRITE).
  ASSERT_TRUE(st->client.write_user_id(kUser, kPin).ok());
  EXPECT_EQ(counter(), 0);
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  EXPECT_TRUE(sign().ok());
}

TEST_F(UserSessionSim, ALockedPinAnswered6985IsStillLockedByTheCounter) {
  sim::AuthOptions auth;
  auth.locked_sw = 0x6985;  // the other plausible answer of a blocked UserID (docs/simulator.md)
  st.reset();
  start(auth);
  provision(2);
  for (int i = 0; i < 2; ++i) (void)st->session.login(kUser, kWrongPin);
  auto s = st->session.login(kUser, kPin);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::PinLocked) << s.error().to_string();
  EXPECT_EQ(s.error().sw, 0x6985);
  EXPECT_EQ(s.error().tries_left, 0);
}

TEST_F(UserSessionSim, ChipResetBeforeACommandIsInvisible) {
  provision(10);
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  st->link.next = ResettingLink::Reset::BeforeCommand;
  const int before = st->link.apdus;
  auto sig = sign();
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  EXPECT_EQ(st->session.relogins(), 1u);
  // lost send + SELECT + resend with the dead session + CreateSession + Verify + the sign again
  EXPECT_EQ(st->link.apdus - before, 6);
  EXPECT_TRUE(st->session.logged_in());
}

TEST_F(UserSessionSim, ACommandThatRanBeforeTheResetIsNotRunTwice) {
  provision(10);
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  st->link.next = ResettingLink::Reset::AfterCommand;
  auto sig = sign();
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, Errc::LinkReset);
  EXPECT_FALSE(sig.error().retry_safe);
  auto again = sign();  // the caller's choice; the session is back
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(st->session.relogins(), 1u);
}

TEST_F(UserSessionSim, OneSessionPerAuthObjectIsBusy) {
  provision(10);
  ASSERT_TRUE(st->session.login(kUser, kPin).ok());
  Stack other(*sim);  // another process on the same chip (no SELECT: it would end our session)
  auto s = other.session.login(kUser, kPin);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::Busy) << s.error().to_string();
  EXPECT_TRUE(sign().ok());
}

}  // namespace
}  // namespace sx::device::user_session_sim_test
