// The broker's rules (broker/service.h) end to end, through the JRCP
// transport: lock and fair queue, admission, limits, timeouts, status.
#include "broker/service.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "link/jrcp.h"
#include "link/jrcp_client.h"
#include "link/socket.h"
#include "support/temp_dir.h"

namespace sx::link {
namespace {

using broker::Service;
using broker::ServiceOptions;
using broker::ServiceState;

constexpr int kIoTimeout = 10000;  // only bounds a hang on failure

// Echoes the C-APDU followed by 90 00 and records the order of the calls.
// C-APDUs starting with EE get "no answer".
struct EchoBackend : JrcpBackend {
  std::mutex mu;
  std::vector<Bytes> log;
  Bytes atr() override { return hex("3B FB 18 00"); }
  Bytes transceive(ByteView capdu) override {
    std::lock_guard<std::mutex> g(mu);
    log.emplace_back(capdu.begin(), capdu.end());
    if (!capdu.empty() && capdu[0] == 0xEE) return {};
    Bytes r(capdu.begin(), capdu.end());
    append(r, hex("9000"));
    return r;
  }
  std::vector<Bytes> snapshot() {
    std::lock_guard<std::mutex> g(mu);
    return log;
  }
};

// A raw JRCP peer, to send exactly the bytes a test wants.
struct Raw {
  Fd fd;
  void send(ByteView b) { ASSERT_TRUE(write_all(fd.get(), b, kIoTimeout).ok()); }
  void send(uint8_t type, ByteView payload = {}) { send(*jrcp::encode(type, payload)); }
  jrcp::Message recv() {
    uint8_t h[4];
    auto s = read_exact(fd.get(), h, kIoTimeout);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s) return {0xFF, {}};
    jrcp::Message m{h[0], Bytes(get_u16(ByteView(h), 2))};
    EXPECT_EQ(h[1], 0);
    EXPECT_TRUE(read_exact(fd.get(), m.payload, kIoTimeout).ok());
    return m;
  }
  // True when the server closed the connection.
  bool closed_by_peer() {
    uint8_t b;
    auto s = read_exact(fd.get(), std::span(&b, 1), kIoTimeout);
    return !s.ok() && s.error().code == Errc::Closed;
  }
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    opt.lock_hold_max = std::chrono::milliseconds(20000);
    opt.max_payload = 2048;
  }
  void start() {
    server = std::make_unique<Service>(backend, opt);
    auto p = server->listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(p.ok()) << p.error().message;
    port = *p;
    sock = dir.file("jrcp.sock");
    ASSERT_TRUE(server->listen_unix(sock).ok());
    ASSERT_TRUE(server->start().ok());
  }
  void TearDown() override {
    if (server) server->stop();
  }
  Endpoint tcp_ep() { return *parse_endpoint("jrcp:127.0.0.1:" + std::to_string(port)); }
  Endpoint unix_ep() { return *parse_endpoint("unix:" + sock); }
  Raw raw_tcp() { return Raw{tcp_connect("127.0.0.1", port, kIoTimeout).value()}; }
  std::unique_ptr<JrcpClient> client(const Endpoint& ep) {
    JrcpClientOptions o;
    o.timeout_ms = kIoTimeout;
    auto c = std::make_unique<JrcpClient>(ep, o);
    auto atr = c->open();
    EXPECT_TRUE(atr.ok()) << atr.error().message;
    if (atr) {
      EXPECT_EQ(*atr, hex("3BFB1800"));
    }
    return c;
  }

  sx::testing::TempDir dir;
  EchoBackend backend;
  ServiceOptions opt;
  std::unique_ptr<Service> server;
  uint16_t port = 0;
  std::string sock;
};

TEST_F(ServiceTest, EchoOverTcpAndUnix) {
  start();
  for (const Endpoint& ep : {tcp_ep(), unix_ep()}) {
    auto c = client(ep);
    auto r = c->transceive(hex("80 04 00 00 00"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, hex("80 04 00 00 00 90 00"));
    ASSERT_TRUE(c->lock().ok());
    ASSERT_TRUE(c->unlock().ok());
    ASSERT_TRUE(c->close().ok());
    EXPECT_EQ(c->transceive(hex("00")).error().code, Errc::Closed);
  }
}

TEST_F(ServiceTest, Ipv6Loopback) {
  server = std::make_unique<Service>(backend, opt);
  auto p = server->listen_tcp("::1", 0);
  if (!p) GTEST_SKIP() << "no IPv6 loopback: " << p.error().message;
  ASSERT_TRUE(server->start().ok());
  auto c = client(*parse_endpoint("jrcp:[::1]:" + std::to_string(*p)));
  EXPECT_EQ(*c->transceive(hex("0102")), hex("0102 9000"));
}

TEST_F(ServiceTest, NxpOpeningSequenceBytes) {
  start();
  Raw r = raw_tcp();
  r.send(hex("00 00 00 04 00 00 01 00"));
  auto m = r.recv();
  EXPECT_EQ(m.type, 0x00);
  EXPECT_EQ(m.payload, hex("3BFB1800"));
  r.send(hex("01 00 00 16 00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00"));
  m = r.recv();
  EXPECT_EQ(m.type, 0x01);
  EXPECT_EQ(m.payload, hex("00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00 90 00"));
}

TEST_F(ServiceTest, NoAnswerIsTimeoutAndConnectionSurvives) {
  start();
  auto c = client(unix_ep());
  auto r = c->transceive(hex("EE 01"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Timeout);
  EXPECT_TRUE(c->is_open());
  EXPECT_EQ(*c->transceive(hex("0001")), hex("0001 9000"));
}

TEST_F(ServiceTest, LocalMessageTypes) {
  start();
  Raw r = raw_tcp();
  r.send(0x04);
  auto m = r.recv();
  EXPECT_EQ(m.type, 0x04);
  EXPECT_TRUE(m.payload.empty());
  r.send(0x07);
  EXPECT_EQ(r.recv().type, 0x07);
  // Unknown / unsupported types: ERROR naming the request, connection kept.
  for (uint8_t t : std::initializer_list<uint8_t>{0x02, 0x05, 0x06, 0x50, 0x60, 0x73, 0xFF}) {
    r.send(t, hex("AABB"));
    m = r.recv();
    EXPECT_EQ(m.type, 0x03);
    EXPECT_EQ(m.payload, Bytes{t});
  }
  // The accessManager hangs on UNLOCK-without-LOCK followed by LOCK; we must not.
  r.send(0x31);
  EXPECT_EQ(r.recv().type, 0x31);
  r.send(0x30);
  EXPECT_EQ(r.recv().type, 0x30);
  r.send(0x01, hex("11"));
  EXPECT_EQ(r.recv().payload, hex("11 9000"));
  r.send(0x31);
  EXPECT_EQ(r.recv().type, 0x31);
  // CLOSE: reply, then the server closes.
  r.send(0x03);
  m = r.recv();
  EXPECT_EQ(m.type, 0x03);
  EXPECT_TRUE(m.payload.empty());
  EXPECT_TRUE(r.closed_by_peer());
}

TEST_F(ServiceTest, ManyClientsConcurrently) {
  start();
  constexpr int kClients = 6, kApdus = 150;
  std::vector<std::thread> ts;
  std::vector<int> good(kClients, 0);
  for (int i = 0; i < kClients; ++i) {
    ts.emplace_back([&, i] {
      auto c = client(i % 2 ? tcp_ep() : unix_ep());
      for (int k = 0; k < kApdus; ++k) {
        Bytes apdu{static_cast<uint8_t>(i), static_cast<uint8_t>(k), 0x5A};
        auto r = c->transceive(apdu);
        append(apdu, hex("9000"));
        if (r.ok() && *r == apdu) ++good[i];
      }
    });
  }
  for (auto& t : ts) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(good[i], kApdus) << "client " << i;
  EXPECT_EQ(backend.snapshot().size(), static_cast<size_t>(kClients * kApdus));
}

TEST_F(ServiceTest, LockExcludesOtherClients) {
  start();
  auto a = client(tcp_ep());
  ASSERT_TRUE(a->lock().ok());
  ASSERT_TRUE(a->lock().ok());  // nested
  Raw b = raw_tcp();
  b.send(0x01, hex("BB"));  // queued: must not run while A holds the lock
  for (uint8_t k = 0; k < 10; ++k) ASSERT_TRUE(a->transceive(Bytes{0xAA, k}).ok());
  ASSERT_TRUE(a->unlock().ok());
  ASSERT_TRUE(a->transceive(Bytes{0xAA, 10}).ok());  // still held (depth 1)
  ASSERT_TRUE(a->unlock().ok());
  EXPECT_EQ(b.recv().payload, hex("BB 9000"));
  auto log = backend.snapshot();
  ASSERT_EQ(log.size(), 12u);
  for (uint8_t k = 0; k <= 10; ++k) EXPECT_EQ(log[k], (Bytes{0xAA, k}));
  EXPECT_EQ(log[11], hex("BB"));
}

TEST_F(ServiceTest, LockedClientSequenceNotInterleaved) {
  start();
  auto a = client(unix_ep());
  std::atomic<bool> go{false};
  std::vector<std::thread> others;
  for (int i = 0; i < 3; ++i) {
    others.emplace_back([&, i] {
      auto c = client(i % 2 ? tcp_ep() : unix_ep());
      while (!go.load()) std::this_thread::yield();
      for (int k = 0; k < 50; ++k) (void)c->transceive(Bytes{0xB0, static_cast<uint8_t>(i)});
    });
  }
  go = true;
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(a->lock().ok());
    for (uint8_t k = 0; k < 8; ++k) ASSERT_TRUE(a->transceive(Bytes{0xA0, static_cast<uint8_t>(round), k}).ok());
    ASSERT_TRUE(a->unlock().ok());
  }
  for (auto& t : others) t.join();
  auto log = backend.snapshot();
  // Each locked round of 8 must be contiguous in the backend's order.
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].size() == 3 && log[i][0] == 0xA0 && log[i][2] == 0) {
      ASSERT_LE(i + 8, log.size());
      for (uint8_t k = 0; k < 8; ++k) EXPECT_EQ(log[i + k], (Bytes{0xA0, log[i][1], k})) << "at " << i + k;
    }
  }
}

TEST_F(ServiceTest, HolderDisconnectReleasesLock) {
  start();
  {
    Raw a = raw_tcp();
    a.send(0x30);
    EXPECT_EQ(a.recv().type, 0x30);
  }  // A dies holding the lock
  auto b = client(unix_ep());
  EXPECT_EQ(*b->transceive(hex("0B")), hex("0B 9000"));
}

TEST_F(ServiceTest, LockHoldTimeExpires) {
  opt.lock_hold_max = std::chrono::milliseconds(50);
  start();
  Raw a = raw_tcp();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  auto b = client(unix_ep());
  EXPECT_EQ(*b->transceive(hex("0C")), hex("0C 9000"));  // served once A's hold expired
  a.send(0x31);  // late UNLOCK is harmless
  EXPECT_EQ(a.recv().type, 0x31);
  a.send(0x01, hex("0A"));
  EXPECT_EQ(a.recv().payload, hex("0A 9000"));
}

TEST_F(ServiceTest, HalfHeaderDoesNotStallOthers) {
  start();
  Raw slow = raw_tcp();
  slow.send(hex("01 00"));
  auto b = client(tcp_ep());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b->transceive(hex("0D")).ok());
  slow.send(hex("00 01 0E"));
  EXPECT_EQ(slow.recv().payload, hex("0E 9000"));
}

TEST_F(ServiceTest, SplitAndCoalescedRequests) {
  start();
  Raw r = raw_tcp();
  Bytes two = *jrcp::encode(0x01, hex("01"));
  append(two, *jrcp::encode(0x01, hex("02")));
  r.send(two);
  EXPECT_EQ(r.recv().payload, hex("01 9000"));
  EXPECT_EQ(r.recv().payload, hex("02 9000"));
  Bytes one = *jrcp::encode(0x01, hex("030405"));
  for (uint8_t b : one) r.send(ByteView(&b, 1));
  EXPECT_EQ(r.recv().payload, hex("030405 9000"));
}

TEST_F(ServiceTest, MalformedClientsAreDroppedOthersContinue) {
  start();
  auto good = client(unix_ep());
  Raw bad_nad = raw_tcp();
  bad_nad.send(hex("01 01 00 01 00"));
  EXPECT_TRUE(bad_nad.closed_by_peer());
  Raw oversize = raw_tcp();
  oversize.send(hex("01 00 08 01"));  // 2049 > max_payload 2048, before any payload
  EXPECT_TRUE(oversize.closed_by_peer());
  Raw garbage = raw_tcp();
  garbage.send(Bytes(64, 0xFF));
  EXPECT_TRUE(garbage.closed_by_peer());
  EXPECT_EQ(*good->transceive(hex("0F")), hex("0F 9000"));
  // A maximum-size request still works.
  Bytes big(2048, 0x42);
  auto r = good->transceive(big);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->size(), 2050u);
}

TEST_F(ServiceTest, ServerGoneIsClosed) {
  start();
  auto c = client(tcp_ep());
  server->stop();
  auto r = c->transceive(hex("00"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Closed) << r.error().message;
  JrcpClient d(tcp_ep());
  auto o = d.open();
  ASSERT_FALSE(o.ok());
}

TEST_F(ServiceTest, StaleUnixSocketReplacedLiveOneRefused) {
  start();
  Service second(backend, opt);
  auto s = second.listen_unix(sock);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::Exists);
  server->stop();
  server.reset();  // removes the file; recreate a stale one
  {
    auto l = unix_listen(sock);
    ASSERT_TRUE(l.ok());
  }  // closed without unlink: stale
  Service third(backend, opt);
  ASSERT_TRUE(third.listen_unix(sock).ok());
  ASSERT_TRUE(third.start().ok());
  auto c = client(unix_ep());
  EXPECT_TRUE(c->transceive(hex("01")).ok());
  third.stop();
}

TEST_F(ServiceTest, QuitOnlyWhenAllowed) {
  opt.allow_quit = true;
  start();
  Raw r = raw_tcp();
  r.send(0x50);
  EXPECT_EQ(r.recv().type, 0x50);
  server->stop();  // joins the thread that ended by itself
}

// --- broker hooks: admission, per-client identity, departure, own message
// types, queue limit, cut-off on hold expiry, state snapshot.
struct HookBackend : EchoBackend {
  std::vector<std::pair<uint64_t, bool>> gone;  // (client id, held lock)
  std::vector<uint64_t> from;
  Service* server = nullptr;
  ServiceState seen;
  std::vector<ServiceState> seen_all;  // every snapshot, in order
  Bytes transceive_from(const JrcpPeer& p, ByteView capdu) override {
    {
      std::lock_guard<std::mutex> g(mu);
      from.push_back(p.id);
    }
    return transceive(capdu);
  }
  void client_gone(const JrcpPeer& p, bool held) override {
    std::lock_guard<std::mutex> g(mu);
    gone.emplace_back(p.id, held);
  }
  std::optional<jrcp::Message> extension(const JrcpPeer& p, const jrcp::Message& m) override {
    if (m.type != 0x53) return std::nullopt;
    std::lock_guard<std::mutex> g(mu);
    seen = server->state();
    seen_all.push_back(seen);
    std::string name = p.name;
    return jrcp::Message{0x53, Bytes(name.begin(), name.end())};
  }
  std::vector<std::pair<uint64_t, bool>> gone_snapshot() {
    std::lock_guard<std::mutex> g(mu);
    return gone;
  }
};

class ServiceHooksTest : public ::testing::Test {
 protected:
  void start() {
    server = std::make_unique<Service>(backend, opt);
    backend.server = server.get();
    sock = dir.file("hooks.sock");
    ASSERT_TRUE(server->listen_unix(sock).ok());
    auto p = server->listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(p.ok());
    port = *p;
    ASSERT_TRUE(server->start().ok());
  }
  void TearDown() override {
    if (server) server->stop();
  }
  Raw raw_unix() { return Raw{unix_connect(sock).value()}; }
  Raw raw_tcp() { return Raw{tcp_connect("127.0.0.1", port, kIoTimeout).value()}; }
  // Clients holding a slot, as the status hook sees them (minus the TCP
  // connection that asks).
  size_t server_state_clients() {
    Raw q = raw_tcp();
    q.send(0x53);
    if (q.recv().type != 0x53) return 0;
    std::lock_guard<std::mutex> g(backend.mu);
    return backend.seen.clients.size() - 1;  // minus the query itself
  }
  // Polls the status hook (bounded) until n clients wait for the lock.
  void wait_waiting(Raw& q, size_t n) {
    for (int i = 0; i < 2000; ++i) {
      q.send(0x53);
      ASSERT_EQ(q.recv().type, 0x53);
      size_t w = 0;
      {
        std::lock_guard<std::mutex> g(backend.mu);
        for (const auto& c : backend.seen.clients) w += c.waiting_for_lock;
      }
      if (w >= n) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    FAIL() << "never saw " << n << " clients waiting";
  }
  // Waits (bounded) until client_gone was called n times.
  std::vector<std::pair<uint64_t, bool>> wait_gone(size_t n) {
    for (int i = 0; i < 2000; ++i) {
      auto g = backend.gone_snapshot();
      if (g.size() >= n) return g;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return backend.gone_snapshot();
  }

  sx::testing::TempDir dir;
  HookBackend backend;
  ServiceOptions opt;
  std::unique_ptr<Service> server;
  std::string sock;
  uint16_t port = 0;
};

TEST_F(ServiceHooksTest, AdmissionSeesCredentialsAndRefusesWithText) {
  std::vector<JrcpPeer> asked;
  std::mutex amu;
  opt.admit = [&](const JrcpPeer& p) -> std::optional<std::string> {
    std::lock_guard<std::mutex> g(amu);
    asked.push_back(p);
    if (p.unix_socket) return std::string("no unix clients today");
    return std::nullopt;
  };
  start();
  Raw u = raw_unix();
  u.send(0x00, hex("00000100"));
  auto m = u.recv();
  EXPECT_EQ(m.type, jrcp::kError);
  EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "no unix clients today");
  EXPECT_TRUE(u.closed_by_peer());
  Raw t = raw_tcp();
  t.send(0x01, hex("0A"));
  EXPECT_EQ(t.recv().payload, hex("0A 9000"));
  std::lock_guard<std::mutex> g(amu);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_TRUE(asked[0].unix_socket);
  EXPECT_TRUE(asked[0].has_cred);
  EXPECT_EQ(asked[0].cred.pid, getpid());
  EXPECT_EQ(asked[0].cred.uid, getuid());
  EXPECT_FALSE(asked[1].unix_socket);
  EXPECT_FALSE(asked[1].has_cred);
  EXPECT_EQ(asked[1].address.rfind("127.0.0.1:", 0), 0u) << asked[1].address;
  EXPECT_TRUE(backend.snapshot().size() == 1);  // the refused client never reached the backend
  EXPECT_TRUE(backend.gone_snapshot().empty());
}

TEST_F(ServiceHooksTest, RefusalDoesNotWaitForTheLock) {
  opt.admit = [](const JrcpPeer& p) -> std::optional<std::string> {
    if (p.unix_socket) return std::string("refused");
    return std::nullopt;
  };
  start();
  Raw holder = raw_tcp();
  holder.send(0x30);
  EXPECT_EQ(holder.recv().type, 0x30);
  Raw u = raw_unix();
  u.send(0x00, hex("00000100"));
  EXPECT_EQ(u.recv().type, jrcp::kError);
  EXPECT_TRUE(u.closed_by_peer());
}

// Each event is logged with the level it has (before, se05xd guessed the
// level from words in the text).
TEST_F(ServiceHooksTest, EventsCarryTheirLevel) {
  // Shared with the sink: the server thread may outlive a failed test body.
  struct Record {
    std::mutex mu;
    std::vector<std::pair<log::Level, std::string>> lines;
  };
  auto rec = std::make_shared<Record>();
  opt.log = [rec](log::Level l, const std::string& s) {
    std::lock_guard<std::mutex> g(rec->mu);
    rec->lines.emplace_back(l, s);
  };
  opt.admit = [](const JrcpPeer& p) -> std::optional<std::string> {
    if (p.unix_socket) return std::nullopt;
    return std::string("no TCP here");
  };
  start();
  {
    Raw a = raw_unix();
    a.send(0x01, hex("01"));
    EXPECT_EQ(a.recv().payload, hex("01 9000"));
  }
  Raw t = raw_tcp();
  t.send(0x01, hex("02"));
  EXPECT_EQ(t.recv().type, jrcp::kError);
  EXPECT_TRUE(t.closed_by_peer());
  auto level_of = [&](const std::string& fragment) -> std::optional<log::Level> {
    for (int i = 0; i < 2000; ++i) {  // a hang bound: the server thread logs on its own time
      {
        std::lock_guard<std::mutex> g(rec->mu);
        for (const auto& [l, s] : rec->lines)
          if (s.find(fragment) != std::string::npos) return l;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::nullopt;
  };
  EXPECT_EQ(level_of(" connected on unix:"), log::Level::Info);
  EXPECT_EQ(level_of(" dropped: disconnected"), log::Level::Info);
  EXPECT_EQ(level_of(" refused: no TCP here"), log::Level::Warning);
  EXPECT_EQ(level_of(" dropped: closed after CLOSE"), log::Level::Info);
}

TEST_F(ServiceHooksTest, PeerIdentityAndDepartureWithLockFlag) {
  start();
  uint64_t a_id = 0;
  {
    Raw a = raw_unix();
    a.send(0x01, hex("01"));
    EXPECT_EQ(a.recv().payload, hex("01 9000"));
    a.send(0x30);
    EXPECT_EQ(a.recv().type, 0x30);
    std::lock_guard<std::mutex> g(backend.mu);
    ASSERT_EQ(backend.from.size(), 1u);
    a_id = backend.from[0];
  }
  auto gone = wait_gone(1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], std::make_pair(a_id, true));
  {
    Raw b = raw_unix();
    b.send(0x01, hex("02"));
    EXPECT_EQ(b.recv().payload, hex("02 9000"));
  }
  gone = wait_gone(2);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_NE(gone[1].first, a_id);
  EXPECT_FALSE(gone[1].second);
}

TEST_F(ServiceHooksTest, ExtensionAnsweredEvenWhileAnotherHoldsTheLock) {
  start();
  Raw a = raw_unix(), b = raw_unix(), q = raw_unix();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  b.send(0x01, hex("0B"));  // waits
  // Let the server read B's request.
  for (int i = 0; i < 500; ++i) {
    q.send(0x53);
    auto m = q.recv();
    ASSERT_EQ(m.type, 0x53);
    bool waiting = false;
    {
      std::lock_guard<std::mutex> g(backend.mu);
      for (const auto& c : backend.seen.clients) waiting |= c.waiting_for_lock;
    }
    if (waiting) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  {
    std::lock_guard<std::mutex> g(backend.mu);
    const auto& st = backend.seen;
    ASSERT_EQ(st.clients.size(), 3u);
    EXPECT_EQ(st.lock_owner, st.clients[0].peer.id);
    EXPECT_TRUE(st.clients[0].holds_lock);
    EXPECT_EQ(st.clients[0].lock_depth, 1u);
    EXPECT_TRUE(st.clients[1].waiting_for_lock);
    EXPECT_EQ(st.clients[1].queued, 1u);
    EXPECT_EQ(st.listeners.size(), 2u);
  }
  // TERMINAL_INFO and unknown types do not wait for the lock either.
  q.send(0x04);
  EXPECT_EQ(q.recv().type, 0x04);
  q.send(0x77);
  EXPECT_EQ(q.recv().payload, hex("77"));
  a.send(0x31);
  EXPECT_EQ(a.recv().type, 0x31);
  EXPECT_EQ(b.recv().payload, hex("0B 9000"));
}

// A status query queued behind another one does not wait for the lock: it
// must not show up as waiting (se05x info listed status pollers in its queue).
TEST_F(ServiceHooksTest, QueuedStatusQueryIsNotWaitingForTheLock) {
  start();
  Raw a = raw_unix(), b = raw_unix(), q = raw_unix();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  b.send(0x01, hex("0B"));  // needs the chip: waits
  Bytes two;
  for (int i = 0; i < 2; ++i) append(two, *jrcp::encode(0x53, {}));
  // Until B's request has been read, the first snapshot may not show it; the
  // second status request of each pair sits in Q's queue while the first is served.
  bool checked = false;
  for (int round = 0; round < 500 && !checked; ++round) {
    q.send(two);
    EXPECT_EQ(q.recv().type, 0x53);
    EXPECT_EQ(q.recv().type, 0x53);
    std::lock_guard<std::mutex> g(backend.mu);
    for (const auto& st : backend.seen_all) {
      if (st.clients.size() != 3u || st.clients[2].queued != 1u || !st.clients[1].waiting_for_lock) continue;
      EXPECT_FALSE(st.clients[2].waiting_for_lock);
      EXPECT_FALSE(st.clients[0].waiting_for_lock);  // the holder
      checked = true;
    }
    backend.seen_all.clear();
    if (!checked) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(checked) << "never saw a status query queued behind another";
  a.send(0x31);
  EXPECT_EQ(a.recv().type, 0x31);
  EXPECT_EQ(b.recv().payload, hex("0B 9000"));
}

TEST_F(ServiceHooksTest, QueueLimitDisconnectsPipeliningClient) {
  opt.max_queue = 3;
  start();
  Raw ok = raw_unix();
  Bytes three;
  for (int i = 0; i < 3; ++i) append(three, *jrcp::encode(0x01, hex("0C")));
  ok.send(three);  // at the limit: served
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ok.recv().payload, hex("0C 9000"));
  Raw flood = raw_unix();
  Bytes many;
  for (int i = 0; i < 6; ++i) append(many, *jrcp::encode(0x01, hex("0D")));
  flood.send(many);
  EXPECT_TRUE(flood.closed_by_peer());
}

TEST_F(ServiceHooksTest, ExpiredHolderIsCutOff) {
  opt.lock_hold_max = std::chrono::milliseconds(50);
  opt.cut_off_on_expiry = true;
  start();
  Raw a = raw_unix();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  Raw b = raw_unix();
  b.send(0x01, hex("0E"));
  EXPECT_EQ(b.recv().payload, hex("0E 9000"));
  EXPECT_TRUE(a.closed_by_peer());
  auto gone = wait_gone(1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_TRUE(gone[0].second);
}

// --- issue 14: connection slots, timeouts, fairness ---

TEST_F(ServiceHooksTest, RefusedClientsTakeNoSlotAndAreClosedAtTheirDeadline) {
  opt.max_clients = 4;
  opt.refusal_timeout = std::chrono::milliseconds(100);
  opt.admit = [](const JrcpPeer& p) -> std::optional<std::string> {
    if (p.unix_socket) return std::string("go away");
    return std::nullopt;
  };
  start();
  std::vector<Raw> refused;
  for (int i = 0; i < 8; ++i) refused.push_back(raw_unix());  // idle: never send anything
  // An admitted client still gets a slot while they are connected.
  Raw t = raw_tcp();
  t.send(0x01, hex("0A"));
  EXPECT_EQ(t.recv().payload, hex("0A 9000"));
  // And the idle refused connections do not stay: each is closed at its deadline.
  for (auto& r : refused) EXPECT_TRUE(r.closed_by_peer());  // kIoTimeout only bounds a hang
  EXPECT_EQ(server_state_clients(), 1u);
}

TEST_F(ServiceHooksTest, RefusedClientStillGetsItsReasonAsTheFirstReply) {
  opt.refusal_timeout = std::chrono::milliseconds(5000);
  opt.admit = [](const JrcpPeer&) -> std::optional<std::string> { return std::string("not you"); };
  start();
  Raw u = raw_unix();
  u.send(0x00, hex("00000100"));
  auto m = u.recv();
  EXPECT_EQ(m.type, jrcp::kError);
  EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "not you");
  EXPECT_TRUE(u.closed_by_peer());
}

TEST_F(ServiceHooksTest, HalfHeaderAndSilentClientsTimeOut) {
  opt.message_timeout = std::chrono::milliseconds(100);
  start();
  Raw half = raw_unix();
  half.send(hex("01 00 00"));  // 3 of 4 header bytes
  Raw half_payload = raw_unix();
  half_payload.send(hex("01 00 00 04 AA"));  // 1 of 4 payload bytes
  Raw silent = raw_unix();      // connects and says nothing
  Raw good = raw_unix();
  good.send(0x01, hex("0B"));
  EXPECT_EQ(good.recv().payload, hex("0B 9000"));
  EXPECT_TRUE(half.closed_by_peer());
  EXPECT_TRUE(half_payload.closed_by_peer());
  EXPECT_TRUE(silent.closed_by_peer());
}

TEST_F(ServiceHooksTest, ClientBetweenRequestsIsNotAHalfMessage) {
  // A served client that waits between requests is idle, not slow: with
  // message_timeout on and idle_timeout off it keeps its connection.
  opt.message_timeout = std::chrono::milliseconds(50);
  start();
  Raw a = raw_unix();
  a.send(0x01, hex("01"));
  EXPECT_EQ(a.recv().payload, hex("01 9000"));
  // Another client timing out proves the deadline passed for A as well.
  Raw silent = raw_unix();
  EXPECT_TRUE(silent.closed_by_peer());
  a.send(0x01, hex("02"));
  EXPECT_EQ(a.recv().payload, hex("02 9000"));
}

TEST_F(ServiceHooksTest, WaitingForTheLockIsNotATimeout) {
  opt.message_timeout = std::chrono::milliseconds(50);
  start();
  Raw a = raw_unix(), b = raw_unix();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  b.send(0x01, hex("0B"));  // waits for the lock much longer than message_timeout
  Raw silent = raw_unix();
  EXPECT_TRUE(silent.closed_by_peer());  // > 50 ms have passed
  a.send(0x01, hex("0A"));               // the holder between requests is fine too
  EXPECT_EQ(a.recv().payload, hex("0A 9000"));
  a.send(0x31);
  EXPECT_EQ(a.recv().type, 0x31);
  EXPECT_EQ(b.recv().payload, hex("0B 9000"));
}

TEST_F(ServiceHooksTest, IdleTimeoutClosesQuietClients) {
  opt.idle_timeout = std::chrono::milliseconds(50);
  start();
  Raw a = raw_unix();
  a.send(0x01, hex("01"));
  EXPECT_EQ(a.recv().payload, hex("01 9000"));
  EXPECT_TRUE(a.closed_by_peer());
}

TEST_F(ServiceHooksTest, PerPeerCapTurnsAwayExtraConnectionsButAnswersStatus) {
  opt.max_clients_per_peer = 2;
  opt.limit_exempt_type = 0x53;
  start();
  Raw a = raw_unix(), b = raw_unix();
  a.send(0x01, hex("01"));
  EXPECT_EQ(a.recv().payload, hex("01 9000"));
  b.send(0x01, hex("02"));
  EXPECT_EQ(b.recv().payload, hex("02 9000"));
  Raw c = raw_unix();  // same uid: over the cap
  c.send(0x01, hex("03"));
  auto m = c.recv();
  EXPECT_EQ(m.type, jrcp::kError);
  std::string why(m.payload.begin(), m.payload.end());
  EXPECT_NE(why.find("too many connections"), std::string::npos) << why;
  EXPECT_TRUE(c.closed_by_peer());
  Raw q = raw_unix();  // over the cap, but a status query is still answered
  q.send(0x53);
  EXPECT_EQ(q.recv().type, 0x53);
  // Another peer (TCP) is not affected by this uid's cap.
  Raw t = raw_tcp();
  t.send(0x01, hex("04"));
  EXPECT_EQ(t.recv().payload, hex("04 9000"));
  EXPECT_EQ(backend.snapshot().size(), 3u);  // "03" never reached the backend
}

TEST_F(ServiceHooksTest, StatusAnsweredWhenEverySlotIsTaken) {
  opt.max_clients = 2;
  opt.limit_exempt_type = 0x53;
  start();
  Raw a = raw_unix(), b = raw_unix();
  a.send(0x01, hex("01"));
  EXPECT_EQ(a.recv().payload, hex("01 9000"));
  b.send(0x01, hex("02"));
  EXPECT_EQ(b.recv().payload, hex("02 9000"));
  Raw q = raw_unix();
  q.send(0x53);
  auto m = q.recv();
  ASSERT_EQ(m.type, 0x53);
  {
    std::lock_guard<std::mutex> g(backend.mu);
    EXPECT_EQ(backend.seen.clients.size(), 2u);  // the slots' owners; the query holds none
  }
  Raw d = raw_unix();
  d.send(0x01, hex("03"));
  m = d.recv();
  EXPECT_EQ(m.type, jrcp::kError);
  std::string why(m.payload.begin(), m.payload.end());
  EXPECT_NE(why.find("too many clients"), std::string::npos) << why;
}

// Two clients taking the lock in turns must not starve a third one: whoever
// releases the lock while others wait goes to the back of the queue.
TEST_F(ServiceHooksTest, LockHogsDoNotStarveAnotherClient) {
  start();
  constexpr int kCycles = 1000;
  std::atomic<int> hogs_done{0};
  std::atomic<bool> stop_hogs{false};
  auto hog = [&] {
    // Re-takes the lock in the same breath as it releases it.
    Raw h = raw_unix();
    Bytes again = *jrcp::encode(0x31, {});
    append(again, *jrcp::encode(0x30, {}));
    h.send(0x30);
    if (h.recv().type != 0x30) return void(++hogs_done);
    for (int i = 0; i < kCycles && !stop_hogs.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));  // "works" under the lock
      h.send(again);
      if (h.recv().type != 0x31 || h.recv().type != 0x30) break;
    }
    h.send(0x31);
    (void)h.recv();
    ++hogs_done;
  };
  std::thread h1(hog), h2(hog);
  Raw c = raw_unix();
  int served = 0;
  while (hogs_done.load() < 2 && served < 100) {
    c.send(0x01, hex("0C"));
    if (c.recv().payload != hex("0C 9000")) break;
    ++served;
  }
  bool hogs_still_running = hogs_done.load() < 2;
  stop_hogs = true;
  h1.join();
  h2.join();
  // With fair hand-over the third client gets one request in between the
  // hogs' turns; before, it was served about once in tens of seconds.
  EXPECT_EQ(served, 100) << "served while the hogs ran " << 2 * kCycles << " lock cycles";
  EXPECT_TRUE(hogs_still_running);
}

TEST_F(ServiceHooksTest, ReleasingTheLockGoesToTheBackOfTheQueue) {
  start();
  Raw a = raw_unix(), b = raw_unix(), c = raw_unix(), q = raw_unix();
  a.send(0x30);
  EXPECT_EQ(a.recv().type, 0x30);
  b.send(0x30);             // waits first
  wait_waiting(q, 1);
  c.send(0x01, hex("CC"));  // waits second
  wait_waiting(q, 2);
  Bytes again = *jrcp::encode(0x31, {});
  append(again, *jrcp::encode(0x30, {}));
  a.send(again);  // UNLOCK and at once LOCK again
  EXPECT_EQ(a.recv().type, 0x31);
  EXPECT_EQ(b.recv().type, 0x30);  // B was first
  b.send(0x01, hex("BB"));
  EXPECT_EQ(b.recv().payload, hex("BB 9000"));
  b.send(0x31);
  EXPECT_EQ(b.recv().type, 0x31);
  EXPECT_EQ(c.recv().payload, hex("CC 9000"));  // C waited longer than A's new LOCK
  EXPECT_EQ(a.recv().type, 0x30);
  a.send(0x01, hex("AA"));
  EXPECT_EQ(a.recv().payload, hex("AA 9000"));
  EXPECT_EQ(backend.snapshot(), (std::vector<Bytes>{hex("BB"), hex("CC"), hex("AA")}));
}

TEST_F(ServiceHooksTest, ReplacedUnixSocketIsNoticedAndNotRemoved) {
  opt.listener_check_interval = std::chrono::milliseconds(20);
  std::mutex lmu;
  std::vector<std::string> lines;
  std::vector<log::Level> levels;
  opt.log = [&](log::Level l, const std::string& s) {
    std::lock_guard<std::mutex> g(lmu);
    lines.push_back(s);
    levels.push_back(l);
  };
  start();
  // Someone with write access to the directory puts their own listener there.
  std::string other = dir.file("impostor.sock");
  auto imp = unix_listen(other);
  ASSERT_TRUE(imp.ok());
  ASSERT_EQ(::rename(other.c_str(), sock.c_str()), 0);
  bool seen = false;
  for (int i = 0; i < 2000 && !seen; ++i) {
    {
      std::lock_guard<std::mutex> g(lmu);
      for (size_t k = 0; k < lines.size(); ++k)
        if (lines[k].find("replaced") != std::string::npos) {
          seen = true;
          EXPECT_EQ(levels[k], log::Level::Error) << lines[k];
        }
    }
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(seen) << "the replaced socket was not logged";
  server->stop();
  server.reset();
  struct stat st{};
  EXPECT_EQ(::lstat(sock.c_str(), &st), 0) << "the server removed a socket file that is not its own";
}

}  // namespace
}  // namespace sx::link
