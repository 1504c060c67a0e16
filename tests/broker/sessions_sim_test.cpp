// Virtual user sessions (docs/chip-pin.md §4) through the real broker in front of
// the in-process simulator, which enforces the PIN like the chip. Clients are raw
// JRCP connections (src/link only) sending the bytes NXP's middleware sends.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "broker/broker.h"
#include "broker/status.h"
#include "link/jrcp.h"
#include "link/socket.h"
#include "se05x/client.h"
#include "se05x/commands.h"
#include "se05x/constants.h"
#include "se05x/session_wrap.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"
#include "support/temp_dir.h"

namespace sx::broker {
namespace {

constexpr uint32_t kUserA = 0x7DA00001, kUserB = 0x7DA00002;
constexpr uint32_t kKeyA = 0x20181001, kKeyB = 0x20181002;
const Bytes kPin = {'1', '2', '3', '4', '5', '6'};
const Bytes kPinB = {'9', '8', '7', '6'};
constexpr int kSimIo = 10000;  // bounds a hang on failure only

// The chip's link with faults injected on demand, from the test thread.
class FaultyLink : public link::ApduChannel {
 public:
  FaultyLink(sim::Simulator& s, std::atomic<int>& fault) : sim_(s), ch_(s), fault_(fault) {}
  Result<Bytes> open() override { return ch_.open(); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    switch (fault_.exchange(0)) {
      case 1:  // chip reset before the command: the interface reports it, the command did not run
        sim_.chip_reset();
        return Error{Errc::LinkReset, "injected chip reset", 0, true};
      case 2:  // the link breaks: the broker re-opens it on the next request
        return make_error(Errc::Io, "injected link failure");
      default:
        return ch_.transceive(capdu);
    }
  }
  Status close() override { return {}; }
  std::string describe() const override { return "faulty sim"; }

 private:
  sim::Simulator& sim_;
  sx::testing::SimChannel ch_;
  std::atomic<int>& fault_;
};

struct SimClient {
  link::Fd fd;
  Bytes apdu(ByteView c) {
    auto m = link::jrcp::encode(0x01, c);
    EXPECT_TRUE(m.ok() && link::write_all(fd.get(), *m, kSimIo).ok());
    uint8_t h[4];
    if (!link::read_exact(fd.get(), h, kSimIo)) return {};
    Bytes p(get_u16(ByteView(h), 2));
    if (!link::read_exact(fd.get(), p, kSimIo)) return {};
    return p;
  }
  se05x::SessionId create(uint32_t auth) {
    Bytes c = hex("8004001B 06 4104");
    put_u32(c, auth);
    Bytes r = apdu(c);
    se05x::SessionId id{};
    EXPECT_EQ(r.size(), 12u) << to_hex(r);
    if (r.size() == 12) std::copy_n(r.begin() + 2, 8, id.begin());
    return id;
  }
  Bytes wrapped(ByteView inner, const se05x::SessionId& id) { return apdu(*se05x::wrap_in_session(inner, id)); }
  Bytes verify(const se05x::SessionId& id, ByteView pin) {
    Bytes inner = hex("8004002C");
    inner.push_back(static_cast<uint8_t>(pin.size() + 2));
    inner.push_back(0x41);
    inner.push_back(static_cast<uint8_t>(pin.size()));
    append(inner, pin);
    return wrapped(inner, id);
  }
  Bytes close(const se05x::SessionId& id) { return wrapped(hex("8004001C"), id); }
};

Bytes sign_apdu(uint32_t key) {
  const Bytes digest(32, 0x5A);
  const se05x::Arg args[] = {se05x::Arg::u32(se05x::tag::k1, key),
                             se05x::Arg::u8(se05x::tag::k2, static_cast<uint8_t>(se05x::EcSignAlgo::Sha256)),
                             se05x::Arg::bin(se05x::tag::k3, digest)};
  return *se05x::build_request(se05x::command(se05x::CmdId::ECDSASign), args);
}

uint16_t sw_of(ByteView r) { return r.size() < 2 ? 0 : get_u16(r, r.size() - 2); }

class BrokerSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::Config sc;
    sc.fsync = false;
    auto s = sim::Simulator::open(sc);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    sim = std::move(*s);
    provision();
    cfg.socket = dir.file("se05xd.sock");
    auto b = Broker::create(cfg, [](LogLevel, const std::string&) {}, [this]() -> Result<OpenedChannel> {
      return OpenedChannel{std::make_unique<FaultyLink>(*sim, fault), sim->atr()};
    });
    ASSERT_TRUE(b.ok()) << b.error().message;
    broker = std::move(*b);
    ASSERT_TRUE(broker->start().ok());
  }
  void TearDown() override {
    if (broker) broker->stop();
  }
  // Two UserIDs and a P-256 key bound to each (docs/se05x-protocol.md §4.9.5).
  void provision() {
    sx::testing::SimChannel ch(*sim);
    se05x::Client c(ch);
    ASSERT_TRUE(c.select().ok());
    ASSERT_TRUE(c.write_user_id(kUserA, kPin, 10, hex("08 00000000 00140000")).ok());
    ASSERT_TRUE(c.write_user_id(kUserB, kPinB, 10, hex("08 00000000 00140000")).ok());
    ASSERT_TRUE(c.ensure_curve(se05x::Curve::NistP256).ok());
    ASSERT_TRUE(c.generate_ec_key(kKeyA, se05x::Curve::NistP256, hex("08 7DA00001 18240000 08 00000000 00200000")).ok());
    ASSERT_TRUE(c.generate_ec_key(kKeyB, se05x::Curve::NistP256, hex("08 7DA00002 18240000 08 00000000 00200000")).ok());
  }
  uint16_t counter(uint32_t auth) {  // the chip's failed-attempt counter, read directly
    sx::testing::SimChannel ch(*sim);
    se05x::Client c(ch);
    auto a = c.read_object_attributes(auth);
    EXPECT_TRUE(a.ok());
    return a ? a->auth_attempts : 0xFFFF;
  }
  uint64_t chip_apdus() const { return sim->stats().total.count; }
  SimClient connect() {
    auto r = link::unix_connect(cfg.socket);
    EXPECT_TRUE(r.ok());
    SimClient c{r ? std::move(*r) : link::Fd()};
    EXPECT_EQ(sw_of(c.apdu(select_apdu())), 0x9000);
    return c;
  }
  static Bytes select_apdu() {
    Bytes c = hex("00A40400 10");
    c.insert(c.end(), se05x::kAppletAid.begin(), se05x::kAppletAid.end());
    c.push_back(0x00);
    return c;
  }
  BrokerStatus status() {
    auto st = query_status("unix:" + cfg.socket);
    EXPECT_TRUE(st.ok());
    return st ? *st : BrokerStatus{};
  }
  size_t chip_creates() const {
    auto s = sim->stats();
    auto it = s.commands.find("CreateSession");
    return it == s.commands.end() ? 0 : static_cast<size_t>(it->second.count);
  }

  std::unique_ptr<sim::Simulator> sim;
  std::atomic<int> fault{0};
  sx::testing::TempDir dir;
  Config cfg;
  std::unique_ptr<Broker> broker;
};

TEST_F(BrokerSessions, TwoClientsShareOneChipSessionThirdWrongValueCounts) {
  SimClient a = connect(), b = connect(), c = connect();
  const auto va = a.create(kUserA), vb = b.create(kUserA);
  EXPECT_NE(va, vb);
  EXPECT_EQ(chip_creates(), 1u);  // one chip session for both
  EXPECT_EQ(sw_of(a.verify(va, kPin)), 0x9000);
  EXPECT_EQ(sw_of(b.verify(vb, kPin)), 0x9000);
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), vb)), 0x9000);
  const auto vc = c.create(kUserA);
  EXPECT_EQ(sw_of(c.verify(vc, hex("30303030"))), 0x6985);
  EXPECT_EQ(sw_of(c.wrapped(sign_apdu(kKeyA), vc)), 0x6985);  // stays unverified
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);  // the others are untouched
  broker->stop();
  broker.reset();
  EXPECT_EQ(counter(kUserA), 1u);
}

TEST_F(BrokerSessions, ForeignRealAndUnverifiedIdsGetNothingFromTheChip) {
  SimClient a = connect(), b = connect();
  const auto va = a.create(kUserA);
  ASSERT_EQ(sw_of(a.verify(va, kPin)), 0x9000);
  const auto vb = b.create(kUserA);
  const uint64_t before = chip_apdus();
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), va)), 0x6985);  // another client's virtual ID
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), vb)), 0x6985);  // its own, unverified
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), se05x::SessionId{})), 0x6985);  // unknown
  EXPECT_EQ(chip_apdus(), before);
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);
}

TEST_F(BrokerSessions, WithoutSessionThePinBoundKeyIsRefusedByTheChip) {
  SimClient a = connect();
  EXPECT_EQ(sw_of(a.apdu(sign_apdu(kKeyA))), 0x6986);
}

TEST_F(BrokerSessions, SelectIsAnsweredWhileSessionsAreOpenAndDisconnectsClose) {
  SimClient b = connect();
  const auto vb = b.create(kUserA);
  ASSERT_EQ(sw_of(b.verify(vb, kPin)), 0x9000);
  {
    SimClient a = connect();  // its SELECT is answered by the broker
    const auto va = a.create(kUserA);
    ASSERT_EQ(sw_of(a.verify(va, kPin)), 0x9000);
    EXPECT_EQ(sw_of(a.apdu(select_apdu())), 0x9000);
    EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), vb)), 0x9000);
    auto st = status();
    size_t virtual_sessions = 0;
    for (const auto& c : st.clients) virtual_sessions += c.sessions;
    EXPECT_EQ(virtual_sessions, 2u);
    ASSERT_EQ(st.auth_sessions.size(), 1u);  // one chip session carries both
    EXPECT_EQ(st.auth_sessions[0].auth_object, "7DA00001");
    EXPECT_TRUE(st.auth_sessions[0].chip_session);
    EXPECT_EQ(st.auth_sessions[0].verified, 2u);
    EXPECT_EQ(st.json.find(to_hex(va)), std::string::npos);  // never an ID
  }  // a disconnects; b and the status query stay
  for (int i = 0; i < 50 && status().clients.size() != 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), vb)), 0x9000);
  EXPECT_EQ(status().sessions_closed, 0u);
  b.fd = link::Fd();  // the last client of A leaves: the chip session is closed
  for (int i = 0; i < 100 && status().sessions_closed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(status().sessions_closed, 1u);
}

TEST_F(BrokerSessions, ChipResetAndLinkReopenAreTransparent) {
  SimClient a = connect();
  const auto va = a.create(kUserA);
  ASSERT_EQ(sw_of(a.verify(va, kPin)), 0x9000);
  fault = 1;  // chip reset
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);
  fault = 2;  // the link breaks: this APDU gets no answer, the next re-opens the link
  EXPECT_TRUE(a.wrapped(sign_apdu(kKeyA), va).empty());
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);
  EXPECT_EQ(chip_creates(), 3u);
  EXPECT_EQ(sw_of(a.close(va)), 0x9000);
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x6985);
}

TEST_F(BrokerSessions, NewClientAfterResetDoesNotStealTheVerifiedSession) {
  SimClient a = connect(), b = connect();
  const auto va = a.create(kUserA);
  ASSERT_EQ(sw_of(a.verify(va, kPin)), 0x9000);
  fault = 1;  // the reset is found by a session-less APDU of b
  EXPECT_EQ(sw_of(b.apdu(sign_apdu(kKeyA))), 0x6986);
  const auto vb = b.create(kUserA);  // re-opens A's chip session and re-verifies it for a
  EXPECT_EQ(sw_of(b.wrapped(sign_apdu(kKeyA), vb)), 0x6985);  // b itself is not verified
  EXPECT_EQ(sw_of(a.wrapped(sign_apdu(kKeyA), va)), 0x9000);
}

// 3 clients x 500 signatures in one virtual session each, and a fourth doing
// its own session on another auth object: 0 errors.
TEST_F(BrokerSessions, LoadThreeSessionClientsAndOneOnAnotherAuthObject) {
  constexpr int kSigns = 500;
  std::atomic<int> errors{0};
  auto worker = [&](uint32_t auth, uint32_t key, const Bytes& pin) {
    SimClient c = connect();
    const auto v = c.create(auth);
    if (sw_of(c.verify(v, pin)) != 0x9000) ++errors;
    for (int i = 0; i < kSigns; ++i)
      if (sw_of(c.wrapped(sign_apdu(key), v)) != 0x9000) ++errors;
    if (sw_of(c.close(v)) != 0x9000) ++errors;
  };
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i) ts.emplace_back(worker, kUserA, kKeyA, kPin);
  ts.emplace_back(worker, kUserB, kKeyB, kPinB);
  for (auto& t : ts) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(status().sessions_closed, 2u);
}

}  // namespace
}  // namespace sx::broker
