// Issue 17 (part B): what the se05x CLI tells an Armadillo user about PIN
// states, how a locked SO PIN is recovered, certificate renewal, doctor with
// the chip down, factory objects, and the facts scripts and fleets need.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

const nlohmann::json* state_find_object(const nlohmann::json& list, const std::string& chip_id, const std::string& cls) {
  for (const auto& o : list["objects"])
    if (o["chip_id"] == chip_id && o["class"] == cls) return &o;
  return nullptr;
}

bool state_has_label(const nlohmann::json& list, const std::string& label) {
  for (const auto& o : list["objects"])
    if (o["label"] == label) return true;
  return false;
}

std::string state_module() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }

// Signs the public key of `csr_pem` into a certificate valid from now+from_days
// to now+to_days (negative: in the past), written to `out_pem`. Made here
// because `openssl req/x509` refuse dates in the past.
bool state_cert_with_dates(const std::string& csr_pem, const std::string& out_pem, long from_days, long to_days) {
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(csr_pem.c_str(), "r"), std::fclose);
  if (!in) return false;
  std::unique_ptr<X509_REQ, void (*)(X509_REQ*)> req(PEM_read_X509_REQ(in.get(), nullptr, nullptr, nullptr), X509_REQ_free);
  if (!req) return false;
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> ca(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, void (*)(X509*)> x(X509_new(), X509_free);
  if (!ca || !x) return false;
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7);
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("dated"), -1, -1, 0);
  X509_set_subject_name(x.get(), name);
  X509_set_issuer_name(x.get(), name);
  X509_NAME_free(name);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), to_days * 86400);
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (pub == nullptr || X509_set_pubkey(x.get(), pub) != 1) return false;
  if (X509_sign(x.get(), ca.get(), EVP_sha256()) <= 0) return false;
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(out_pem.c_str(), "w"), std::fclose);
  return out && PEM_write_X509(out.get(), x.get()) == 1;
}

using CliStateTest = CliTest;

// Item 2: every wrong user PIN says how many tries are left; the one before
// the last warns and names the recovery.
TEST_F(CliStateTest, WrongUserPinCountsDownAndWarnsBeforeTheLock) {
  init_token();
  const std::map<std::string, std::string> bad{{"SE05X_PIN", "0000"}};
  for (int i = 1; i <= 8; ++i) {
    const CliRun r = se05x({"keygen", "--label", "k"}, bad);
    EXPECT_CLI_ERROR(r, 5);
    EXPECT_NE(r.err.find("wrong user PIN (" + std::to_string(10 - i) + " tries left)"), std::string::npos) << r.err;
  }
  CliRun r = se05x({"keygen", "--label", "k"}, bad);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("1 try left: the next wrong PIN locks it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token init-pin"), std::string::npos) << r.err;
  r = se05x({"keygen", "--label", "k"}, bad);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("user PIN is locked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token init-pin"), std::string::npos) << r.err;
  // The recovery named works.
  r = se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "87654321"}, {"SE05X_NEW_PIN", "4321"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(se05x({"keygen", "--label", "k"}, {{"SE05X_PIN", "4321"}}).rc, 0);
}

// Item 1: a locked SO PIN is no dead end: `token reset` re-initialises the
// token and destroys the module's keys (nobody may use them without the SO);
// factory objects stay.
TEST_F(CliStateTest, LockedSoPinIsRecoveredByResetThatDestroysTheModulesKeys) {
  // A host-PIN token: the reset with a new SO PIN is its way out (a chip-PIN
  // token's is `token reset --factory`, CliChipPin.LockedSoPinIsRecoveredByFactoryReset).
  use_pin_storage("host");
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "mine"}, kPin).rc, 0);
  const std::map<std::string, std::string> bad{{"SE05X_SO_PIN", "00000000"}, {"SE05X_NEW_PIN", "9999"}};
  for (int i = 1; i <= 8; ++i) {
    const CliRun r = se05x({"token", "init-pin"}, bad);
    EXPECT_CLI_ERROR(r, 5);
    EXPECT_NE(r.err.find("wrong SO PIN (" + std::to_string(10 - i) + " tries left)"), std::string::npos) << r.err;
  }
  CliRun r = se05x({"token", "init-pin"}, bad);
  EXPECT_NE(r.err.find("1 try left: the next wrong PIN locks it"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token reset"), std::string::npos) << r.err;
  r = se05x({"token", "init-pin"}, bad);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("SO PIN is locked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token reset"), std::string::npos) << r.err;
  // The text of info shows the SO PIN state.
  r = se05x({"info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("SO PIN:        LOCKED"), std::string::npos) << r.out;
  // doctor names the reset, not init-pin (which needs the locked SO PIN).
  write("p11.conf", conf_lines() + "lock_file = " + file("lock") + "\n");
  r = se05x({"--json", "doctor", "--label", "mine", "--module", state_module()}, {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_EQ(r.rc, 10) << r.err;
  {
    const auto doc = r.json();
    bool so_check = false;
    for (const auto& c : doc["checks"])
      if (c["check"] == "SO PIN") {
        so_check = true;
        EXPECT_EQ(c["status"], "fail");
        EXPECT_NE(c["fix"].get<std::string>().find("se05x token reset"), std::string::npos) << c.dump();
      }
    EXPECT_TRUE(so_check) << r.out;
  }
  // init names the way out too.
  r = se05x({"token", "init", "--label", "new"}, {{"SE05X_SO_PIN", "87654321"}});
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("se05x token reset"), std::string::npos) << r.err;
  // Without --yes nothing happens.
  r = se05x({"token", "reset", "--label", "new"}, {{"SE05X_SO_PIN", "11112222"}});
  EXPECT_CLI_ERROR(r, 11);
  EXPECT_TRUE(state_has_label(snapshot(), "mine"));
  r = se05x({"--json", "token", "reset", "--yes", "--label", "new"}, {{"SE05X_SO_PIN", "11112222"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_GE(r.json()["destroyed_objects"].get<int>(), 1);
  const auto list = snapshot();
  EXPECT_FALSE(state_has_label(list, "mine")) << list.dump();
  EXPECT_NE(state_find_object(list, "0xF0000100", "private key"), nullptr) << list.dump();
  auto info = se05x({"--json", "info"}).json();
  EXPECT_EQ(info["token"]["label"], "new");
  EXPECT_FALSE(info["token"]["so_pin_locked"].get<bool>());
  EXPECT_FALSE(info["token"]["user_pin_set"].get<bool>());
  // The new SO PIN sets a new user PIN; the old one is gone.
  EXPECT_EQ(se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "87654321"}, {"SE05X_NEW_PIN", "1234"}}).rc, 5);
  r = se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "11112222"}, {"SE05X_NEW_PIN", "1234"}});
  EXPECT_EQ(r.rc, 0) << r.err;
}

// Item 8: the no-terminal error names the file option and the variable.
TEST_F(CliStateTest, NoTerminalErrorNamesTheOptionAndTheVariable) {
  init_token();
  CliRun r = se05x({"token", "init-pin"}, {{"SE05X_NEW_PIN", "9999"}});
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("SO PIN needed: no terminal to ask (use --so-pin-file FILE or SE05X_SO_PIN)"), std::string::npos)
      << r.err;
  r = se05x({"keygen", "--label", "k"});
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("user PIN needed: no terminal to ask (use --pin-file FILE or SE05X_PIN)"), std::string::npos)
      << r.err;
}

// Item 8: info shows the chip's unique ID (text and JSON) and the serial the
// module reports in CK_TOKEN_INFO (its last 8 bytes).
TEST_F(CliStateTest, InfoShowsTheChipsUniqueId) {
  CliRun r = se05x({"--json", "info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  ASSERT_TRUE(j.contains("unique_id")) << r.out;
  const std::string uid = j["unique_id"];
  EXPECT_EQ(uid.size(), 36u) << uid;  // 18 bytes
  ASSERT_TRUE(j.contains("serial")) << r.out;
  const std::string serial = j["serial"];
  EXPECT_EQ(serial.size(), 16u);
  std::string tail = uid.substr(uid.size() - 16);
  for (char& c : tail) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(serial, tail);
  r = se05x({"info"});
  EXPECT_NE(r.out.find("Unique ID:     " + uid), std::string::npos) << r.out;
}

// Item 4: renewal with --replace; the refusal names it and the exact delete;
// dated certificates are imported with a warning.
TEST_F(CliStateTest, ImportCertReplaceRenewsAndWarnsAboutDates) {
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "dev", "--csr", file("dev.csr"), "--subject", "CN=dev"}, kPin).rc, 0);
  sign_csr(file("dev.csr"), file("one.pem"));
  sign_csr(file("dev.csr"), file("two.pem"));
  ASSERT_EQ(se05x({"import-cert", "--label", "dev", file("one.pem")}, kPin).rc, 0);
  auto before = snapshot();
  std::string old_chip;
  for (const auto& o : before["objects"])
    if (o["label"] == "dev" && o["class"] == "certificate") old_chip = o["chip_id"];
  ASSERT_FALSE(old_chip.empty()) << before.dump();
  CliRun r = se05x({"import-cert", "--label", "dev", file("two.pem")}, kPin);
  EXPECT_CLI_ERROR(r, 7);
  EXPECT_NE(r.err.find("--replace"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x delete --object " + old_chip + " --yes"), std::string::npos) << r.err;
  r = se05x({"--json", "import-cert", "--replace", "--label", "dev", file("two.pem")}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["replaced_chip_id"], old_chip);
  const auto after = snapshot();
  int certs = 0;
  for (const auto& o : after["objects"])
    if (o["label"] == "dev" && o["class"] == "certificate") {
      ++certs;
      EXPECT_NE(o["chip_id"], old_chip);
    }
  EXPECT_EQ(certs, 1) << after.dump();
  EXPECT_TRUE(state_has_label(after, "dev"));
  // The key is still there and paired.
  EXPECT_NE(state_find_object(after, after["groups"][0]["private_key"], "private key"), nullptr);
  // Expired and not-yet-valid: imported with a warning line.
  ASSERT_TRUE(state_cert_with_dates(file("dev.csr"), file("old.pem"), -20, -10));
  r = se05x({"import-cert", "--replace", "--label", "dev", file("old.pem")}, kPin);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: the certificate expired"), std::string::npos) << r.err;
  ASSERT_TRUE(state_cert_with_dates(file("dev.csr"), file("future.pem"), 10, 20));
  r = se05x({"import-cert", "--replace", "--label", "dev", file("future.pem")}, kPin);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("warning: the certificate is not valid before"), std::string::npos) << r.err;
}

// Item 3: with the chip down, doctor says the chip is unreachable (not that
// the configuration differs), and the module's log does not interleave.
TEST_F(CliStateTest, DoctorWithTheChipDownSaysUnreachable) {
  init_token();
  sim_->stop();
  // The module logs to stderr at debug level: doctor must keep that out of its report.
  write("p11.conf", "lock_file = " + file("lock") + "\nlog_level = debug\nlog_target = stderr\n");
  const CliRun r = se05x({"doctor", "--label", "gg-token", "--module", state_module()},
                         {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_NE(r.rc, 0);
  EXPECT_EQ(r.out.find("connection differs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unreachable"), std::string::npos) << r.out;
  // Nothing but doctor's own report (and at most its one error line) on stderr.
  EXPECT_LE(r.err_lines(), 1) << r.err;
  EXPECT_EQ(r.err.find("se05x-pkcs11"), std::string::npos) << r.err;
}

// se05xd beside the simulator in the build tree (test_cli does not build it;
// skipped when absent), or SX_TEST_BROKER.
std::string state_broker_binary() {
  if (const char* v = std::getenv("SX_TEST_BROKER"); v != nullptr && *v != '\0') return v;
  std::string sim = SX_SIM_BINARY;
  const auto cut = sim.rfind("/src/");
  return cut == std::string::npos ? "" : sim.substr(0, cut) + "/src/broker/se05xd";
}

// Item 3: through se05xd with the chip down, info still shows the broker's
// section (first), then fails with exit code 4.
TEST_F(CliStateTest, InfoThroughTheBrokerShowsItWhenTheChipIsDown) {
  const std::string broker = state_broker_binary();
  if (broker.empty() || ::access(broker.c_str(), X_OK) != 0) GTEST_SKIP() << "no se05xd at '" << broker << "'";
  write("se05xd.conf", "{ \"connection\": \"" + port() + "\", \"socket\": \"" + file("se05xd.sock") + "\" }\n");
  sx::testing::SimProcess b(broker, {"--foreground", "--config", file("se05xd.conf"), "--log-level", "error"});
  ASSERT_TRUE(b.start());
  sim_->stop();
  const std::map<std::string, std::string> via{{"SE05X_PORT", "unix:" + file("se05xd.sock")}};
  CliRun r = se05x({"info"}, via);
  EXPECT_CLI_ERROR(r, 4);
  EXPECT_EQ(r.out.find("Connection:"), 0u) << r.out;
  EXPECT_NE(r.out.find("Broker:        se05xd"), std::string::npos) << r.out;
  r = se05x({"--json", "info"}, via);
  EXPECT_EQ(r.rc, 4) << r.err;
  const auto j = r.json();
  EXPECT_TRUE(j.contains("broker")) << r.out;
  EXPECT_EQ(j["exit_code"], 4);
}

// Item 7: factory objects are not "adopted" until adopted; list pairs the
// factory key with its certificate and prints the adopt command.
TEST_F(CliStateTest, ListPairsFactoryKeysWithTheirCertificates) {
  CliRun r = se05x({"list"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("factory adopted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("factory pair: key 0xF0000100 cert 0xF0000101"), std::string::npos) << r.out;
  EXPECT_EQ(snapshot()["objects"][0].count("adopted_by_user"), 1u);
  EXPECT_NE(r.out.find("se05x adopt --key 0xF0000100 --cert 0xF0000101 --label"), std::string::npos) << r.out;
  init_token();
  ASSERT_EQ(se05x({"adopt", "--key", "0xF0000100", "--cert", "0xF0000101", "--label", "fac"}, kPin).rc, 0) ;
  r = se05x({"list"});
  EXPECT_NE(r.out.find("factory adopted"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("se05x adopt --key 0xF0000100"), std::string::npos) << r.out;
}

// Power cuts at every NVM write of `import-cert --replace` and `token reset`:
// the chip back on (a new simulator from the NVM file) shows the old or the
// new state, never a mix, and from the old state the command succeeds again.
enum class StateSeen { Old, New, Mixed };

class CliStateCut : public CliTest {
 protected:

  void state_cut_everywhere(const std::vector<std::string>& cmd, const std::map<std::string, std::string>& env,
                            const std::function<StateSeen()>& classify) {
    ASSERT_EQ(classify(), StateSeen::Old);
    sim_.reset();
    std::filesystem::copy_file(file("nvm.bin"), file("base.nvm"), std::filesystem::copy_options::overwrite_existing);
    int cuts = 0;
    for (uint64_t n = 1; n <= 150; ++n) {
      SCOPED_TRACE("power cut at NVM write " + std::to_string(n));
      std::filesystem::copy_file(file("base.nvm"), file("nvm.bin"), std::filesystem::copy_options::overwrite_existing);
      restart_sim(n);
      if (HasFatalFailure()) return;
      const CliRun r = se05x(cmd, env);
      restart_sim(std::nullopt);
      if (HasFatalFailure()) return;
      const StateSeen seen = classify();
      if (r.rc == 0) {
        EXPECT_EQ(seen, StateSeen::New) << r.err;
        EXPECT_GT(cuts, 0);
        return;
      }
      ++cuts;
      ASSERT_NE(seen, StateSeen::Mixed) << "half-done after: " << r.err << snapshot().dump();
      if (seen == StateSeen::Old) {
        const CliRun again = se05x(cmd, env);
        ASSERT_EQ(again.rc, 0) << "retry: " << again.err;
        ASSERT_EQ(classify(), StateSeen::New);
      }
    }
    FAIL() << "the command never completed";
  }
};

TEST_F(CliStateCut, ReplaceCertificateSurvivesAPowerCutAtEveryWrite) {
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "dev", "--csr", file("dev.csr"), "--subject", "CN=dev"}, kPin).rc, 0);
  sign_csr(file("dev.csr"), file("one.pem"));
  sign_csr(file("dev.csr"), file("two.pem"));
  ASSERT_EQ(se05x({"import-cert", "--label", "dev", file("one.pem")}, kPin).rc, 0);
  std::string old_chip;
  const auto before = snapshot();  // kept alive: a range-for over a temporary's member dangles
  for (const auto& o : before["objects"])
    if (o["label"] == "dev" && o["class"] == "certificate") old_chip = o["chip_id"];
  ASSERT_FALSE(old_chip.empty());
  // Exactly one certificate and the key under "dev", always.
  state_cut_everywhere({"import-cert", "--replace", "--label", "dev", file("two.pem")}, kPin, [&] {
    int keys = 0;
    std::vector<std::string> certs;
    const auto list = snapshot();
    for (const auto& o : list["objects"]) {
      if (o["label"] != "dev") continue;
      keys += o["class"] == "private key";
      if (o["class"] == "certificate") certs.push_back(o["chip_id"]);
    }
    if (keys != 1 || certs.size() != 1) return StateSeen::Mixed;
    return certs[0] == old_chip ? StateSeen::Old : StateSeen::New;
  });
}

TEST_F(CliStateCut, TokenResetSurvivesAPowerCutAtEveryWriteAndNeverKeepsKeysUnderANewPin) {
  use_pin_storage("host");  // the host-PIN reset (chip-PIN tokens: FactoryReset… below)
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "mine"}, kPin).rc, 0);
  make_key_cert("k");
  ASSERT_EQ(se05x({"import", "--label", "imp", "--key", file("k.key.pem"), "--cert", file("k.crt.pem")}, kPin).rc, 0);
  // Old: the old token (any of its keys may be gone already: fewer keys under
  // the old PINs is safe). New: the new label and none of the keys. A new
  // label over an old key would be the take-over the reset must not allow.
  state_cut_everywhere({"token", "reset", "--yes", "--label", "new"}, {{"SE05X_SO_PIN", "11112222"}}, [&] {
    const auto list = snapshot();
    const bool keys = state_has_label(list, "mine") || state_has_label(list, "imp");
    const std::string label = se05x({"--json", "info"}).json()["token"]["label"];
    if (label == "new") return keys ? StateSeen::Mixed : StateSeen::New;
    return label == "gg-token" ? StateSeen::Old : StateSeen::Mixed;
  });
  EXPECT_EQ(se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "11112222"}, {"SE05X_NEW_PIN", "1234"}}).rc, 0);
}

// `token reset --factory` (the chip's DeleteAll): a cut leaves the old token,
// locked SO PIN, keys and all, or nothing but the factory objects.
TEST_F(CliStateCut, FactoryResetSurvivesAPowerCutAtEveryWrite) {
  use_pin_storage("chip");
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "mine"}, kPin).rc, 0);
  state_cut_everywhere({"token", "reset", "--factory", "--yes"}, {}, [&] {
    const auto list = snapshot();
    const bool mine = state_has_label(list, "mine");
    const auto info = se05x({"--json", "info"}).json();
    const bool init = info["token"]["initialized"].get<bool>();
    if (mine && init) return StateSeen::Old;
    if (mine || init) return StateSeen::Mixed;
    for (const auto& o : list["objects"])
      if (o["chip_id"].get<std::string>().rfind("0xF0", 0) != 0) return StateSeen::Mixed;
    return StateSeen::New;
  });
  init_token();
  EXPECT_EQ(se05x({"keygen", "--label", "again"}, kPin).rc, 0);
}

}  // namespace
}  // namespace sx::cli::test
