// `se05x greengrass-config` writing complete files for both nuclei, what it
// refuses, and `se05x doctor --config` judging real config files the way each
// nucleus reads them — against a simulated chip and the built module.
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

std::string built_module() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }

std::string check_of(const nlohmann::json& doctor, const std::string& check, const char* field = "status") {
  for (const auto& c : doctor["checks"])
    if (c["check"] == check) return c[field];
  return "(absent)";
}

unsigned mode_of(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class CliGreengrassTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    init_token();
    ASSERT_EQ(se05x({"keygen", "--label", "gg core", "--id", "01", "--csr", file("dev.csr"), "--subject", "CN=dev"}, kPin).rc, 0);
    sign_csr("dev.csr", "dev.pem");
    ASSERT_EQ(se05x({"import-cert", "--label", "gg core", file("dev.pem")}, kPin).rc, 0);
    // The module reaches the same simulator (SE05X_PORT) and shares the lock file.
    write("p11.conf", "lock_file = " + file("lock") + "\n");
    write("fake-provider.so", "not OpenSSL's pkcs11-provider, but a file where one is named");
  }
  std::map<std::string, std::string> env(const std::string& pin = "1234") const {
    return {{"SE05X_PIN", pin}, {"SE05X_PKCS11_CONF", file("p11.conf")}, {"SE05X_LOCK_FILE", file("lock")}};
  }
  int user_failures() {
    const CliRun r = se05x({"--json", "info"});
    return r.json()["token"]["user_pin_failures"].get<int>();
  }
  CliRun config(std::vector<std::string> extra, const std::string& pin = "1234") {
    std::vector<std::string> a{"--json", "greengrass-config", "--label", "gg core", "--module", built_module()};
    a.insert(a.end(), extra.begin(), extra.end());
    return se05x(a, env(pin));
  }
  CliRun doctor(std::vector<std::string> extra) {
    std::vector<std::string> a{"--json", "doctor"};
    a.insert(a.end(), extra.begin(), extra.end());
    return se05x(a, env());
  }
};

TEST_F(CliGreengrassTest, JavaOutputIsOneDocumentWithThePinInA0600File) {
  const CliRun r = config({"--output", file("java"), "--thing-name", "MyCore", "--region", "eu-central-1",
                           "--role-alias", "GGAlias", "--iot-data-endpoint", "d.example", "--iot-cred-endpoint", "c.example",
                           "--root-ca", "/greengrass/v2/AmazonRootCA1.pem"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = r.json();
  ASSERT_EQ(j["written"].size(), 1u);
  EXPECT_EQ(j["written"][0], file("java/config.yaml"));
  EXPECT_EQ(mode_of(file("java/config.yaml")), 0600u);
  // The PIN never reaches stdout.
  EXPECT_EQ(r.out.find("1234"), std::string::npos) << r.out;
  const auto docs = YAML::LoadAll(read("java/config.yaml"));
  ASSERT_EQ(docs.size(), 1u);
  const YAML::Node prov = docs[0]["services"]["aws.greengrass.crypto.Pkcs11Provider"]["configuration"];
  EXPECT_EQ(prov["library"].as<std::string>(), built_module());
  EXPECT_EQ(prov["slot"].as<int>(), 0);
  EXPECT_EQ(prov["userPin"].as<std::string>(), "1234");
  EXPECT_EQ(docs[0]["system"]["privateKeyPath"].as<std::string>(), "pkcs11:object=gg%20core;type=private");
  EXPECT_EQ(docs[0]["services"]["aws.greengrass.Nucleus"]["configuration"]["iotRoleAlias"].as<std::string>(), "GGAlias");
  // doctor --config reads it as the nucleus will: all good.
  const CliRun d = doctor({"--config", file("java/config.yaml")});
  EXPECT_EQ(d.rc, 0) << d.out;
  EXPECT_EQ(check_of(d.json(), "config PIN"), "ok") << d.out;
  EXPECT_EQ(check_of(d.json(), "config slot"), "ok") << d.out;
  EXPECT_EQ(check_of(d.json(), "config URIs"), "ok") << d.out;
  EXPECT_EQ(user_failures(), 0);
}

TEST_F(CliGreengrassTest, LiteOutputWritesConfigOpensslPinAndDropIns) {
  const CliRun r = config({"--nucleus", "lite", "--output", file("lite"), "--provider-module", file("fake-provider.so")});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["written"].size(), 6u);
  EXPECT_EQ(r.out.find("1234"), std::string::npos);
  EXPECT_EQ(mode_of(file("lite/user-pin")), 0600u);
  EXPECT_EQ(read("lite/user-pin"), "1234");
  const YAML::Node y = YAML::Load(read("lite/config.yaml"));
  EXPECT_EQ(y["system"]["privateKeyPath"].as<std::string>(), "pkcs11:token=gg-token;object=gg%20core;type=private");
  const std::string cnf = read("lite/openssl-se05x.cnf");
  EXPECT_NE(cnf.find("pkcs11-module-token-pin = file:" + file("lite/user-pin") + "\n"), std::string::npos) << cnf;
  EXPECT_NE(cnf.find("pkcs11-module-path = " + built_module() + "\n"), std::string::npos) << cnf;
  EXPECT_NE(read("lite/systemd/ggl.core.iotcored.service.d/se05x.conf").find("OPENSSL_CONF=" + file("lite/openssl-se05x.cnf")),
            std::string::npos);
  // doctor finds the PIN through the OpenSSL configuration and the fake provider out.
  const CliRun d = doctor({"--config", file("lite/config.yaml"), "--openssl-conf", file("lite/openssl-se05x.cnf")});
  EXPECT_EQ(d.rc, 10) << d.out;
  EXPECT_EQ(check_of(d.json(), "config file", "message").find("nucleus lite") != std::string::npos, true) << d.out;
  EXPECT_EQ(check_of(d.json(), "config PIN"), "ok") << d.out;
  EXPECT_EQ(check_of(d.json(), "config token"), "ok") << d.out;
  EXPECT_EQ(check_of(d.json(), "provider loads"), "fail") << d.out;
  // pkcs11-provider not installed where the configuration names it.
  std::string missing = cnf;
  missing.replace(missing.find(file("fake-provider.so")), file("fake-provider.so").size(), file("no-provider.so"));
  write("missing.cnf", missing);
  const CliRun m = doctor({"--config", file("lite/config.yaml"), "--openssl-conf", file("missing.cnf")});
  EXPECT_EQ(check_of(m.json(), "pkcs11-provider"), "fail") << m.out;
  EXPECT_NE(check_of(m.json(), "pkcs11-provider", "fix").find("bookworm-backports"), std::string::npos) << m.out;
  // Without OPENSSL_CONF nucleus lite cannot load the key: said, with the fix.
  const CliRun n = se05x({"--json", "doctor", "--config", file("lite/config.yaml")},
                         {{"SE05X_PKCS11_CONF", file("p11.conf")}, {"OPENSSL_CONF", ""}});
  EXPECT_EQ(check_of(n.json(), "openssl config"), "fail") << n.out;
}

TEST_F(CliGreengrassTest, LiteWithTheRealProviderLoads) {
  const std::string prov = std::string(OPENSSL_info(OPENSSL_INFO_MODULES_DIR)) + "/pkcs11.so";
  if (!exists(prov)) GTEST_SKIP() << "pkcs11-provider not installed (" << prov << ")";
  ASSERT_EQ(config({"--nucleus", "lite", "--output", file("lite")}).rc, 0);
  const CliRun d = doctor({"--config", file("lite/config.yaml"), "--openssl-conf", file("lite/openssl-se05x.cnf")});
  EXPECT_EQ(check_of(d.json(), "provider loads"), "ok") << d.out;
  EXPECT_EQ(d.rc, 0) << d.out;
}

TEST_F(CliGreengrassTest, BadInputIsRefusedAndNothingIsWritten) {
  const auto before = snapshot();
  EXPECT_CLI_ERROR(se05x({"greengrass-config", "--label", "gg core", "--module", "lib/libse05x-pkcs11.so", "--output",
                          file("o1")}, env()), 2);
  EXPECT_CLI_ERROR(config({"--slot", "1", "--output", file("o2")}), 2);
  EXPECT_CLI_ERROR(config({"--slot", "-1", "--output", file("o3")}), 2);
  EXPECT_CLI_ERROR(config({"--nucleus", "dotnet", "--output", file("o4")}), 2);
  EXPECT_CLI_ERROR(config({"--owner", "root"}), 2);
  EXPECT_CLI_ERROR(config({"--nucleus", "lite", "--output", file("o5"), "--provider-module", file("none.so")}), 2);
  EXPECT_CLI_ERROR(se05x({"greengrass-config", "--label", "gg;core", "--module", built_module(), "--output", file("o6")}, env()), 2);
  // The same labels are refused where they would be made.
  EXPECT_CLI_ERROR(se05x({"keygen", "--label", "gg;core"}, kPin), 2);
  EXPECT_CLI_ERROR(se05x({"keygen", "--label", "gg core "}, kPin), 2);
  EXPECT_CLI_ERROR(se05x({"relabel", "--label", "gg core", "--new-label", " gg"}, kPin), 2);
  for (const char* d : {"o1", "o2", "o3", "o4", "o5", "o6"}) EXPECT_FALSE(exists(file(d))) << d;
  // A wrong PIN is never written (it counts as one wrong try, like any login).
  EXPECT_EQ(config({"--output", file("o7")}, "9999").rc, 5);
  EXPECT_FALSE(exists(file("o7/config.yaml")));
  EXPECT_EQ(user_failures(), 1);
  // Too short to be a PIN: refused without a try.
  EXPECT_EQ(config({"--output", file("o8")}, "12").rc, 5);
  EXPECT_EQ(user_failures(), 1);
  EXPECT_EQ(snapshot()["objects"], before["objects"]);
  // Existing files are kept unless --force.
  ASSERT_EQ(config({"--output", file("o9")}).rc, 0);
  write("o9/config.yaml", "mine\n");
  EXPECT_CLI_ERROR(config({"--output", file("o9")}), 7);
  EXPECT_EQ(read("o9/config.yaml"), "mine\n");
  EXPECT_EQ(config({"--output", file("o9"), "--force"}).rc, 0);
  EXPECT_NE(read("o9/config.yaml"), "mine\n");
}

TEST_F(CliGreengrassTest, StdoutCarriesAPlaceholderThatCostsNoTry) {
  const CliRun r = se05x({"greengrass-config", "--label", "gg core", "--module", built_module()}, env());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("1234"), std::string::npos);
  ASSERT_EQ(YAML::LoadAll(r.out).size(), 1u);
  write("printed.yaml", r.out);
  const CliRun d = doctor({"--config", file("printed.yaml")});
  EXPECT_EQ(d.rc, 10) << d.out;
  EXPECT_EQ(check_of(d.json(), "config PIN"), "fail") << d.out;
  EXPECT_NE(check_of(d.json(), "config PIN", "message").find("placeholder"), std::string::npos) << d.out;
  EXPECT_EQ(user_failures(), 0);
}

TEST_F(CliGreengrassTest, DoctorConfigFlagsEachBrokenVariant) {
  ASSERT_EQ(config({"--output", file("j")}).rc, 0);
  const std::string good = read("j/config.yaml");
  auto variant = [&](const std::string& name, const std::string& from, const std::string& to) {
    std::string t = good;
    const auto at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) t.replace(at, from.size(), to);
    write(name, t);
    return doctor({"--config", file(name)});
  };
  CliRun d = variant("rel.yaml", "library: \"" + built_module() + "\"", "library: \"libse05x-pkcs11.so\"");
  EXPECT_EQ(check_of(d.json(), "config library"), "fail") << d.out;
  d = variant("slot.yaml", "slot: 0", "slot: 3");
  EXPECT_EQ(check_of(d.json(), "config slot"), "fail") << d.out;
  d = variant("label.yaml", "object=gg%20core;type=cert", "object=other;type=cert");
  EXPECT_EQ(check_of(d.json(), "config URIs"), "fail") << d.out;
  d = variant("semi.yaml", "object=gg%20core;type=private", "object=gg%3Bcore;type=private");
  EXPECT_EQ(check_of(d.json(), "config URIs"), "fail") << d.out;
  d = variant("ph.yaml", "userPin: \"1234\"", "userPin: \"<user PIN>\"");
  EXPECT_EQ(check_of(d.json(), "config PIN"), "fail") << d.out;
  EXPECT_EQ(user_failures(), 0);
  // YAML followed by INI, as greengrass-config printed it before: not one document.
  write("mixed.yaml", good + "openssl_conf = openssl_init\n[pkcs11_sect]\nactivate = 1\n");
  d = doctor({"--config", file("mixed.yaml")});
  EXPECT_EQ(check_of(d.json(), "config file"), "fail") << d.out;
  // A wrong PIN is tried only with a warning and tries to spare, and says what is left.
  d = variant("wrong.yaml", "userPin: \"1234\"", "userPin: \"4321\"");
  EXPECT_EQ(check_of(d.json(), "config PIN"), "fail") << d.out;
  EXPECT_NE(check_of(d.json(), "config PIN", "message").find("9 tries left"), std::string::npos) << d.out;
  EXPECT_EQ(user_failures(), 1);
  for (int i = 0; i < 8; ++i) ASSERT_EQ(config({"--output", file("w")}, "0000").rc, 5);
  ASSERT_EQ(user_failures(), 9);
  d = doctor({"--config", file("wrong.yaml")});
  EXPECT_EQ(check_of(d.json(), "config PIN"), "warn") << d.out;
  EXPECT_EQ(user_failures(), 9);  // the last try is never spent by doctor
}

}  // namespace
}  // namespace sx::cli::test
