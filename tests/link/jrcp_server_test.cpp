// link::JrcpServer alone: accept, JRCP framing, delivery to a handler and its
// replies, back-pressure, dropping bad peers, the listener's socket file. The
// rules on top (lock, queue, admission) are tested in tests/broker/service_test.cpp.
#include "link/jrcp_server.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <mutex>
#include <thread>
#include <vector>

#include "link/jrcp.h"
#include "link/socket.h"
#include "support/temp_dir.h"

namespace sx::link {
namespace {

constexpr int kIoTimeout = 10000;  // only bounds a hang on failure

// Answers every request with its own type and payload, except that while
// `hold` is set it takes no input (back-pressure). Counters are read by the
// test thread.
struct EchoHandler : JrcpHandler {
  JrcpServer* server = nullptr;
  std::atomic<bool> hold{false};
  std::atomic<int> accepted_n{0}, gone_n{0}, served_n{0};
  std::vector<jrcp::Message> pending;
  JrcpConnection* conn = nullptr;
  bool accepted(JrcpConnection&, const std::string&) override {
    ++accepted_n;
    return true;
  }
  // One peer at a time has requests pending: the others are not read meanwhile.
  void requests(JrcpConnection& c, std::vector<jrcp::Message> batch) override {
    conn = &c;
    for (auto& m : batch) pending.push_back(std::move(m));
  }
  bool wants_input(const JrcpConnection&) const override { return pending.empty() && !hold.load(); }
  void gone(JrcpConnection& c) override {
    ++gone_n;
    if (conn != &c) return;
    conn = nullptr;
    pending.clear();
  }
  JrcpClock::time_point next_wake() override {
    // While nothing is pending the loop turns every 5 ms, held or not: `hold` may drop
    // between the loop's wants_input() (no POLLIN asked) and this call, and an endless
    // wait then would never read the request (a flake seen once under ASan and load).
    return pending.empty() ? JrcpClock::now() + std::chrono::milliseconds(5) : JrcpClock::now();
  }
  void serve() override {
    if (!conn || pending.empty() || conn->sending()) return;
    jrcp::Message m = std::move(pending.front());
    pending.erase(pending.begin());
    ++served_n;
    server->reply(*conn, m.type, m.payload);
  }
};

struct Peer {
  Fd fd;
  void send(ByteView b) { ASSERT_TRUE(write_all(fd.get(), b, kIoTimeout).ok()); }
  jrcp::Message recv() {
    uint8_t h[4];
    auto s = read_exact(fd.get(), h, kIoTimeout);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    if (!s) return {0xFF, {}};
    jrcp::Message m{h[0], Bytes(get_u16(ByteView(h), 2))};
    EXPECT_TRUE(read_exact(fd.get(), m.payload, kIoTimeout).ok());
    return m;
  }
  bool closed_by_peer() {
    uint8_t b;
    auto s = read_exact(fd.get(), std::span(&b, 1), kIoTimeout);
    return !s.ok() && s.error().code == Errc::Closed;
  }
};

// The server's log lines with their levels; shared with the sink, so a
// server thread that outlives a failed test body still has it.
struct LogRecord {
  std::mutex mu;
  std::vector<std::pair<log::Level, std::string>> lines;
  static log::Sink sink(const std::shared_ptr<LogRecord>& r) {
    return [r](log::Level l, const std::string& s) {
      std::lock_guard<std::mutex> g(r->mu);
      r->lines.emplace_back(l, s);
    };
  }
  std::vector<std::pair<log::Level, std::string>> snapshot() {
    std::lock_guard<std::mutex> g(mu);
    return lines;
  }
};

class JrcpTransportTest : public ::testing::Test {
 protected:
  void start() {
    server = std::make_unique<JrcpServer>(handler, opt);
    handler.server = server.get();
    sock = dir.file("t.sock");
    ASSERT_TRUE(server->listen_unix(sock).ok());
    auto p = server->listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(p.ok()) << p.error().message;
    port = *p;
    ASSERT_TRUE(server->start().ok());
  }
  void TearDown() override {
    if (server) server->stop();
  }
  Peer unix_peer() { return Peer{unix_connect(sock).value()}; }
  Peer tcp_peer() { return Peer{tcp_connect("127.0.0.1", port, kIoTimeout).value()}; }
  // Bounded wait for a counter of the handler.
  static bool reaches(const std::atomic<int>& n, int want) {
    for (int i = 0; i < 5000 && n.load() < want; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return n.load() >= want;
  }

  sx::testing::TempDir dir;
  EchoHandler handler;
  JrcpServerOptions opt;
  std::unique_ptr<JrcpServer> server;
  std::string sock;
  uint16_t port = 0;
};

TEST_F(JrcpTransportTest, DeliversSplitAndCoalescedRequestsInOrder) {
  start();
  for (bool tcp : {false, true}) {
    Peer p = tcp ? tcp_peer() : unix_peer();
    Bytes two = *jrcp::encode(0x01, hex("01"));
    append(two, *jrcp::encode(0x01, hex("02")));
    p.send(two);
    EXPECT_EQ(p.recv().payload, hex("01"));
    EXPECT_EQ(p.recv().payload, hex("02"));
    Bytes one = *jrcp::encode(0x42, hex("030405"));
    for (uint8_t b : one) p.send(ByteView(&b, 1));
    jrcp::Message m = p.recv();
    EXPECT_EQ(m.type, 0x42);
    EXPECT_EQ(m.payload, hex("030405"));
  }
  EXPECT_EQ(handler.accepted_n.load(), 2);
  EXPECT_TRUE(reaches(handler.gone_n, 2));
}

TEST_F(JrcpTransportTest, NotReadWhileTheHandlerWantsNoInput) {
  handler.hold = true;
  start();
  Peer p = unix_peer();
  p.send(*jrcp::encode(0x01, hex("07")));
  ASSERT_TRUE(reaches(handler.accepted_n, 1));
  // The request stays in the kernel: nothing is delivered or served.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(handler.served_n.load(), 0);
  handler.hold = false;
  EXPECT_EQ(p.recv().payload, hex("07"));
}

TEST_F(JrcpTransportTest, BadFramingDropsThatPeerOnly) {
  opt.max_payload = 16;
  auto rec = std::make_shared<LogRecord>();
  opt.log = LogRecord::sink(rec);
  start();
  Peer good = unix_peer();
  Peer bad_nad = tcp_peer();
  bad_nad.send(hex("01 01 00 01 00"));
  EXPECT_TRUE(bad_nad.closed_by_peer());
  Peer oversize = tcp_peer();
  oversize.send(hex("01 00 00 11"));  // 17 > max_payload, before any payload
  EXPECT_TRUE(oversize.closed_by_peer());
  good.send(*jrcp::encode(0x01, Bytes(16, 0x42)));
  EXPECT_EQ(good.recv().payload, Bytes(16, 0x42));
  ASSERT_TRUE(reaches(handler.gone_n, 2));
  server->stop();  // every line is written
  size_t drops = 0;
  for (const auto& [l, s] : rec->snapshot()) {
    EXPECT_EQ(s.rfind("jrcp-server: ", 0), 0u) << s;
    if (s.find(" dropped: jrcp: ") != std::string::npos) {
      ++drops;
      EXPECT_EQ(l, log::Level::Info) << s;
    }
  }
  EXPECT_EQ(drops, 2u);
}

TEST_F(JrcpTransportTest, ReplacedSocketFileIsAnErrorAndIsNotRemoved) {
  opt.listener_check_interval = std::chrono::milliseconds(10);
  auto rec = std::make_shared<LogRecord>();
  opt.log = LogRecord::sink(rec);
  start();
  const std::string other = dir.file("impostor.sock");
  auto imp = unix_listen(other);
  ASSERT_TRUE(imp.ok());
  ASSERT_EQ(::rename(other.c_str(), sock.c_str()), 0);
  std::optional<log::Level> level;
  for (int i = 0; i < 5000 && !level; ++i) {
    for (const auto& [l, s] : rec->snapshot())
      if (s.find("SOCKET FILE") != std::string::npos && s.find("replaced") != std::string::npos) level = l;
    if (!level) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(level, log::Level::Error);
  server->stop();
  server.reset();
  struct stat st{};
  EXPECT_EQ(::lstat(sock.c_str(), &st), 0) << "the server removed a socket file that is not its own";
}

TEST(JrcpTransport, PeerCredOfUnixClient) {
  sx::testing::TempDir dir;
  auto l = unix_listen(dir.file("s"));
  ASSERT_TRUE(l.ok());
  auto c = unix_connect(dir.file("s"));
  ASSERT_TRUE(c.ok());
  auto cred = peer_cred(c->get());
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->pid, getpid());
  EXPECT_EQ(cred->uid, getuid());
}

TEST(JrcpTransport, PeerGroupsOfUnixClient) {
  sx::testing::TempDir dir;
  auto l = unix_listen(dir.file("s"));
  ASSERT_TRUE(l.ok());
  auto c = unix_connect(dir.file("s"));
  ASSERT_TRUE(c.ok());
  Fd srv(::accept(l->get(), nullptr, nullptr));
  ASSERT_TRUE(srv.valid());
  auto g = peer_groups(srv.get());
  ASSERT_TRUE(g.ok()) << g.error().message;
  std::vector<gid_t> mine(static_cast<size_t>(std::max(0, ::getgroups(0, nullptr))));
  ASSERT_EQ(::getgroups(static_cast<int>(mine.size()), mine.data()), static_cast<int>(mine.size()));
  std::sort(mine.begin(), mine.end());
  std::vector<gid_t> got = *g;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, mine);
}


}  // namespace
}  // namespace sx::link
