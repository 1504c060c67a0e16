// Runs the se05x program against a private se05x-sim child; a local CA and
// test keys come from the `openssl` command.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/sim_process.h"

namespace sx::cli::test {

// The se05x program under test: the build tree's, unless SX_TEST_CLI names another.
std::string cli_path();
// The same as a shell command word (quoted, and prefixed by SX_TEST_EXEC_WRAPPER
// when set), for tests that start se05x through sh or script(1).
std::string cli_command();

struct CliRun {
  int rc = -1;
  std::string out, err;
  nlohmann::json json() const;  // stdout parsed (fails the test if not JSON)
  int err_lines() const;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // (Re)starts the simulator on nvm.bin, with a power cut at the n-th NVM write if given.
  void restart_sim(std::optional<uint64_t> power_cut_at);

  // Runs se05x with the simulator as port; env entries override the environment.
  CliRun se05x(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});
  // `list --json` (the chip's state, for before/after comparisons).
  nlohmann::json snapshot();
  // Runs a shell command in the temp dir; true on exit 0.
  bool sh(const std::string& cmd);
  std::string file(const std::string& name) const { return dir_->file(name); }
  std::string read(const std::string& name) const;
  void write(const std::string& name, const std::string& data) const;
  // CA (ca.key/ca.pem) made on first use; signs `csr` into `out` (PEM).
  void sign_csr(const std::string& csr, const std::string& out);
  // A self-signed EC P-256 key (NAME.key.pem) and certificate (NAME.crt.pem).
  void make_key_cert(const std::string& name);
  // token init + init-pin with SO PIN "87654321" and user PIN "1234".
  void init_token();
  std::string port() const { return "unix:" + file("sim.sock"); }
  // The module configuration's `pin_storage` for every se05x run ("host",
  // "chip"; empty: the built-in default, none written). Tests about one kind of
  // token set it, so that they hold whatever the default is.
  void use_pin_storage(const std::string& mode) { pin_storage_ = mode; }
  // The configuration lines every run gets (a test writing its own
  // SE05X_PKCS11_CONF file starts it with these).
  std::string conf_lines() const { return pin_storage_.empty() ? "" : "pin_storage = " + pin_storage_ + "\n"; }

  std::unique_ptr<sx::testing::TempDir> dir_;
  std::unique_ptr<sx::testing::SimProcess> sim_;
  bool ca_ = false;
  std::string pin_storage_;
};

// The environment that gives se05x the user PIN set by init_token().
inline const std::map<std::string, std::string> kPin{{"SE05X_PIN", "1234"}};

// The error contract: non-zero code, exactly one line on stderr.
#define EXPECT_CLI_ERROR(run, code)                                 \
  do {                                                              \
    const auto& r_ = (run);                                         \
    EXPECT_EQ(r_.rc, code) << r_.err << r_.out;                     \
    EXPECT_EQ(r_.err_lines(), 1) << r_.err;                         \
    EXPECT_EQ(r_.err.rfind("se05x: error: ", 0), 0u) << r_.err;     \
  } while (0)

}  // namespace sx::cli::test
