// Every se05x command against a simulated chip: the happy paths, JSON parsed.
#include <sys/stat.h>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

const nlohmann::json* find_object(const nlohmann::json& list, const std::string& chip_id, const std::string& cls) {
  for (const auto& o : list["objects"])
    if (o["chip_id"] == chip_id && o["class"] == cls) return &o;
  return nullptr;
}

// The PKCS#11 module doctor loads: the built one (or SX_TEST_MODULE's).
std::string module() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }

std::string check_status(const nlohmann::json& doctor, const std::string& check) {
  for (const auto& c : doctor["checks"])
    if (c["check"] == check) return c["status"];
  return "(absent)";
}

const nlohmann::json* find_group(const nlohmann::json& list, const std::string& label) {
  for (const auto& g : list["groups"])
    if (g["label"] == label) return &g;
  return nullptr;
}

TEST_F(CliTest, InfoReportsAppletAndToken) {
  const CliRun r = se05x({"--json", "info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  EXPECT_EQ(j["applet_version"], "3.1.0");
  EXPECT_EQ(j["connection"], port());
  EXPECT_TRUE(j["rsa"].get<bool>());
  EXPECT_GT(j["free_persistent_bytes"].get<uint32_t>(), 1000u);
  EXPECT_FALSE(j["token"]["initialized"].get<bool>());
  EXPECT_EQ(j["objects"].get<int>(), 6);
  const CliRun t = se05x({"info"});
  EXPECT_NE(t.out.find("Applet:        3.1.0"), std::string::npos) << t.out;
}

TEST_F(CliTest, ListShowsFactoryObjectsAndPairs) {
  const auto j = snapshot();
  const auto* k = find_object(j, "0xF0000100", "private key");
  ASSERT_NE(k, nullptr) << j.dump();
  EXPECT_TRUE((*k)["factory"].get<bool>());
  EXPECT_EQ((*k)["label"], "sss:F0000100");
  EXPECT_EQ((*k)["key_type"], "ec:p256");
  const auto* c = find_object(j, "0xF0000101", "certificate");
  ASSERT_NE(c, nullptr);
  EXPECT_GT((*c)["bytes"].get<int>(), 100);
  const CliRun text = se05x({"list"});
  EXPECT_NE(text.out.find("factory"), std::string::npos);
}

TEST_F(CliTest, TokenInitPinsAndLogin) {
  init_token();
  auto info = se05x({"--json", "info"}).json();
  EXPECT_EQ(info["token"]["label"], "gg-token");
  EXPECT_TRUE(info["token"]["user_pin_set"].get<bool>());
  // set-pin needs the old PIN; the new one works afterwards, the old one not.
  CliRun r = se05x({"--json", "token", "set-pin"}, {{"SE05X_PIN", "1234"}, {"SE05X_NEW_PIN", "5678"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["user_pin_set"].get<bool>());
  write("pin", "5678\n");
  r = se05x({"--pin-file", file("pin"), "keygen", "--label", "a"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_CLI_ERROR(se05x({"keygen", "--label", "b"}, kPin), 5);
  // Re-init needs the SO PIN and keeps the objects.
  write("so", "87654321\n");
  r = se05x({"--so-pin-file", file("so"), "--json", "token", "init", "--label", "renamed"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["reinitialized"].get<bool>());
  EXPECT_NE(find_group(snapshot(), "a"), nullptr);
}

TEST_F(CliTest, KeygenCsrImportCertExportAndGreengrassConfig) {
  init_token();
  CliRun r = se05x({"--json", "keygen", "--label", "greengrass-core", "--id", "01", "--type", "ec:p256", "--csr",
                 file("dev.csr"), "--subject", "CN=my-thing,O=Acme"},
                kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  auto j = r.json();
  EXPECT_EQ(j["label"], "greengrass-core");
  EXPECT_EQ(j["id"], "01");
  EXPECT_EQ(j["type"], "ec:p256");
  ASSERT_TRUE(sh("openssl req -in dev.csr -noout -subject | grep -q 'CN = my-thing, O = Acme'")) << read("sh.log");
  sign_csr("dev.csr", "dev.pem");
  r = se05x({"--json", "import-cert", "--label", "greengrass-core", file("dev.pem")}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["id"], "01");
  const auto list = snapshot();
  const auto* g = find_group(list, "greengrass-core");
  ASSERT_NE(g, nullptr) << list.dump();
  EXPECT_EQ((*g)["id"], "01");
  EXPECT_TRUE((*g)["match"].get<bool>());
  EXPECT_TRUE(g->contains("certificate"));

  // Exports equal what the CA issued / what the CSR carries.
  r = se05x({"export-cert", "--label", "greengrass-core", "--out", file("out.pem")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(sh("openssl x509 -in dev.pem -outform DER -out a.der && openssl x509 -in out.pem -outform DER -out b.der"
                 " && cmp a.der b.der"))
      << read("sh.log");
  r = se05x({"--json", "export-cert", "--label", "greengrass-core"});
  ASSERT_EQ(r.rc, 0);
  EXPECT_NE(r.json()["pem"].get<std::string>().find("BEGIN CERTIFICATE"), std::string::npos);
  r = se05x({"export-pubkey", "--label", "greengrass-core", "--out", file("pub.pem")});
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_TRUE(sh("openssl req -in dev.csr -pubkey -noout > csrpub.pem && cmp csrpub.pem pub.pem")) << read("sh.log");
  r = se05x({"--json", "export-pubkey", "--label", "greengrass-core"});
  EXPECT_NE(r.json()["pem"].get<std::string>().find("BEGIN PUBLIC KEY"), std::string::npos);

  // The Greengrass configuration names the label and the module (one YAML
  // document on stdout, every file in --json; tests/cli/cli_greengrass_test.cpp
  // covers --output, lite and doctor --config).
  r = se05x({"--json", "greengrass-config", "--label", "greengrass-core", "--module", module()});
  ASSERT_EQ(r.rc, 0) << r.err;
  j = r.json();
  EXPECT_EQ(j["private_key_uri"], "pkcs11:object=greengrass-core;type=private");
  EXPECT_EQ(j["certificate_uri"], "pkcs11:object=greengrass-core;type=cert");
  const std::string yaml = j["files"]["config.yaml"];
  EXPECT_NE(yaml.find("  privateKeyPath: \"pkcs11:object=greengrass-core;type=private\"\n"), std::string::npos);
  EXPECT_NE(yaml.find("  aws.greengrass.crypto.Pkcs11Provider:\n"), std::string::npos);
  EXPECT_NE(yaml.find("      library: \"" + module() + "\"\n"), std::string::npos);
  r = se05x({"--json", "greengrass-config", "--nucleus", "lite", "--label", "greengrass-core", "--module", module()});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["private_key_uri"], "pkcs11:token=gg-token;object=greengrass-core;type=private");
  r = se05x({"greengrass-config", "--label", "greengrass-core"});
  EXPECT_NE(r.err.find("/pkcs11/libse05x-pkcs11.so"), std::string::npos) << r.err;  // the default, not installed here

  // Doctor: all good with the real module (loaded, and it finds the same token
  // through its own configuration); names a missing or broken module otherwise.
  // The module shares the CLI's lock file and takes SE05X_PORT, like a real install.
  write("p11.conf", "lock_file = " + file("lock") + "\n");
  r = se05x({"--json", "doctor", "--label", "greengrass-core", "--module", module()},
            {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(r.json()["ok"].get<bool>());
  EXPECT_EQ(check_status(r.json(), "module loads"), "ok") << r.out;
  EXPECT_EQ(check_status(r.json(), "module token"), "ok") << r.out;
  write("module.so", "x");
  r = se05x({"--json", "doctor", "--label", "greengrass-core", "--module", file("module.so")});
  EXPECT_EQ(r.rc, 10) << r.out;
  EXPECT_EQ(check_status(r.json(), "module loads"), "fail") << r.out;
  // The module reaches another chip (nothing listens there): named, with the fix.
  write("elsewhere.conf", "port = unix:" + file("nothing-here.sock") + "\n");
  r = se05x({"--port", port(), "--json", "doctor", "--label", "greengrass-core", "--module", module()},
            {{"SE05X_PKCS11_CONF", file("elsewhere.conf")}, {"SE05X_PORT", ""}});
  EXPECT_EQ(r.rc, 10) << r.out;
  EXPECT_EQ(check_status(r.json(), "module token"), "fail") << r.out;
  EXPECT_NE(r.out.find("SE05X_PKCS11_CONF"), std::string::npos) << r.out;
  r = se05x({"--json", "doctor", "--module", file("missing.so")});
  EXPECT_EQ(r.rc, 10);
  j = r.json();
  EXPECT_FALSE(j["ok"].get<bool>());
  bool module_failed = false;
  for (const auto& c : j["checks"]) module_failed |= c["check"] == "module" && c["status"] == "fail";
  EXPECT_TRUE(module_failed);
}

TEST_F(CliTest, KeygenRsa2048WithCsr) {
  CliRun r = se05x({"--json", "keygen", "--label", "rsa", "--type", "rsa:2048", "--csr", file("rsa.csr"), "--subject",
                 "/CN=rsa-thing"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["type"], "rsa:2048");
  ASSERT_TRUE(sh("openssl req -in rsa.csr -verify -noout -text | grep -q 'Public-Key: (2048 bit)'")) << read("sh.log");
  sign_csr("rsa.csr", "rsa.pem");
  r = se05x({"import-cert", "--label", "rsa", file("rsa.pem")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE((*find_group(snapshot(), "rsa"))["match"].get<bool>());
}

TEST_F(CliTest, CsrForExistingKey) {
  ASSERT_EQ(se05x({"keygen", "--label", "k384", "--type", "ec:p384"}).rc, 0);
  CliRun r = se05x({"--json", "csr", "--label", "k384", "--subject", "CN=again"});
  ASSERT_EQ(r.rc, 0) << r.err;
  write("again.csr", r.json()["csr_pem"].get<std::string>());
  ASSERT_TRUE(sh("openssl req -in again.csr -verify -noout -text | grep -q 'ecdsa-with-SHA384'")) << read("sh.log");
  r = se05x({"csr", "--label", "k384", "--subject", "CN=again", "--out", file("again.der")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(sh("openssl req -inform DER -in again.der -verify -noout"));
}

TEST_F(CliTest, ImportEveryKeyFormat) {
  make_key_cert("a");
  ASSERT_TRUE(sh("openssl pkey -in a.key.pem -outform DER -out a.key.der && openssl x509 -in a.crt.pem -outform DER "
                 "-out a.crt.der && openssl pkcs8 -topk8 -in a.key.pem -out a.enc.pem -passout pass:pw8 && "
                 "openssl pkcs8 -topk8 -in a.key.pem -outform DER -out a.enc.der -passout pass:pw8 && "
                 "openssl pkcs12 -export -inkey a.key.pem -in a.crt.pem -out a.p12 -passout pass:p12pw && "
                 "openssl ec -in a.key.pem -out a.sec1.pem"))
      << read("sh.log");
  write("pw8", "pw8\n");
  struct Case {
    std::string label;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
  };
  const std::vector<Case> cases{
      {"pem", {"--key", file("a.key.pem"), "--cert", file("a.crt.pem")}, {}},
      {"der", {"--key", file("a.key.der"), "--cert", file("a.crt.der")}, {}},
      {"sec1", {"--key", file("a.sec1.pem"), "--cert", file("a.crt.pem")}, {}},
      {"p8enc", {"--key", file("a.enc.pem"), "--cert", file("a.crt.pem"), "--password-file", file("pw8")}, {}},
      {"p8der", {"--key", file("a.enc.der"), "--cert", file("a.crt.der")}, {{"SE05X_KEY_PASSWORD", "pw8"}}},
      {"p12", {"--key", file("a.p12")}, {{"SE05X_KEY_PASSWORD", "p12pw"}}},
  };
  int n = 0;
  for (const auto& c : cases) {
    // One certificate per key pair: remove the previous import before the next.
    std::vector<std::string> args{"--json", "import", "--label", c.label, "--id", "0" + std::to_string(++n)};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const CliRun r = se05x(args, c.env);
    ASSERT_EQ(r.rc, 0) << c.label << ": " << r.err;
    EXPECT_EQ(r.json()["label"], c.label);
    const auto list = snapshot();
    const auto* g = find_group(list, c.label);
    ASSERT_NE(g, nullptr) << c.label;
    EXPECT_TRUE((*g)["match"].get<bool>()) << c.label;
    EXPECT_EQ((*g)["id"], "0" + std::to_string(n));
    ASSERT_EQ(se05x({"delete", "--label", c.label, "--yes"}).rc, 0);
  }
  // Key material never lands on disk next to the inputs.
  EXPECT_TRUE(sh("test $(ls | wc -l) -lt 30"));
}

TEST_F(CliTest, ImportRsaKey) {
  ASSERT_TRUE(sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout r.key -out r.crt -subj /CN=r -days 30"))
      << read("sh.log");
  const CliRun r = se05x({"--json", "import", "--label", "rsa-imp", "--key", file("r.key"), "--cert", file("r.crt")});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto list = snapshot();
  const auto* g = find_group(list, "rsa-imp");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE((*g)["match"].get<bool>());
  EXPECT_EQ((*find_object(list, (*g)["private_key"], "private key"))["key_type"], "rsa:2048");
  // The imported key signs: a CSR from it verifies.
  ASSERT_EQ(se05x({"csr", "--label", "rsa-imp", "--subject", "CN=r2", "--out", file("r2.csr")}).rc, 0);
  EXPECT_TRUE(sh("openssl req -in r2.csr -verify -noout"));
}

TEST_F(CliTest, AdoptFactoryObjectsThenDeleteResetsThem) {
  init_token();
  CliRun r = se05x({"--json", "adopt", "--key", "0xF0000100", "--cert", "0xF0000101", "--label", "factory-gg", "--id",
                 "beef"},
                kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["id"], "BEEF");
  auto list = snapshot();
  const auto* g = find_group(list, "factory-gg");
  ASSERT_NE(g, nullptr) << list.dump();
  EXPECT_EQ((*g)["private_key"], "0xF0000100");
  EXPECT_EQ((*g)["certificate"], "0xF0000101");
  EXPECT_TRUE((*g)["match"].get<bool>());
  write("p11.conf", "lock_file = " + file("lock") + "\n");
  r = se05x({"doctor", "--module", module()}, {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_EQ(r.rc, 0) << r.out;
  r = se05x({"--json", "delete", "--label", "factory-gg", "--yes"}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["factory_reset"].size(), 2u);
  list = snapshot();
  EXPECT_EQ((*find_object(list, "0xF0000100", "private key"))["label"], "sss:F0000100");
}

TEST_F(CliTest, RelabelAndDelete) {
  ASSERT_EQ(se05x({"keygen", "--label", "old"}).rc, 0);
  CliRun r = se05x({"--json", "relabel", "--label", "old", "--new-label", "new", "--new-id", "0A0B"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["changed"].size(), 1u);
  auto list = snapshot();
  const auto* g = find_group(list, "new");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["id"], "0A0B");
  EXPECT_EQ(find_group(list, "old"), nullptr);
  const std::string chip = (*g)["private_key"];
  // Without --yes and without a terminal nothing is deleted.
  const auto before = snapshot();
  EXPECT_CLI_ERROR(se05x({"delete", "--label", "new"}), 11);
  EXPECT_EQ(snapshot(), before);
  r = se05x({"--json", "delete", "--object", chip, "--yes"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["deleted"][0], chip);
  EXPECT_EQ(find_group(snapshot(), "new"), nullptr);
}

}  // namespace
}  // namespace sx::cli::test

namespace sx::cli::test {
namespace {

TEST_F(CliTest, ProgressOnlyOnATerminal) {
  const CliRun plain = se05x({"keygen", "--label", "quiet"});
  ASSERT_EQ(plain.rc, 0) << plain.err;
  EXPECT_EQ(plain.err, "");
  if (!sh("command -v script")) GTEST_SKIP() << "no `script` to make a terminal";
  ASSERT_TRUE(sh("SE05X_PORT='" + port() + "' SE05X_LOCK_FILE='" + file("lock") + "' script -qefc \"" +
                 cli_command() + " keygen --label tty\" /dev/null < /dev/null > tty.out"))
      << read("sh.log");
  const std::string out = read("tty.out");
  EXPECT_NE(out.find("Generating ec:p256 key in the SE05x..."), std::string::npos) << out;
  EXPECT_NE(out.find("done"), std::string::npos) << out;
}

TEST_F(CliTest, UsageAndHelp) {
  CliRun r = se05x({});
  EXPECT_EQ(r.rc, 2);
  r = se05x({"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("Exit codes:"), std::string::npos);
  EXPECT_NE(r.out.find("greengrass-config"), std::string::npos);
  EXPECT_EQ(se05x({"keygen"}).rc, 2);  // --label missing
  EXPECT_EQ(se05x({"frobnicate"}).rc, 2);
  EXPECT_EQ(se05x({"token"}).rc, 2);
}

// RSA-1024 (issue 15 item 7): made on request, and doctor warns about it without failing.
TEST_F(CliTest, KeygenRsa1024IsLegacyAndDoctorWarns) {
  init_token();
  CliRun r = se05x({"--json", "adopt", "--key", "0xF0000100", "--cert", "0xF0000101", "--label", "factory-gg"}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  r = se05x({"--json", "keygen", "--label", "legacy", "--type", "rsa:1024"}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["type"], "rsa:1024");
  write("p11.conf", "lock_file = " + file("lock") + "\n");
  r = se05x({"--json", "doctor", "--label", "factory-gg", "--module", module()}, {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(check_status(r.json(), "weak rsa key legacy"), "warn") << r.out;
  EXPECT_EQ(check_status(r.json(), "weak rsa key factory-gg"), "(absent)") << r.out;
}

}  // namespace
}  // namespace sx::cli::test
