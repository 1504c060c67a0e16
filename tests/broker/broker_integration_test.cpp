// se05xd as a process in front of se05x-sim, with client processes: the
// issue's acceptance scenarios (concurrent PKCS#11 and raw JRCP signers with a
// metadata change seen by all, metadata updates never interleaved, kill -9 of
// a lock holder, broker restart for host-stack and PKCS#11 users, unauthorised
// uid, TCP off unless configured, chip restart).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <charconv>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "broker/status.h"
#include "se05x/channel_lock.h"
#include "se05x/client.h"
#include "se05x/connect.h"
#include "support/exec_wrapper.h"
#include "support/sim_process.h"
#include "support/test_binary.h"
#include "support/test_rsa_key.h"

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
  // env: variables set in the child; an empty value unsets the variable.
  // Through SX_TEST_EXEC_WRAPPER when set (the armhf suite under qemu-user).
  static Child spawn(const std::vector<std::string>& program_args, const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args =
        sx::test::child_argv(program_args.at(0), {program_args.begin() + 1, program_args.end()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    Child c;
    c.pid = ::fork();
    if (c.pid == 0) {
      for (const auto& [k, v] : env) {
        if (v.empty()) ::unsetenv(k.c_str());
        else ::setenv(k.c_str(), v.c_str(), 1);
      }
      sx::test::exec_child(argv.data());
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

std::string broker_binary() { return sx::test::binary_path("SX_TEST_BROKER", SX_BROKER_BINARY); }
std::string module_path() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }

bool wait_for_file(const std::string& path) {
  for (int i = 0; i < 24000 && !std::filesystem::exists(path); ++i)  // a hang bound, not a timing assert
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return std::filesystem::exists(path);
}
void touch(const std::string& path) { std::ofstream(path) << "x\n"; }

class BrokerIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(dir.path().c_str(), 0755);  // the unauthorised-uid child must reach the socket
    sim_sock = dir.file("sim.sock");
    sock = dir.file("se05xd.sock");
    sx::testing::use_test_rsa_factory_key();  // no RSA key generation per simulator
    ::unsetenv("SE05X_PORT");  // se05xd would take it over its configuration's "connection"
    sim = sx::testing::start_sim_in(dir, "se050.nvm");
    ASSERT_NE(sim, nullptr);
    // The module's configuration names no port: like a container with /run/se05x
    // mounted, it finds the broker's socket by default (SE05X_BROKER_SOCKET stands
    // in for /run/se05x/se05xd.sock). No lock file: the broker serialises.
    std::ofstream(dir.file("p11.conf")) << "lock_file =\npin_iterations = 1000\nlog_level = warn\n";
  }
  // log_file: the broker's stderr goes there (at debug level, with log_apdus).
  void start_broker(const std::string& extra_json = "", std::string tcp = "127.0.0.1:0",
                    const std::string& log_file = "") {
    std::ofstream(dir.file("se05xd.conf")) << "{\n  \"connection\": \"unix:" << sim_sock << "\",\n  \"socket\": \""
                                           << sock << "\",\n  \"socket_mode\": \"0666\",\n  \"lock_hold_ms\": "
                                           << hold_ms << (tcp.empty() ? "" : ",\n  \"tcp\": \"" + tcp + "\"")
                                           << extra_json << "\n}\n";
    std::vector<std::string> args{"--foreground", "--config", dir.file("se05xd.conf"), "--log-level",
                                  log_file.empty() ? "warning" : "debug"};
    if (log_file.empty()) {
      broker = std::make_unique<SimProcess>(broker_binary(), args);
    } else {
      // SimProcess appends --ready-file to the arguments: they pass through "$@".
      // shell_command puts SX_TEST_EXEC_WRAPPER in front: sh cannot exec an armhf se05xd itself.
      const std::string script = "exec " + sx::test::shell_command(broker_binary()) + " \"$@\" 2>>'" + log_file + "'";
      args.insert(args.begin(), {"-c", script, "se05xd"});
      broker = std::make_unique<SimProcess>("/bin/sh", args);
    }
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
    return {sx::test::binary_path("SX_TEST_BROKER_CLIENT", SX_CLIENT_BINARY),
            mode, connection, key, pub_hex, std::to_string(count), meta, role, std::to_string(gens)};
  }

  // A PKCS#11 application process: the module finds the broker by its default socket.
  Child p11_client(const std::string& mode, int count = 0, const std::string& role = "") {
    std::vector<std::string> args{sx::test::binary_path("SX_TEST_BROKER_P11_CLIENT", SX_P11_CLIENT_BINARY),
                                  module_path(), mode, dir.path(), std::to_string(count)};
    if (!role.empty()) args.push_back(role);
    return Child::spawn(args, {{"SE05X_PKCS11_CONF", dir.file("p11.conf")},
                               {"SE05X_BROKER_SOCKET", sock},
                               {"SE05X_PORT", ""},
                               {"EX_SSS_BOOT_SSS_PORT", ""}});
  }
  // Token, user PIN, the EC key "shared" and the data object "note-before", made through the module.
  void provision_p11() { ASSERT_EQ(p11_client("provision").wait(std::chrono::seconds(120)), 0); }

  TempDir dir;
  std::string sim_sock, sock, tcp_conn, pub_hex;
  uint32_t hold_ms = 3000;
  std::unique_ptr<SimProcess> sim, broker;
};

TEST_F(BrokerIntegration, EightClientProcessesSignConcurrently) {
  start_broker();
  provision_p11();
  provision();
  ASSERT_FALSE(tcp_conn.empty());
  constexpr int kSigs = 500;
  std::vector<Child> kids;
  // Four PKCS#11 applications: one renames a data object halfway, the other
  // three must find it under its new label (new session + C_FindObjects)
  // before they finish. Four NXP-style raw byte clients: two over the TCP
  // listener (EX_SSS_BOOT_SSS_PORT=127.0.0.1:PORT), two over the socket.
  kids.push_back(p11_client("sign", kSigs, "writer"));
  for (int i = 0; i < 3; ++i) kids.push_back(p11_client("sign", kSigs, "reader"));
  for (int i = 0; i < 2; ++i) kids.push_back(Child::spawn(client_args("raw", tcp_conn, kSigs)));
  for (int i = 0; i < 2; ++i) kids.push_back(Child::spawn(client_args("raw", conn(), kSigs)));
  for (size_t i = 0; i < kids.size(); ++i) EXPECT_EQ(kids[i].wait(), 0) << "client " << i;
  EXPECT_TRUE(std::filesystem::exists(dir.file("changed")));

  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->failed_apdus, 0u);
  EXPECT_GE(st->apdus, 8u * kSigs);
  EXPECT_EQ(st->cut_off, 0u);
}

// One line of the broker's APDU trace (log_apdus at debug).
struct TraceLine {
  uint64_t client = 0;
  long pid = 0;
  std::string header, sw;
  uint64_t req = 0, lock = 0;
};

// Digits at s[pos...] into v; the position after them, or npos if none.
size_t read_number(const std::string& s, size_t pos, uint64_t& v) {
  if (pos >= s.size()) return std::string::npos;
  const auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), v);
  return ec == std::errc() ? static_cast<size_t>(end - s.data()) : std::string::npos;
}

// "client#C (pid P ...): HEADER -> SW XXXX [req N, lock M]" — parsed by hand:
// std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizer build.
std::optional<TraceLine> parse_trace_line(const std::string& line) {
  TraceLine t;
  size_t p = line.find("client#");
  if (p == std::string::npos || (p = read_number(line, p + 7, t.client)) == std::string::npos) return std::nullopt;
  if (line.compare(p, 2, " (") != 0) return std::nullopt;
  if (line.compare(p + 2, 4, "pid ") == 0) {
    uint64_t pid = 0;
    if (read_number(line, p + 6, pid) == std::string::npos) return std::nullopt;
    t.pid = static_cast<long>(pid);
  }
  size_t colon = line.find("): ", p);
  size_t arrow = line.find(" -> SW ", colon == std::string::npos ? p : colon);
  if (colon == std::string::npos || arrow == std::string::npos) return std::nullopt;
  t.header = line.substr(colon + 3, arrow - colon - 3);
  if (t.header.size() < 2 || t.header.size() > 8 || !from_hex(t.header)) return std::nullopt;
  const size_t sw_at = arrow + 7;
  const size_t bracket = line.find(" [req ", sw_at);
  if (bracket == std::string::npos) return std::nullopt;
  t.sw = line.substr(sw_at, bracket - sw_at);
  p = read_number(line, bracket + 6, t.req);
  if (p == std::string::npos || line.compare(p, 7, ", lock ") != 0) return std::nullopt;
  p = read_number(line, p + 7, t.lock);
  if (p == std::string::npos || line.compare(p, 1, "]") != 0) return std::nullopt;
  return t;
}

std::vector<TraceLine> read_trace(const std::string& path) {
  std::vector<TraceLine> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (auto t = parse_trace_line(line)) out.push_back(std::move(*t));
  return out;
}

bool is_write(const TraceLine& t) {  // WriteObject: CLA 80, INS class 01 (any flags)
  auto h = from_hex(t.header);
  return h && h->size() >= 2 && (*h)[0] == 0x80 && ((*h)[1] & 0x1F) == 0x01;
}

struct UpdateTrace {
  size_t apdus = 0;           // the process's APDUs
  size_t locked_writes = 0;   // its locked sequences that write
  size_t foreign_inside = 0;  // other clients' APDUs between its first and last
};

// Checks one process's metadata updates in the trace: every write APDU of it
// ran while it held the broker lock; each sequence that writes has >= 2 APDUs,
// all under its lock, and no other client's APDU lies between its first and
// last APDU. A sequence = a run of the process's APDUs without any other
// request of it in between (its request counter advances by one); LOCK and
// UNLOCK are such requests, so each LOCK...UNLOCK lies within one sequence.
UpdateTrace check_updates(const std::vector<TraceLine>& t, long pid, const std::string& who) {
  UpdateTrace r;
  std::vector<size_t> mine;  // indices of the process's APDUs
  uint64_t id = 0;
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i].pid == pid) {
      mine.push_back(i);
      if (id == 0) id = t[i].client;
      EXPECT_EQ(t[i].client, id) << who << " used more than one connection";
    }
  r.apdus = mine.size();
  if (mine.size() < 2) {
    ADD_FAILURE() << who << ": only " << mine.size() << " APDUs in the trace";
    return r;
  }
  for (size_t i = mine.front(); i <= mine.back(); ++i) r.foreign_inside += t[i].client != id;
  size_t k = 0;
  while (k < mine.size()) {
    size_t e = k;
    while (e + 1 < mine.size() && t[mine[e + 1]].req == t[mine[e]].req + 1) ++e;
    bool writes = false, all_locked = true;
    for (size_t j = k; j <= e; ++j) {
      writes |= is_write(t[mine[j]]);
      all_locked &= t[mine[j]].lock == id;
    }
    if (writes) {
      ++r.locked_writes;
      EXPECT_TRUE(all_locked) << who << ": a metadata update ran (partly) without the broker lock, trace line "
                              << mine[k];
      EXPECT_GE(e - k + 1, 2u) << who << ": a write outside a multi-APDU locked sequence, trace line " << mine[k];
      for (size_t i = mine[k]; i <= mine[e]; ++i)
        EXPECT_EQ(t[i].client, id) << who << ": client#" << t[i].client << "'s APDU " << t[i].header
                                   << " interleaved with an update (trace line " << i << ")";
    }
    k = e + 1;
  }
  for (size_t i : mine)
    if (is_write(t[i])) {
      EXPECT_EQ(t[i].lock, id) << who << ": unlocked write " << t[i].header << " at trace line " << i;
    }
  return r;
}

// The checker itself fails on an interleaved update and on an unlocked write
// (what a module that did not take the broker lock would produce).
TEST(TraceCheck, CatchesInterleavingAndUnlockedWrites) {
  auto line = [](uint64_t client, long pid, const char* hdr, uint64_t req, uint64_t lock) {
    TraceLine l;
    l.client = client;
    l.pid = pid;
    l.header = hdr;
    l.sw = "9000";
    l.req = req;
    l.lock = lock;
    return l;
  };
  // 5 = the updater (pid 100), 6 = another client. Clean: 6 runs between two locked updates.
  std::vector<TraceLine> clean{line(5, 100, "80020000", 3, 5), line(5, 100, "80010000", 4, 5),
                               line(6, 200, "80030c09", 9, 0), line(5, 100, "80020000", 7, 5),
                               line(5, 100, "80010000", 8, 5)};
  UpdateTrace u = check_updates(clean, 100, "clean");
  EXPECT_EQ(u.locked_writes, 2u);
  EXPECT_EQ(u.foreign_inside, 1u);
  // Another client's APDU inside one sequence (no LOCK/UNLOCK gap around it).
  std::vector<TraceLine> interleaved{line(5, 100, "80020000", 3, 0), line(6, 200, "80030c09", 9, 0),
                                     line(5, 100, "80010000", 4, 0)};
  // The failures check_updates() reports, collected instead of failing this test.
  auto failures = [](const std::vector<TraceLine>& t) {
    ::testing::TestPartResultArray results;
    {
      ::testing::ScopedFakeTestPartResultReporter rep(
          ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
      (void)check_updates(t, 100, "x");
    }
    std::string all;
    for (int i = 0; i < results.size(); ++i) all += std::string(results.GetTestPartResult(i).message()) + "\n";
    return all;
  };
  const std::string f1 = failures(interleaved);
  EXPECT_NE(f1.find("client#6's APDU 80030c09 interleaved with an update"), std::string::npos) << f1;
  EXPECT_NE(f1.find("without the broker lock"), std::string::npos) << f1;
  // A lone write without the lock.
  std::vector<TraceLine> unlocked{line(5, 100, "80020000", 3, 5), line(5, 100, "80010000", 5, 0)};
  const std::string f2 = failures(unlocked);
  EXPECT_NE(f2.find("unlocked write 80010000"), std::string::npos) << f2;
}

// Starts a raw client that signs until killed; returns once the broker has
// forwarded some of its APDUs.
Child start_hammer(const std::vector<std::string>& args, const std::string& conn) {
  Child raw = Child::spawn(args);
  auto st0 = query_status(conn);
  const uint64_t base = st0.ok() ? st0->apdus : 0;
  for (int i = 0; i < 4000; ++i) {  // a hang bound
    auto st = query_status(conn);
    if (st.ok() && st->apdus > base + 100) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return raw;
}

// While a PKCS#11 application makes metadata updates (C_SetAttributeValue,
// C_CreateObject) and a raw client hammers the chip with signatures, the
// broker's APDU trace shows each update's APDUs under the application's LOCK
// and contiguous: no other client's APDU between them.
TEST_F(BrokerIntegration, MetadataUpdatesAreNeverInterleaved) {
  const std::string trace = dir.file("se05xd.log");
  start_broker(",\n  \"log_apdus\": true", "", trace);
  provision_p11();
  provision();
  Child raw = start_hammer(client_args("raw", conn(), 1000000), conn());
  constexpr int kUpdates = 6;
  Child writer = p11_client("meta", kUpdates);
  const long writer_pid = writer.pid;
  EXPECT_EQ(writer.wait(std::chrono::seconds(120)), 0);
  raw.kill9();
  broker->stop();

  std::vector<TraceLine> t = read_trace(trace);
  ASSERT_FALSE(t.empty()) << "no APDU trace in " << trace;
  UpdateTrace u = check_updates(t, writer_pid, "the PKCS#11 application");
  // The raw client really ran in between (else nothing could have interleaved).
  EXPECT_GT(u.foreign_inside, 0u) << "the raw client never got the chip during the updates";
  // Two updates per round (rename + create), each at least one locked sequence.
  EXPECT_GE(u.locked_writes, 2u * kUpdates);
  std::printf("trace: %zu APDUs, %zu of the application, %zu locked write sequences, %zu raw APDUs in between\n",
              t.size(), u.apdus, u.locked_writes, u.foreign_inside);
}

#ifdef SX_CLI_BINARY
// The same for the CLI: keygen, relabel and delete through the broker while a
// raw client hammers it.
TEST_F(BrokerIntegration, CliUpdatesAreNeverInterleaved) {
  const std::string trace = dir.file("se05xd.log");
  start_broker(",\n  \"log_apdus\": true", "", trace);
  provision_p11();  // token and user PIN
  provision();
  Child raw = start_hammer(client_args("raw", conn(), 1000000), conn());
  const std::map<std::string, std::string> env{{"SE05X_PORT", conn()},
                                               {"SE05X_LOCK_FILE", dir.file("cli.lock")},
                                               {"SE05X_PIN", "1234"}};
  const std::string cli = sx::test::binary_path("SX_TEST_CLI", SX_CLI_BINARY);
  const std::vector<std::vector<std::string>> cmds{
      {cli, "keygen", "--label", "cli-key", "--type", "ec:p256"},
      {cli, "relabel", "--label", "cli-key", "--new-label", "cli-key-2"},
      {cli, "delete", "--label", "cli-key-2", "--yes"}};
  std::vector<long> pids;
  for (const auto& c : cmds) {
    Child p = Child::spawn(c, env);
    pids.push_back(p.pid);
    EXPECT_EQ(p.wait(std::chrono::seconds(120)), 0) << c[1];
  }
  raw.kill9();
  broker->stop();

  std::vector<TraceLine> t = read_trace(trace);
  ASSERT_FALSE(t.empty()) << "no APDU trace in " << trace;
  size_t foreign = 0;
  for (size_t i = 0; i < cmds.size(); ++i) {
    UpdateTrace u = check_updates(t, pids[i], "se05x " + cmds[i][1]);
    EXPECT_GE(u.locked_writes, 1u) << cmds[i][1];
    foreign += u.foreign_inside;
    std::printf("trace: se05x %s: %zu APDUs, %zu locked write sequences, %zu raw APDUs in between\n",
                cmds[i][1].c_str(), u.apdus, u.locked_writes, u.foreign_inside);
  }
  EXPECT_GT(foreign, 0u) << "the raw client never got the chip during the CLI's commands";
}
#endif

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

// The same for a PKCS#11 application: a C_Sign while the broker is down fails
// cleanly with a device error, and the next C_Sign after the restart works in
// the same session, without the application doing anything special.
TEST_F(BrokerIntegration, BrokerRestartPkcs11DeviceErrorThenWorksAgain) {
  start_broker();
  provision_p11();
  Child app = p11_client("restart");
  ASSERT_TRUE(wait_for_file(dir.file("p11.ready")));
  broker->kill_hard();  // a crash: the stale socket file stays behind
  touch(dir.file("broker.down"));
  ASSERT_TRUE(wait_for_file(dir.file("gap.rv")));
  start_broker();
  touch(dir.file("broker.up"));
  EXPECT_EQ(app.wait(std::chrono::seconds(120)), 0);
  std::ifstream in(dir.file("gap.rv"));
  unsigned long rv = 0;
  in >> rv;
  // CKR_DEVICE_ERROR 0x30, CKR_DEVICE_REMOVED 0x32, CKR_TOKEN_NOT_PRESENT 0xE0
  EXPECT_TRUE(rv == 0x30 || rv == 0x32 || rv == 0xE0) << "C_Sign during the gap returned 0x" << std::hex << rv;
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

// se05xd takes the chip like every program: --port, then SE05X_PORT, then the
// file's "connection" (here a socket nobody serves).
TEST_F(BrokerIntegration, PortOptionAndEnvironmentNameTheChip) {
  std::ofstream(dir.file("se05xd.conf")) << "{\n  \"connection\": \"unix:" << dir.file("nobody.sock")
                                         << "\",\n  \"socket\": \"" << sock << "\",\n  \"socket_mode\": \"0666\"\n}\n";
  auto chip_of_broker = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"--foreground", "--config", dir.file("se05xd.conf"), "--log-level", "error"};
    args.insert(args.end(), extra.begin(), extra.end());
    broker = std::make_unique<SimProcess>(broker_binary(), args);
    EXPECT_TRUE(broker->start());
    auto ch = se05x::open_channel(conn());
    EXPECT_TRUE(ch.ok()) << ch.error().message;
    if (ch.ok()) {
      se05x::Client c(**ch);
      EXPECT_TRUE(c.select().ok()) << "the broker did not reach the simulator";
    }
    auto st = query_status(conn());
    broker->stop();
    return st.ok() ? st->chip_connection : "status: " + st.error().message;
  };
  EXPECT_EQ(chip_of_broker({"--port", "unix:" + sim_sock}), "unix:" + sim_sock);
  ::setenv("SE05X_PORT", ("unix:" + sim_sock).c_str(), 1);  // the child inherits it
  EXPECT_EQ(chip_of_broker({}), "unix:" + sim_sock);
  ::unsetenv("SE05X_PORT");
}

// The recommended Armadillo Base OS layout runs se05xd in its own container,
// i.e. its own PID namespace: SO_PEERCRED then reports pid 0 for clients in
// other containers, and a /proc/<pid> lookup of their groups cannot work. A
// client admitted only by a supplementary group must still get in.
TEST_F(BrokerIntegration, OwnPidNamespaceAdmitsBySupplementaryGroup) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root (unshare --pid, another uid for the client)";
  if (std::getenv("SX_TEST_EXEC_WRAPPER")) GTEST_SKIP() << "not under an exec wrapper";
  if (std::system("unshare --pid --fork true >/dev/null 2>&1") != 0) GTEST_SKIP() << "cannot create a PID namespace";
  std::ofstream(dir.file("se05xd.conf")) << "{\n  \"connection\": \"unix:" << sim_sock << "\",\n  \"socket\": \""
                                         << sock << "\",\n  \"socket_mode\": \"0666\",\n"
                                         << "  \"allow_uids\": [0],\n  \"allow_gids\": [4244]\n}\n";
  broker = std::make_unique<SimProcess>(
      "/usr/bin/unshare", std::vector<std::string>{"--pid", "--fork", "--kill-child", broker_binary(), "--foreground",
                                                   "--config", dir.file("se05xd.conf"), "--log-level", "warning"});
  ASSERT_TRUE(broker->start());
  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_EQ(st->clients.size(), 1u);
  EXPECT_EQ(st->clients[0].pid, 0) << "the broker should not see our pid from its own namespace";
  auto member = [&](gid_t group) {
    pid_t pid = ::fork();
    if (pid == 0) {
      const gid_t groups[] = {group};
      if (::setgroups(1, groups) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
      auto ch = se05x::open_channel(conn());
      if (!ch.ok()) ::_exit(ch.error().message.find("access denied") != std::string::npos ? 1 : 2);
      se05x::Client c(**ch);
      ::_exit(c.select().ok() ? 0 : 4);
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  };
  EXPECT_EQ(member(4244), 0) << "1 = refused, 2 = other error, 3 = setuid failed, 4 = SELECT failed";
  EXPECT_EQ(member(4245), 1) << "a client without the group must still be refused";
}

}  // namespace
}  // namespace sx::broker
