// Issue 12's load case (docs/chip-pin.md §4, §6): se05xd as a process in front of
// se05x-sim, and at the same time three PKCS#11 processes on a chip-PIN token (the
// built module, each logging in with the user PIN: one virtual session each on the
// broker's one chip session of the user's UserID) plus one NXP-style raw client built
// only on src/link, in its own chip session of its own UserID. 500 signatures each,
// every one verified with OpenSSL; the broker never holds more than the chip's two
// sessions (docs/se05x-protocol.md §4.9.6).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "broker/status.h"
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

// The raw client's own UserID and key, outside the module's ID range (token/id_range.h).
constexpr uint32_t kRawAuth = 0x7DA0C001, kRawKey = 0x20C0C001;
const Bytes kRawValue = {'r', 'a', 'w', '-', 'p', 'i', 'n', '1'};
// The token's user UserID (docs/chip-pin.md §1).
const std::string kUserAuth = "7B5EFFF9";
constexpr int kSigs = 500;

// A child process; exit status by poll, so the test can watch the broker meanwhile.
struct LoadChild {
  pid_t pid = -1;
  int status = -1;  // exit status once ended; -1 while running or killed at the bound
  static LoadChild spawn(const std::vector<std::string>& program_args, const std::map<std::string, std::string>& env) {
    std::vector<std::string> args =
        sx::test::child_argv(program_args.at(0), {program_args.begin() + 1, program_args.end()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    LoadChild c;
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
  bool poll() {  // true once it has ended
    if (pid <= 0) return true;
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) != pid) return false;
    pid = -1;
    status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }
  void kill9() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    pid = -1;
  }
};

class BrokerChipPinLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_sock = dir.file("sim.sock");
    sock = dir.file("se05xd.sock");
    sx::testing::use_test_rsa_factory_key();
    ::unsetenv("SE05X_PORT");  // se05xd would take it over its configuration's "connection"
    sim = sx::testing::start_sim_in(dir, "se050.nvm");
    ASSERT_NE(sim, nullptr);
    // Chip-PIN token (set explicitly: the default may be either). No lock file: the broker serialises.
    std::ofstream(dir.file("p11.conf")) << "lock_file =\nlog_level = warn\npin_storage = chip\n";
    std::ofstream(dir.file("se05xd.conf")) << "{\n  \"connection\": \"unix:" << sim_sock << "\",\n  \"socket\": \""
                                           << sock << "\",\n  \"socket_mode\": \"0600\"\n}\n";
    broker = std::make_unique<SimProcess>(sx::test::binary_path("SX_TEST_BROKER", SX_BROKER_BINARY),
                                          std::vector<std::string>{"--foreground", "--config",
                                                                   dir.file("se05xd.conf"), "--log-level", "warning"});
    ASSERT_TRUE(broker->start());
  }
  void TearDown() override {
    for (auto& k : kids) k.kill9();
  }
  std::string conn() const { return "unix:" + sock; }

  LoadChild p11_client(const std::string& mode, int count = 0) {
    return LoadChild::spawn({sx::test::binary_path("SX_TEST_BROKER_P11_CLIENT", SX_P11_CLIENT_BINARY), module_path(),
                             mode, dir.path(), std::to_string(count)},
                            {{"SE05X_PKCS11_CONF", dir.file("p11.conf")},
                             {"SE05X_BROKER_SOCKET", sock},
                             {"SE05X_PORT", ""},
                             {"EX_SSS_BOOT_SSS_PORT", ""}});
  }
  static std::string module_path() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }

  // The raw client's UserID and a P-256 key whose policy lets only a session of that
  // UserID sign (docs/se05x-protocol.md §4.9.5), made through the broker; its public key.
  std::string provision_raw() {
    auto ch = se05x::open_channel(conn());
    EXPECT_TRUE(ch.ok()) << ch.error().message;
    if (!ch.ok()) return {};
    se05x::Client c(**ch);
    EXPECT_TRUE(c.select().ok());
    auto w = c.write_user_id(kRawAuth, kRawValue, 10, hex("08 00000000 00140000"));
    EXPECT_TRUE(w.ok()) << w.error().message;
    EXPECT_TRUE(c.ensure_curve(se05x::Curve::NistP256).ok());
    Bytes policy = hex("08");
    put_u32(policy, kRawAuth);
    append(policy, hex("18240000 08 00000000 00200000"));  // SIGN|VERIFY|READ|DELETE; READ for everybody
    auto g = c.generate_ec_key(kRawKey, se05x::Curve::NistP256, policy);
    EXPECT_TRUE(g.ok()) << g.error().message;
    // Without a session the chip refuses the key: the policy really binds it.
    Bytes sign = hex("80030C09 2B 4104");
    put_u32(sign, kRawKey);
    append(sign, hex("420121 4320"));
    append(sign, Bytes(32, 0x5A));
    auto r = (*ch)->transceive(sign);
    EXPECT_TRUE(r.ok() && r->size() == 2 && get_u16(*r) == 0x6986) << (r.ok() ? to_hex(*r) : r.error().message);
    auto pub = c.read_object(kRawKey);
    EXPECT_TRUE(pub.ok());
    return pub.ok() ? to_hex(*pub) : std::string();
  }

  TempDir dir;
  std::string sim_sock, sock;
  std::unique_ptr<SimProcess> sim, broker;
  std::vector<LoadChild> kids;
};

struct Watch {
  size_t max_chip_sessions = 0, max_user_virtual = 0, polls = 0;
  void look(const BrokerStatus& st) {
    ++polls;
    size_t open = 0;
    for (const auto& a : st.auth_sessions) {
      open += a.chip_session ? 1 : 0;
      if (a.auth_object == kUserAuth) max_user_virtual = std::max<size_t>(max_user_virtual, a.virtual_sessions);
    }
    max_chip_sessions = std::max(max_chip_sessions, open);
  }
};

TEST_F(BrokerChipPinLoad, ThreePkcs11ProcessesAndARawSessionClient500SignaturesEach) {
  kids.push_back(p11_client("provision"));
  const auto prov_bound = Clock::now() + std::chrono::seconds(120);  // a hang detector
  while (!kids.back().poll() && Clock::now() < prov_bound) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(kids.back().status, 0) << "chip-PIN token provisioning through the broker";
  kids.clear();
  const std::string raw_pub = provision_raw();
  ASSERT_FALSE(raw_pub.empty());
  char auth[16], key[16];
  std::snprintf(auth, sizeof auth, "%08X", kRawAuth);
  std::snprintf(key, sizeof key, "%08X", kRawKey);

  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) kids.push_back(p11_client("sign", kSigs));
  kids.push_back(LoadChild::spawn({sx::test::binary_path("SX_TEST_BROKER_RAW_CLIENT", SX_RAW_CLIENT_BINARY), conn(),
                                   auth, key, to_hex(kRawValue), raw_pub, std::to_string(kSigs)},
                                  {}));
  Watch watch;
  const auto bound = t0 + std::chrono::seconds(300);  // a hang detector, not a timing assertion
  for (;;) {
    bool all = true;
    for (auto& k : kids) all = k.poll() && all;
    if (all || Clock::now() > bound) break;
    if (auto st = query_status(conn()); st.ok()) watch.look(*st);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  for (size_t i = 0; i < kids.size(); ++i) {
    kids[i].kill9();
    EXPECT_EQ(kids[i].status, 0) << (i < 3 ? "PKCS#11 process " : "raw client ") << i;
  }
  std::printf("chip-PIN load: 4 x %d signatures in %.2f s = %.0f signatures/s; max chip sessions %zu, "
              "max virtual sessions on the user's UserID %zu (%zu status polls)\n",
              kSigs, secs, 4 * kSigs / secs, watch.max_chip_sessions, watch.max_user_virtual, watch.polls);
  RecordProperty("elapsed_s", std::to_string(secs));
  RecordProperty("signatures_per_s", std::to_string(4 * kSigs / secs));
  EXPECT_GT(watch.polls, 0u);
  EXPECT_LE(watch.max_chip_sessions, 2u);  // the chip's limit; the broker multiplexes the rest

  auto st = query_status(conn());
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->failed_apdus, 0u);
  EXPECT_GE(st->apdus, 4u * kSigs);
  EXPECT_EQ(st->cut_off, 0u);
  EXPECT_EQ(st->session_resets, 0u);
  // Every client closed or left: the broker closed its chip sessions again.
  for (int i = 0; i < 200; ++i) {
    st = query_status(conn());
    ASSERT_TRUE(st.ok());
    if (std::none_of(st->auth_sessions.begin(), st->auth_sessions.end(), [](const auto& a) { return a.chip_session; }))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (const auto& a : st->auth_sessions) EXPECT_FALSE(a.chip_session) << a.auth_object;
  EXPECT_GE(st->sessions_closed, 2u);
}

}  // namespace
}  // namespace sx::broker
