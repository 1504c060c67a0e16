// The module and the CLI open the chip through one path (device/token_open.h)
// and so must agree: the same capabilities for every simulated variant, and
// the same lock file (the module configuration's lock_file) on I2C links.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pkcs11/p11_fixture.h"
#include "support/sim_process.h"
#include "support/test_binary.h"
#include "token/mech/mechanism_table.h"

namespace sx::device {
namespace {

using p11test::fl;
using p11test::sim_path;

struct CliRun {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The CLI with the environment the test set (SE05X_PORT, SE05X_PKCS11_CONF).
CliRun run_cli(const sx::testing::TempDir& dir, const std::string& args) {
  const std::string out = dir.file("cli.out"), err = dir.file("cli.err");
  const std::string cmd = "'" + sx::test::binary_path("SX_TEST_CLI", SX_CLI_BINARY) + "' " + args + " >'" + out +
                          "' 2>'" + err + "' </dev/null";
  CliRun r;
  const int st = std::system(cmd.c_str());
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::set<CK_MECHANISM_TYPE> module_mechanisms() {
  CK_FUNCTION_LIST* f = fl();
  std::set<CK_MECHANISM_TYPE> out;
  if (f->C_Initialize(nullptr) != CKR_OK) return out;
  CK_ULONG n = 0;
  if (f->C_GetMechanismList(0, nullptr, &n) == CKR_OK) {
    std::vector<CK_MECHANISM_TYPE> v(n);
    if (f->C_GetMechanismList(0, v.data(), &n) == CKR_OK)
      out.insert(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  }
  f->C_Finalize(nullptr);
  return out;
}

// Every variant se05x-sim offers (src/sim/variant.cpp).
const char* const kVariants[] = {"SE050A", "SE050B", "SE050C", "SE050E", "SE051H"};

TEST(CliAndModule, ReportTheSameCapabilitiesForEveryVariant) {
  ASSERT_NE(fl(), nullptr) << p11test::module_path();
  for (const char* variant : kVariants) {
    SCOPED_TRACE(variant);
    sx::testing::TempDir dir;
    sx::testing::SimProcess sim(sim_path(), {"--variant", variant, "--nvm", dir.file("chip.nvm"), "--no-fsync",
                                             "--listen", "unix:" + dir.file("sim.sock")});
    ASSERT_TRUE(sim.start());
    setenv("SE05X_PORT", sim.endpoints().at(0).c_str(), 1);
    p11test::use_config(dir.file("p11.conf"), "lock_file =\nlog_level = none\n");

    const CliRun cli = run_cli(dir, "info --json");
    ASSERT_EQ(cli.rc, 0) << cli.err;
    const auto j = nlohmann::json::parse(cli.out, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("rsa") && j.contains("ec")) << cli.out;
    token::ChipCapabilities said;
    said.rsa = j["rsa"].get<bool>();
    said.ec = j["ec"].get<bool>();
    said.ecdh = said.ec;  // the FIPS configuration (no ECDH) is not visible in AppletConfig
    std::set<CK_MECHANISM_TYPE> expected;
    for (const auto* row : token::supported_mechanisms(said)) expected.insert(row->type);

    EXPECT_EQ(module_mechanisms(), expected) << "the module's mechanism list is not what the CLI's capabilities give";
  }
}

TEST(CliAndModule, TheCliWaitsForTheModulesLockFile) {
  sx::testing::TempDir dir;
  sx::testing::SimProcess bus(sim_path(), {"--nvm", dir.file("bus.nvm"), "--no-fsync", "--listen",
                                           "vi2c:" + dir.file("i2c.sock")});
  ASSERT_TRUE(bus.start());
  const std::string lock = dir.file("module.lock");
  p11test::use_config(dir.file("p11.conf"), "lock_file = " + lock + "\nlock_wait_ms = 300\n");
  unsetenv("SE05X_LOCK_FILE");
  setenv("SE05X_PORT", bus.endpoints().at(0).c_str(), 1);
  setenv("SE05X_T1_TIMING", "immediate", 1);
  const int held = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  const CliRun busy = run_cli(dir, "list");
  EXPECT_NE(busy.rc, 0) << "the CLI did not wait for the module's lock file";
  EXPECT_NE(busy.err.find(lock), std::string::npos) << busy.err;
  ::close(held);
  const CliRun free_again = run_cli(dir, "list");
  EXPECT_EQ(free_again.rc, 0) << free_again.err;
  unsetenv("SE05X_T1_TIMING");
}

}  // namespace
}  // namespace sx::device
