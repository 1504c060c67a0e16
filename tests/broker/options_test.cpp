// se05xd's command line: --port (alias --connection) and SE05X_PORT pick the
// chip like every other program's; the other options override the file.
#include "broker/options.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "link/endpoint.h"

namespace sx::broker {
namespace {

// SE05X_PORT for one test, restored after.
class BrokerPortEnv {
 public:
  BrokerPortEnv() {
    if (const char* v = ::getenv("SE05X_PORT")) saved_ = v;
    ::unsetenv("SE05X_PORT");
  }
  ~BrokerPortEnv() {
    if (saved_) ::setenv("SE05X_PORT", saved_->c_str(), 1);
    else ::unsetenv("SE05X_PORT");
  }
  void set(const std::string& v) { ::setenv("SE05X_PORT", v.c_str(), 1); }

 private:
  std::optional<std::string> saved_;
};

CommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "se05xd");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  ParsedCommandLine p = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(p.args.has_value()) << "exit code " << p.exit_code;
  return p.args.value_or(CommandLine{});
}

Config file_with(const std::string& connection) {
  Config c;
  c.connection = connection;
  return c;
}

std::string connection_of(const CommandLine& cl, const Config& file) {
  auto r = apply_command_line(file, cl);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? r->connection : std::string();
}

TEST(BrokerOptions, PortAndItsAliasNameTheChip) {
  BrokerPortEnv env;
  EXPECT_EQ(connection_of(parse({"--port", "unix:/tmp/sim.sock"}), file_with("i2c:/dev/i2c-2")), "unix:/tmp/sim.sock");
  EXPECT_EQ(connection_of(parse({"-p", "jrcp:127.0.0.1:8050"}), {}), "jrcp:127.0.0.1:8050");
  // Existing units and scripts say --connection.
  EXPECT_EQ(connection_of(parse({"--connection", "vi2c:/tmp/bus.sock"}), {}), "vi2c:/tmp/bus.sock");
}

TEST(BrokerOptions, EnvironmentOverridesTheFileAndPortOverridesBoth) {
  BrokerPortEnv env;
  env.set("unix:/tmp/from-env.sock");
  EXPECT_EQ(connection_of(parse({}), file_with("i2c:/dev/i2c-2")), "unix:/tmp/from-env.sock");
  EXPECT_EQ(connection_of(parse({"--port", "unix:/tmp/opt.sock"}), file_with("i2c:/dev/i2c-2")), "unix:/tmp/opt.sock");
}

TEST(BrokerOptions, FileThenTheOneDefault) {
  BrokerPortEnv env;
  EXPECT_EQ(connection_of(parse({}), file_with("i2c:/dev/i2c-2")), "i2c:/dev/i2c-2");
  EXPECT_EQ(connection_of(parse({}), Config{}), link::kDefaultEndpoint);
  EXPECT_EQ(Config{}.socket, link::kDefaultBrokerSocket);
}

TEST(BrokerOptions, OtherOptionsOverrideTheFile) {
  BrokerPortEnv env;
  CommandLine cl = parse({"-c", "/tmp/x.conf", "-f", "--socket", "/tmp/b.sock", "--tcp", "127.0.0.1:0",
                          "--lock-hold-ms", "500", "--log-level", "debug", "--check-config"});
  EXPECT_TRUE(cl.config_given);
  EXPECT_EQ(cl.config_path, "/tmp/x.conf");
  EXPECT_TRUE(cl.foreground);
  EXPECT_TRUE(cl.check);
  auto r = apply_command_line(Config{}, cl);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->socket, "/tmp/b.sock");
  EXPECT_EQ(r->tcp, "127.0.0.1:0");
  EXPECT_EQ(r->lock_hold_ms, 500u);
  EXPECT_EQ(r->log_level, LogLevel::Debug);
  EXPECT_FALSE(parse({}).config_given);
  EXPECT_FALSE(apply_command_line(Config{}, parse({"--log-level", "loud"})).ok());
}

// SE05X_PORT exported for the clients must not make the broker its own chip.
TEST(BrokerOptions, OwnSocketAsTheChipIsRefused) {
  BrokerPortEnv env;
  env.set("unix:" + std::string(link::kDefaultBrokerSocket));
  auto r = apply_command_line(Config{}, parse({}));
  ASSERT_TRUE(r.ok());
  auto v = validate(*r);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("own socket"), std::string::npos) << v.error().message;
}

}  // namespace
}  // namespace sx::broker
