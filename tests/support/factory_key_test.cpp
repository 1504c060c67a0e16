// SE05X_SIM_FACTORY_RSA_KEY: the simulator's factory RSA key comes from the named PEM
// file; a file that cannot be used stops the simulator with an error that names the
// variable, never a silently generated key. The factory key is cached per process, so
// the refusals come first (ctest runs each TEST in its own process anyway).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <memory>

#include "se05x/client.h"
#include "se05x/constants.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"
#include "support/temp_dir.h"
#include "support/test_rsa_key.h"

namespace sx::testing {
namespace {

Result<std::unique_ptr<sim::Simulator>> open_with_key_file(const std::string& path) {
  ::setenv("SE05X_SIM_FACTORY_RSA_KEY", path.c_str(), 1);
  sim::Config cfg;
  cfg.variant = "SE050C";  // has the factory RSA key
  cfg.fsync = false;
  return sim::Simulator::open(cfg);
}

void expect_refused(const std::string& path, const std::string& why) {
  auto s = open_with_key_file(path);
  ASSERT_FALSE(s.ok()) << "a simulator started with an unusable factory RSA key file: " << path;
  const std::string msg = s.error().to_string();
  EXPECT_NE(msg.find("SE05X_SIM_FACTORY_RSA_KEY=" + path), std::string::npos) << msg;
  EXPECT_NE(msg.find(why), std::string::npos) << msg;
}

TEST(FactoryRsaKeyFile, MissingFileIsAnError) {
  TempDir dir;
  expect_refused(dir.file("absent.pem"), "cannot open");
}

TEST(FactoryRsaKeyFile, NotAPemKeyIsAnError) {
  TempDir dir;
  std::ofstream(dir.file("junk.pem")) << "not a key\n";
  expect_refused(dir.file("junk.pem"), "not a PEM private key");
}

TEST(FactoryRsaKeyFile, AnEcKeyIsAnError) {
  TempDir dir;
  // A P-256 private key (PKCS#8 PEM): a valid key, but not RSA-2048.
  std::ofstream(dir.file("ec.pem")) << "-----BEGIN PRIVATE KEY-----\n"
                                       "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXVg9DOa4UiObGRDK\n"
                                       "rW5pWtO2YFBm+/uUyVmWxjMHH8qhRANCAARfkcoDVZ+Kp7603Xc+5hOwrGlXs9/g\n"
                                       "gtMhpsCaiQGjd1J89BG1PjcdEDnwM2lSvjMyAlb8P9SlDId4i8jEJuPY\n"
                                       "-----END PRIVATE KEY-----\n";
  expect_refused(dir.file("ec.pem"), "not an RSA-2048 key");
}

TEST(FactoryRsaKeyFile, TheChipsFactoryKeyIsTheFilesKey) {
  auto s = open_with_key_file(test_rsa_key_path());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  SimChannel ch(**s);
  se05x::Client client(ch);
  ASSERT_TRUE(client.select().ok());
  auto n = client.read_rsa_component(se05x::objid::kFactoryRsaKey, se05x::RsaComponent::Modulus);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(to_hex(*n), to_hex(test_rsa_key_parts().n));
}

}  // namespace
}  // namespace sx::testing
