// link::resolve_port: the one rule by which every program picks its chip
// connection (--port, SE05X_PORT, a configuration file, the defaults).
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "link/endpoint.h"
#include "link/socket.h"
#include "support/temp_dir.h"

namespace sx::link {
namespace {

// Sets the connection variables for one test and restores them after.
class PortEnv {
 public:
  PortEnv() {
    for (const char* n : {"SE05X_PORT", "EX_SSS_BOOT_SSS_PORT", "SE05X_BROKER_SOCKET"}) {
      const char* v = ::getenv(n);
      saved_[n] = v ? std::optional<std::string>(v) : std::nullopt;
      ::unsetenv(n);
    }
  }
  ~PortEnv() {
    for (const auto& [n, v] : saved_) {
      if (v) ::setenv(n.c_str(), v->c_str(), 1);
      else ::unsetenv(n.c_str());
    }
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

TEST(ResolvePort, DefaultsAreTheDocumentedOnes) {
  EXPECT_EQ(kDefaultEndpoint, "i2c:/dev/i2c-1:0x48");
  EXPECT_EQ(kDefaultBrokerSocket, "/run/se05x/se05xd.sock");
  PortEnv env;
  EXPECT_EQ(broker_socket_path(), kDefaultBrokerSocket);
  env.set("SE05X_BROKER_SOCKET", "/nonexistent/sx-port-test.sock");
  EXPECT_EQ(resolve_port({}, {}, PortUser::Broker), kDefaultEndpoint);
  EXPECT_EQ(resolve_port({}, {}, PortUser::Client), kDefaultEndpoint);
  EXPECT_EQ(default_connection(), kDefaultEndpoint);
}

TEST(ResolvePort, OptionThenEnvironmentThenConfigurationThenDefault) {
  PortEnv env;
  env.set("SE05X_BROKER_SOCKET", "/nonexistent/sx-port-test.sock");
  for (PortUser who : {PortUser::Client, PortUser::Broker}) {
    EXPECT_EQ(resolve_port({}, "jrcp:127.0.0.1:1", who), "jrcp:127.0.0.1:1");
    env.set("SE05X_PORT", "unix:/tmp/from-env.sock");
    EXPECT_EQ(port_from_env(), "unix:/tmp/from-env.sock");
    EXPECT_EQ(resolve_port({}, "jrcp:127.0.0.1:1", who), "unix:/tmp/from-env.sock");
    EXPECT_EQ(resolve_port("vi2c:/tmp/opt.sock", "jrcp:127.0.0.1:1", who), "vi2c:/tmp/opt.sock");
    env.set("SE05X_PORT", "");  // empty counts as unset
    EXPECT_EQ(resolve_port({}, {}, who), kDefaultEndpoint);
  }
}

// NXP's variable and the broker socket point clients at the broker; the
// broker itself must not follow them to itself.
TEST(ResolvePort, ClientsFollowNxpVariableAndBrokerSocketTheBrokerDoesNot) {
  PortEnv env;
  sx::testing::TempDir dir;
  const std::string sock = dir.file("se05xd.sock");
  env.set("SE05X_BROKER_SOCKET", sock);
  EXPECT_EQ(broker_socket_path(), sock);
  auto listener = unix_listen(sock);
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  EXPECT_EQ(resolve_port({}, {}, PortUser::Client), "unix:" + sock);
  EXPECT_EQ(resolve_port({}, {}, PortUser::Broker), kDefaultEndpoint);
  env.set("EX_SSS_BOOT_SSS_PORT", "127.0.0.1:8050");
  EXPECT_EQ(resolve_port({}, {}, PortUser::Client), "127.0.0.1:8050");
  EXPECT_EQ(resolve_port({}, {}, PortUser::Broker), kDefaultEndpoint);
  EXPECT_EQ(resolve_port({}, "i2c:/dev/i2c-2", PortUser::Client), "i2c:/dev/i2c-2");
}

}  // namespace
}  // namespace sx::link
