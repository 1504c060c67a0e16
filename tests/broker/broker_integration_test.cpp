// se05xd as a process in front of se05x-sim, with client processes: the
// issue's acceptance scenarios (concurrent signers, kill -9 of a lock holder,
// broker restart, unauthorised uid, TCP off unless configured, chip restart).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "broker/status.h"
#include "se05x/channel_lock.h"
#include "se05x/client.h"
#include "se05x/connect.h"
#include "support/sim_process.h"

namespace sx::broker {
namespace {

using sx::testing::SimProcess;
using sx::testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kKeyId = 0x20E00001;
constexpr uint32_t kMetaId = 0x20E00002;

// A child process running argv; waited for with a generous bound (a hang
// detector, not a timing assertion).
struct Child {
  pid_t pid = -1;
  Child() = default;
  Child(Child&& o) noexcept : pid(std::exchange(o.pid, -1)) {}
  Child& operator=(Child&&) = delete;
  static Child spawn(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Child c;
    c.pid = ::fork();
    if (c.pid == 0) {
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return c;
  }
  // Exit status, or -1 when it did not end within the bound (then it is killed).
  int wait(std::chrono::seconds bound = std::chrono::seconds(240)) {
    const auto deadline = Clock::now() + bound;
    while (pid > 0) {
      int st = 0;
      pid_t r = ::waitpid(pid, &st, WNOHANG);
      if (r == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      if (r < 0) return -2;
      if (Clock::now() > deadline) {
        kill9();
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
  void kill9() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
  }
  ~Child() { kill9(); }
};

class BrokerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir.path().c_str(), 0755);  // the unauthorised-uid child must reach the socket
    sim_sock = dir.file("sim.sock");
    sock = dir.file("se05xd.sock");
    sim = std::make_unique<SimProcess>(SX_SIM_BINARY, std::vector<std::string>{
                                                          "--listen", "unix:" + sim_sock, "--nvm", dir.file("se050.nvm"),
                                                          "--no-fsync"});
    ASSERT_TRUE(sim->start());
  }
  void start_broker(const std::string& extra_json = "", std::string tcp = "127.0.0.1:0") {
    std::ofstream(dir.file("se05xd.conf")) << "{\n  \"connection\": \"unix:" << sim_sock << "\",\n  \"socket\": \""
                                           << sock << "\",\n  \"socket_mode\": \"0666\",\n  \"lock_hold_ms\": "
                                           << hold_ms << (tcp.empty() ? "" : ",\n  \"tcp\": \"" + tcp + "\"")
                                           << extra_json << "\n}\n";
    broker = std::make_unique<SimProcess>(SX_BROKER_BINARY, std::vector<std::string>{
                                                                "--foreground", "--config", dir.file("se05xd.conf"),
                                                                "--log-level", "warning"});
    ASSERT_TRUE(broker->start());
    for (const auto& e : broker->endpoints())
      if (e.rfind("jrcp:", 0) == 0) tcp_conn = e;
  }
  std::string conn() const { return "unix:" + sock; }

  // Key and metadata object, created through the broker like any client would.
  void provision() {
    auto ch = se05x::open_channel(conn());
    ASSERT_TRUE(ch.ok()) << ch.error().message;
    se05x::Client c(**ch);
    ASSERT_TRUE(c.select().ok());
    se05x::ChannelLock lock(**ch);
    ASSERT_TRUE(lock.status().ok());
    ASSERT_TRUE(c.ensure_curve(se05x::Curve::NistP256).ok());
    if (!*c.check_object_exists(kKeyId)) {
      ASSERT_TRUE(c.generate_ec_key(kKeyId, se05x::Curve::NistP256).ok());
    }
    auto pub = c.read_object(kKeyId);
    ASSERT_TRUE(pub.ok()) << pub.error().message;
    pub_hex = to_hex(*pub);
    if (!*c.check_object_exists(kMetaId)) {
      ASSERT_TRUE(c.create_binary(kMetaId, Bytes(600, 0)).ok());
    }
  }
  std::vector<std::string> client_args(const std::string& mode, const std::string& connection, int count,
                                       const std::string& role = "none", int gens = 0) {
    char key[16], meta[16];
    std::snprintf(key, sizeof key, "%08X", kKeyId);
    std::snprintf(meta, sizeof meta, "%08X", kMetaId);
    return {SX_CLIENT_BINARY, mode, connection, key, pub_hex, std::to_string(count), meta, role, std::to_string(gens)};
  }

  TempDir dir;
  std::string sim_sock, sock, tcp_conn, pub_hex;
  uint32_t hold_ms = 3000;
  std::unique_ptr<SimProcess> sim, broker;
};

TEST_F(BrokerIntegration, EightClientProcessesSignConcurrently) {
  start_broker();
  provision();
  ASSERT_FALSE(tcp_conn.empty());
  constexpr int kSigs = 500, kGens = 10;
  std::vector<Child> kids;
  // Our stack: one metadata writer, three readers. NXP-style raw byte clients:
  // two over the TCP listener (EX_SSS_BOOT_SSS_PORT=127.0.0.1:PORT), two over the socket.
  kids.push_back(Child::spawn(client_args("client", conn(), kSigs, "writer", kGens)));
  for (int i = 0; i < 3; ++i) kids.push_back(Child::spawn(client_args("client", conn(), kSigs, "reader", kGens)));
  for (int i = 0; i < 2; ++i) kids.push_back(Child::spawn(client_args("raw", tcp_conn, kSigs)));
  for (int i = 0; i < 2; ++i) kids.push_back(Child::spawn(client_args("raw", conn(), kSigs)));
  for (size_t i = 0; i < kids.size(); ++i) EXPECT_EQ(kids[i].wait(), 0) << "client " << i;

  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->failed_apdus, 0u);
  EXPECT_GE(st->apdus, 8u * kSigs);
  EXPECT_EQ(st->cut_off, 0u);
  // The last metadata generation is what everybody sees now.
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  se05x::Client c(**ch);
  auto b = c.read_binary(kMetaId, 600);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*b, Bytes(600, kGens));
}

TEST_F(BrokerIntegration, KillNineOfLockHolderOthersCarryOn) {
  hold_ms = 600000;  // far beyond the wait bound: only the disconnect can free the chip
  start_broker();
  provision();
  std::string ready = dir.file("holder.ready");
  auto hold_args = client_args("hold", conn(), 0);
  hold_args.push_back(ready);
  Child holder = Child::spawn(hold_args);
  for (int i = 0; i < 2000 && !std::filesystem::exists(ready); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(std::filesystem::exists(ready));
  Child signer = Child::spawn(client_args("client", conn(), 20));
  Child raw = Child::spawn(client_args("raw", tcp_conn, 20));
  // Both wait for the holder.
  for (int i = 0; i < 2000; ++i) {
    auto st = query_status(conn());
    ASSERT_TRUE(st.ok());
    int waiting = 0;
    for (const auto& c : st->clients) waiting += c.waiting;
    if (waiting >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  holder.kill9();
  EXPECT_EQ(signer.wait(std::chrono::seconds(60)), 0);
  EXPECT_EQ(raw.wait(std::chrono::seconds(60)), 0);
  // Clean state: nobody holds the chip, the holder is gone, a full locked sequence works.
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->lock_holder, 0u);
  EXPECT_EQ(st->clients.size(), 1u);  // just this query
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  se05x::Client c(**ch);
  ASSERT_TRUE(c.select().ok());
  se05x::ChannelLock lock(**ch);
  ASSERT_TRUE(c.update_binary(kMetaId, Bytes(600, 0x42)).ok());
  EXPECT_EQ(*c.read_binary(kMetaId, 600), Bytes(600, 0x42));
}

TEST_F(BrokerIntegration, BrokerRestartClearErrorThenWorksAgain) {
  start_broker();
  provision();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  se05x::Client c(**ch);
  ASSERT_TRUE(c.select().ok());
  ASSERT_TRUE(c.get_random(8).ok());
  broker->kill_hard();  // a crash: the stale socket file stays behind
  auto r = c.get_random(8);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("went away"), std::string::npos) << r.error().message;
  auto r2 = c.get_random(8);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("broker"), std::string::npos) << r2.error().message;
  start_broker();
  auto r3 = c.get_random(8);
  EXPECT_TRUE(r3.ok()) << r3.error().message;
  auto sig = c.ecdsa_sign(kKeyId, Bytes(32, 7));
  EXPECT_TRUE(sig.ok()) << sig.error().message;
}

TEST_F(BrokerIntegration, ChipRestartBrokerReconnects) {
  start_broker();
  provision();
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  se05x::Client c(**ch);
  ASSERT_TRUE(c.select().ok());
  sim->stop();
  auto r = c.get_random(8);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no answer from the chip"), std::string::npos) << r.error().message;
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->chip_up);
  EXPECT_FALSE(st->chip_last_error.empty());
  ASSERT_TRUE(sim->start());
  // The broker re-opens the link and replays the SELECT: the client does nothing special.
  auto r2 = c.get_random(8);
  EXPECT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_TRUE(c.ecdsa_sign(kKeyId, Bytes(32, 9)).ok());
}

TEST_F(BrokerIntegration, UnauthorisedUidIsRefused) {
  start_broker(",\n  \"allow_uids\": [0]", "");
  // TCP listener off unless configured.
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->listeners, std::vector<std::string>{conn()});
  if (::getuid() != 0) GTEST_SKIP() << "needs root to switch to an unprivileged uid";
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    auto ch = se05x::open_channel(conn());
    if (ch.ok()) ::_exit(1);
    ::_exit(ch.error().message.find("access denied for uid 65534") != std::string::npos ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1 = admitted, 2 = unclear message, 3 = setuid failed";
  auto st2 = query_status(conn());
  ASSERT_TRUE(st2.ok());
  EXPECT_GE(st2->refused, 1u);
  // root (allowed) is still served.
  auto ch = se05x::open_channel(conn());
  ASSERT_TRUE(ch.ok());
  se05x::Client c(**ch);
  EXPECT_TRUE(c.select().ok());
}

}  // namespace
}  // namespace sx::broker
