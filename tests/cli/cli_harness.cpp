#include "cli_harness.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/exec_wrapper.h"
#include "support/test_binary.h"

namespace sx::cli::test {

std::string cli_path() { return sx::test::binary_path("SX_TEST_CLI", SX_CLI_BINARY); }
std::string cli_command() { return sx::test::shell_command(cli_path()); }

nlohmann::json CliRun::json() const {
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << out << err;
  return j;
}

int CliRun::err_lines() const {
  int n = 0;
  for (char c : err) n += c == '\n';
  return n;
}

void CliTest::SetUp() {
  dir_ = std::make_unique<sx::testing::TempDir>();
  restart_sim(std::nullopt);
}

void CliTest::restart_sim(std::optional<uint64_t> power_cut_at) {
  sim_.reset();
  std::vector<std::string> args{"--nvm", file("nvm.bin"), "--listen", port()};
  if (power_cut_at) {
    args.push_back("--power-cut-at");
    args.push_back(std::to_string(*power_cut_at));
  }
  sim_ = std::make_unique<sx::testing::SimProcess>(sx::testing::sim_binary(), args);
  ASSERT_TRUE(sim_->start());
}

void CliTest::TearDown() {
  sim_.reset();
  dir_.reset();
}

std::string CliTest::read(const std::string& name) const {
  std::ifstream f(file(name), std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void CliTest::write(const std::string& name, const std::string& data) const {
  std::ofstream f(file(name), std::ios::binary);
  f << data;
}

CliRun CliTest::se05x(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
  CliRun r;
  const std::string out = file("stdout"), err = file("stderr");
  const std::string conf = file("harness-p11.conf");
  if (!pin_storage_.empty()) write("harness-p11.conf", conf_lines());
  // Under qemu-user the child goes through SX_TEST_EXEC_WRAPPER (see exec_wrapper.h).
  std::vector<std::string> argv_s = sx::test::child_argv(cli_path(), args);
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("SE05X_PORT", port().c_str(), 1);
    setenv("SE05X_LOCK_FILE", file("lock").c_str(), 1);
    setenv("SE05X_T1_TIMING", "immediate", 1);
    for (const char* v : {"SE05X_PIN", "SE05X_SO_PIN", "SE05X_NEW_PIN", "SE05X_KEY_PASSWORD", "SE05X_PKCS11_CONF"})
      unsetenv(v);
    if (!pin_storage_.empty()) setenv("SE05X_PKCS11_CONF", conf.c_str(), 1);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    const int in = open("/dev/null", O_RDONLY);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || o < 0 || e < 0) _exit(126);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    sx::test::exec_child(argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read("stdout");
  r.err = read("stderr");
  return r;
}

nlohmann::json CliTest::snapshot() {
  const CliRun r = se05x({"list", "--json"});
  EXPECT_EQ(r.rc, 0) << r.err;
  return r.json();
}

bool CliTest::sh(const std::string& cmd) {
  const std::string full = "cd '" + dir_->path() + "' && (" + cmd + ") >sh.log 2>&1";
  return std::system(full.c_str()) == 0;
}

void CliTest::sign_csr(const std::string& csr, const std::string& out) {
  if (!ca_) {
    ASSERT_TRUE(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
                   "-out ca.pem -subj /CN=Test-CA -days 30"))
        << read("sh.log");
    ca_ = true;
  }
  ASSERT_TRUE(sh("openssl req -in " + csr + " -verify -noout")) << read("sh.log");
  ASSERT_TRUE(sh("openssl x509 -req -in " + csr + " -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out " + out))
      << read("sh.log");
}

void CliTest::make_key_cert(const std::string& name) {
  ASSERT_TRUE(sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name +
                 ".key.pem -out " + name + ".crt.pem -subj /CN=" + name + " -days 30"))
      << read("sh.log");
}

void CliTest::init_token() {
  CliRun r = se05x({"--json", "token", "init", "--label", "gg-token"}, {{"SE05X_SO_PIN", "87654321"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["token_label"], "gg-token");
  r = se05x({"--json", "token", "init-pin"}, {{"SE05X_SO_PIN", "87654321"}, {"SE05X_NEW_PIN", "1234"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["user_pin_set"].get<bool>());
}

}  // namespace sx::cli::test
