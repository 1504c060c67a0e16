#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "cli/gg_config.h"
#include "cli/gg_config_read.h"
#include "cli/output_files.h"
#include "support/temp_dir.h"

namespace sx::cli {
namespace {

using sx::testing::TempDir;

GgParams params(Nucleus n = Nucleus::Java) {
  GgParams p;
  p.nucleus = n;
  p.label = "greengrass-core";
  p.token_label = "gg token";
  p.module_path = "/usr/lib/arm-linux-gnueabihf/pkcs11/libse05x-pkcs11.so";
  p.provider_module_path = "/usr/lib/arm-linux-gnueabihf/ossl-modules/pkcs11.so";
  p.output_dir = "/etc/greengrass";
  return p;
}

const GgFile& file_named(const std::vector<GgFile>& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return f;
  ADD_FAILURE() << "no file " << name;
  return fs.front();
}

TEST(GgConfig, JavaIsOneYamlDocumentWithEverythingTheNucleusReads) {
  GgParams p = params();
  p.pin = "12\"34#:";
  p.cloud.thing_name = "MyCore";
  p.cloud.region = "eu-central-1";
  p.cloud.role_alias = "GGRoleAlias";
  p.cloud.data_endpoint = "abc-ats.iot.eu-central-1.amazonaws.com";
  p.cloud.cred_endpoint = "abc.credentials.iot.eu-central-1.amazonaws.com";
  p.cloud.root_ca = "/greengrass/v2/AmazonRootCA1.pem";
  p.cloud.root_path = "/greengrass/v2";
  const auto files = render_greengrass_files(p);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "config.yaml");
  EXPECT_EQ(files[0].mode, 0600u);  // it holds the PIN
  const auto docs = YAML::LoadAll(files[0].text);
  ASSERT_EQ(docs.size(), 1u);
  const YAML::Node& y = docs[0];
  EXPECT_EQ(y["system"]["privateKeyPath"].as<std::string>(), "pkcs11:object=greengrass-core;type=private");
  EXPECT_EQ(y["system"]["certificateFilePath"].as<std::string>(), "pkcs11:object=greengrass-core;type=cert");
  EXPECT_EQ(y["system"]["thingName"].as<std::string>(), "MyCore");
  EXPECT_EQ(y["system"]["rootpath"].as<std::string>(), "/greengrass/v2");
  const YAML::Node prov = y["services"]["aws.greengrass.crypto.Pkcs11Provider"]["configuration"];
  EXPECT_EQ(prov["library"].as<std::string>(), p.module_path);
  EXPECT_EQ(prov["slot"].as<int>(), 0);
  EXPECT_EQ(prov["userPin"].as<std::string>(), "12\"34#:");  // quoted, not a comment
  EXPECT_EQ(prov["name"].as<std::string>(), "se050");
  const YAML::Node nuc = y["services"]["aws.greengrass.Nucleus"];
  EXPECT_EQ(nuc["componentType"].as<std::string>(), "NUCLEUS");
  EXPECT_EQ(nuc["configuration"]["awsRegion"].as<std::string>(), "eu-central-1");
  EXPECT_EQ(nuc["configuration"]["iotCredEndpoint"].as<std::string>(), p.cloud.cred_endpoint);
}

TEST(GgConfig, WithoutPinTheJavaPlaceholderIsEmpty) {
  const auto files = render_greengrass_files(params());
  EXPECT_EQ(files[0].mode, 0644u);
  const YAML::Node y = YAML::Load(files[0].text);
  // Empty: the module refuses it (CKR_PIN_LEN_RANGE) without counting a try.
  EXPECT_EQ(y["services"]["aws.greengrass.crypto.Pkcs11Provider"]["configuration"]["userPin"].as<std::string>(), "");
  EXPECT_FALSE(y["services"]["aws.greengrass.Nucleus"]);  // nothing given, nothing written
}

TEST(GgConfig, LiteFilesNameEachOtherByAbsolutePath) {
  GgParams p = params(Nucleus::Lite);
  p.pin = "1234";
  const auto files = render_greengrass_files(p);
  ASSERT_EQ(files.size(), 6u);  // config, openssl, pin, three drop-ins
  const YAML::Node y = YAML::Load(file_named(files, "config.yaml").text);
  EXPECT_EQ(y["system"]["privateKeyPath"].as<std::string>(), "pkcs11:token=gg%20token;object=greengrass-core;type=private");
  EXPECT_EQ(y["system"]["certificateFilePath"].as<std::string>(), "pkcs11:token=gg%20token;object=greengrass-core;type=cert");
  const std::string cnf = file_named(files, "openssl-se05x.cnf").text;
  EXPECT_NE(cnf.find("\nmodule = /usr/lib/arm-linux-gnueabihf/ossl-modules/pkcs11.so\n"), std::string::npos);
  EXPECT_NE(cnf.find("\npkcs11-module-path = " + p.module_path + "\n"), std::string::npos);
  EXPECT_NE(cnf.find("\npkcs11-module-token-pin = file:/etc/greengrass/user-pin\n"), std::string::npos);
  EXPECT_EQ(cnf.find("1234"), std::string::npos);  // the PIN lives in its own 0600 file
  const GgFile& pin = file_named(files, "user-pin");
  EXPECT_EQ(pin.text, "1234");
  EXPECT_EQ(pin.mode, 0600u);
  for (const char* svc : {"ggl.core.iotcored", "ggl.core.tesd", "ggl.core.ggdeploymentd"}) {
    const GgFile& d = file_named(files, std::string("systemd/") + svc + ".service.d/se05x.conf");
    EXPECT_NE(d.text.find("Environment=OPENSSL_CONF=/etc/greengrass/openssl-se05x.cnf\n"), std::string::npos);
    EXPECT_NE(d.text.find("SupplementaryGroups=se05x\n"), std::string::npos);
    EXPECT_FALSE(d.service_reads);
  }
}

TEST(GgConfig, OpensslConfigReadsBackAsThePkcs11Section) {
  TempDir dir;
  GgParams p = params(Nucleus::Lite);
  p.pin = "4821";
  p.output_dir = dir.path();
  auto w = write_files(dir.path(), render_greengrass_files(p), {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto oc = read_openssl_p11_conf(dir.file("openssl-se05x.cnf"));
  ASSERT_TRUE(oc.ok()) << oc.error().message;
  EXPECT_TRUE(oc->found);
  EXPECT_TRUE(oc->activated);
  EXPECT_EQ(oc->module_path, p.module_path);
  EXPECT_EQ(oc->provider_module, p.provider_module_path);
  ASSERT_TRUE(oc->pin.has_value());
  EXPECT_EQ(*oc->pin, "4821");
}

TEST(GgConfig, Escaping) {
  EXPECT_EQ(uri_escape("a b;c/d%+"), "a%20b%3Bc%2Fd%25%2B");
  EXPECT_EQ(yaml_quote("x\"y\\z"), "\"x\\\"y\\\\z\"");
  GgParams p = params();
  p.label = "my key+1";
  EXPECT_EQ(private_key_uri(p, false), "pkcs11:object=my%20key%2B1;type=private");
  EXPECT_EQ(certificate_uri(p, true), "pkcs11:token=gg%20token;object=my%20key%2B1;type=cert");
  // Both decoders give the label back.
  EXPECT_EQ(parse_pkcs11_uri_java(private_key_uri(p, false))->at("object"), "my key+1");
  EXPECT_EQ(parse_pkcs11_uri(certificate_uri(p, true))->at("object"), "my key+1");
}

TEST(GgConfig, JavaDecodingSplitsAfterDecoding) {
  // What the Greengrass provider does with an encoded ';' — the reason labels
  // with ';' are refused.
  auto a = parse_pkcs11_uri_java("pkcs11:object=gg%3Bcore;type=private");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->at("object"), "gg");
  EXPECT_EQ(parse_pkcs11_uri("pkcs11:object=gg%3Bcore;type=private")->at("object"), "gg;core");
  EXPECT_EQ(parse_pkcs11_uri_java("pkcs11:object=%20gg%20;type=cert")->at("object"), "gg");  // trimmed
  EXPECT_FALSE(parse_pkcs11_uri_java("pkcs11:object=gg core;type=cert").ok());              // space: invalid URI
  EXPECT_FALSE(parse_pkcs11_uri("pkcs11:object=gg%2;type=cert").ok());
  EXPECT_FALSE(parse_pkcs11_uri("file:/etc/key.pem").ok());
}

TEST(GgConfig, DefaultModulePathHasMultiarch) {
  const std::string d = default_module_path();
  EXPECT_EQ(d.rfind("/usr/lib/", 0), 0u);
  EXPECT_NE(d.find("-linux-gnu"), std::string::npos);
  EXPECT_NE(d.find("/pkcs11/libse05x-pkcs11.so"), std::string::npos);
  EXPECT_NE(default_provider_module_path().find("/pkcs11.so"), std::string::npos);
}

TEST(GgConfigRead, TellsTheNucleusAndReadsTheProvider) {
  TempDir dir;
  GgParams p = params();
  p.pin = "1234";
  ASSERT_TRUE(write_files(dir.path(), render_greengrass_files(p), {}).ok());
  auto f = read_greengrass_config(dir.file("config.yaml"), std::nullopt);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->nucleus, Nucleus::Java);
  EXPECT_TRUE(f->has_provider);
  EXPECT_EQ(f->library, p.module_path);
  ASSERT_TRUE(f->slot.has_value());
  EXPECT_EQ(*f->slot, 0);
  EXPECT_EQ(f->user_pin.value_or(""), "1234");
  EXPECT_EQ(f->key_uri, "pkcs11:object=greengrass-core;type=private");
}

TEST(GgConfigRead, RefusesWhatTheNucleusCannotRead) {
  TempDir dir;
  // YAML followed by INI (what greengrass-config printed before): not one document.
  dir.write("mixed.yaml", "system:\n  privateKeyPath: \"pkcs11:object=a;type=private\"\n[pkcs11_sect]\nactivate = 1\n");
  EXPECT_FALSE(read_greengrass_config(dir.file("mixed.yaml"), std::nullopt).ok());
  dir.write("two.yaml", "system: {}\n---\nsystem: {}\n");
  auto two = read_greengrass_config(dir.file("two.yaml"), std::nullopt);
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.error().message.find("2 YAML documents"), std::string::npos);
  dir.write("nosys.yaml", "services: {}\n");
  EXPECT_FALSE(read_greengrass_config(dir.file("nosys.yaml"), std::nullopt).ok());
  dir.write("lite.yaml", "system:\n  privateKeyPath: \"pkcs11:token=t;object=a;type=private\"\n");
  auto lite = read_greengrass_config(dir.file("lite.yaml"), std::nullopt);
  ASSERT_TRUE(lite.ok());
  EXPECT_EQ(lite->nucleus, Nucleus::Lite);
}

TEST(OutputFiles, AllOrNothingAndPrivateModes) {
  TempDir dir;
  const std::string out = dir.file("out");
  std::vector<GgFile> files{{"config.yaml", "a: 1\n", 0600}, {"sub/dir/x.conf", "x\n", 0644}};
  auto w = write_files(out, files, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_EQ(w->size(), 2u);
  struct stat st{};
  ASSERT_EQ(::stat((out + "/config.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((out + "/sub/dir/x.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  // Existing files: refused unless replacing; nothing changes.
  files[0].text = "a: 2\n";
  auto again = write_files(out, files, {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::Exists);
  EXPECT_EQ(dir.read("out/config.yaml"), "a: 1\n");
  WriteOptions rep;
  rep.replace = true;
  ASSERT_TRUE(write_files(out, files, rep).ok());
  EXPECT_EQ(dir.read("out/config.yaml"), "a: 2\n");
  // A file that cannot be created: nothing of the set appears, no temporary left.
  const std::string out2 = dir.file("out2");
  std::vector<GgFile> bad{{"ok.yaml", "ok\n", 0644}, {"ok.yaml/child", "x\n", 0644}};
  EXPECT_FALSE(write_files(out2, bad, {}).ok());
  EXPECT_NE(::access((out2 + "/ok.yaml").c_str(), F_OK), 0);
  EXPECT_FALSE(write_files("relative/dir", files, {}).ok());
}

TEST(OutputFiles, Owner) {
  auto o = parse_owner("0:0");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->uid, 0u);
  auto r = parse_owner("root");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->uid, 0u);
  EXPECT_FALSE(parse_owner("no-such-user-se05x").ok());
  EXPECT_FALSE(parse_owner("root:no-such-group-se05x").ok());
  EXPECT_FALSE(parse_owner(":0").ok());
}

}  // namespace
}  // namespace sx::cli
