#include <gtest/gtest.h>

#include "cli/gg_config.h"

namespace sx::cli {
namespace {

GgParams params() {
  GgParams p;
  p.label = "greengrass-core";
  p.token_label = "gg token";
  p.module_path = "/usr/lib/arm-linux-gnueabihf/pkcs11/libse05x-pkcs11.so";
  return p;
}

TEST(GgConfig, NucleusYamlExact) {
  EXPECT_EQ(render_nucleus_yaml(params()),
            "# Greengrass nucleus (Java): merge into config.yaml; replace the PIN placeholder.\n"
            "system:\n"
            "  certificateFilePath: \"pkcs11:object=greengrass-core;type=cert\"\n"
            "  privateKeyPath: \"pkcs11:object=greengrass-core;type=private\"\n"
            "services:\n"
            "  aws.greengrass.crypto.Pkcs11Provider:\n"
            "    configuration:\n"
            "      name: \"se050\"\n"
            "      library: \"/usr/lib/arm-linux-gnueabihf/pkcs11/libse05x-pkcs11.so\"\n"
            "      slot: 0\n"
            "      userPin: \"<user PIN>\"\n");
}

TEST(GgConfig, LiteUsesTokenAndProvider) {
  const std::string s = render_lite_openssl(params());
  EXPECT_NE(s.find("privateKeyPath: \"pkcs11:token=gg%20token;object=greengrass-core;type=private\""), std::string::npos);
  EXPECT_NE(s.find("pkcs11-module-path = /usr/lib/arm-linux-gnueabihf/pkcs11/libse05x-pkcs11.so\n"), std::string::npos);
  EXPECT_NE(s.find("[pkcs11_sect]\n"), std::string::npos);
}

TEST(GgConfig, Escaping) {
  EXPECT_EQ(uri_escape("a b;c/d%"), "a%20b%3Bc%2Fd%25");
  EXPECT_EQ(yaml_quote("x\"y\\z"), "\"x\\\"y\\\\z\"");
  GgParams p = params();
  p.label = "my key;1";
  EXPECT_EQ(private_key_uri(p, false), "pkcs11:object=my%20key%3B1;type=private");
  EXPECT_EQ(certificate_uri(p, true), "pkcs11:token=gg%20token;object=my%20key%3B1;type=cert");
}

TEST(GgConfig, DefaultModulePathHasMultiarch) {
  const std::string d = default_module_path();
  EXPECT_EQ(d.rfind("/usr/lib/", 0), 0u);
  EXPECT_NE(d.find("-linux-gnu"), std::string::npos);
  EXPECT_NE(d.find("/pkcs11/libse05x-pkcs11.so"), std::string::npos);
}

}  // namespace
}  // namespace sx::cli
