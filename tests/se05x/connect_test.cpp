// default_connection(): explicit settings first, then the broker socket when
// it exists, then the A6E's i2c-dev link.
#include "se05x/connect.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace sx::se05x {
namespace {

// Sets/unsets environment variables for one test and restores them after.
class Env {
 public:
  void set(const char* name, const char* value) {
    save(name);
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~Env() {
    for (auto& [n, v] : saved_) {
      if (v) ::setenv(n.c_str(), v->c_str(), 1);
      else ::unsetenv(n.c_str());
    }
  }

 private:
  void save(const char* name) {
    for (auto& s : saved_)
      if (s.first == name) return;
    const char* v = ::getenv(name);
    saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

struct SocketFile {
  std::string path;
  int fd = -1;
  explicit SocketFile(std::string p) : path(std::move(p)) {
    fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~SocketFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
};

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()))).string();
}

TEST(DefaultConnection, PrefersBrokerSocketWhenPresent) {
  Env env;
  env.set("SE05X_PORT", nullptr);
  env.set("EX_SSS_BOOT_SSS_PORT", nullptr);
  std::string sock = temp_path("sx-broker-test-");
  env.set("SE05X_BROKER_SOCKET", sock.c_str());
  EXPECT_EQ(broker_socket_path(), sock);
  EXPECT_EQ(default_connection(), "i2c:/dev/i2c-1:0x48");  // no socket yet
  {
    SocketFile s(sock);
    EXPECT_EQ(default_connection(), "unix:" + sock);
  }
  // A regular file by that name is not a broker.
  std::ofstream(sock) << "x";
  EXPECT_EQ(default_connection(), "i2c:/dev/i2c-1:0x48");
  ::unlink(sock.c_str());
}

TEST(DefaultConnection, ExplicitSettingsWin) {
  Env env;
  std::string sock = temp_path("sx-broker-test2-");
  env.set("SE05X_BROKER_SOCKET", sock.c_str());
  SocketFile s(sock);
  env.set("SE05X_PORT", nullptr);
  env.set("EX_SSS_BOOT_SSS_PORT", "127.0.0.1:8050");
  EXPECT_EQ(default_connection(), "127.0.0.1:8050");
  env.set("SE05X_PORT", "unix:/tmp/sim.sock");
  EXPECT_EQ(default_connection(), "unix:/tmp/sim.sock");
}

TEST(DefaultConnection, BrokerSocketDefaultPath) {
  Env env;
  env.set("SE05X_BROKER_SOCKET", nullptr);
  EXPECT_EQ(broker_socket_path(), "/run/se05x/se05xd.sock");
  env.set("SE05X_BROKER_SOCKET", "");
  EXPECT_EQ(broker_socket_path(), "/run/se05x/se05xd.sock");
}

TEST(OpenChannel, UnreachableBrokerSaysSo) {
  auto r = open_channel("unix:/nonexistent-dir/se05xd.sock");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is the se05x broker"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace sx::se05x
