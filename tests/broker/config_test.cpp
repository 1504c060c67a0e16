#include "broker/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "broker/access.h"

namespace sx::broker {
namespace {

TEST(Config, DefaultsAreSafe) {
  auto c = parse_config("{}", "t");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->socket, "/run/se05x/se05xd.sock");
  EXPECT_EQ(c->socket_mode, 0660u);
  EXPECT_TRUE(c->tcp.empty());  // TCP off unless configured
  EXPECT_TRUE(c->allow_uids.empty());
  EXPECT_EQ(c->lock_hold_ms, 10000u);
}

TEST(Config, FullFileWithComments) {
  auto c = parse_config(R"({
    // the chip
    "connection": "i2c:/dev/i2c-1:0x48",
    "socket": "/run/se05x/se05xd.sock",
    "socket_mode": "0666",
    "socket_group": 0,
    "tcp": "127.0.0.1:8050",
    "allow_uids": [0, "root", 1000],
    "allow_gids": ["root", 994],
    "lock_hold_ms": 2500,
    "max_clients": 16,
    "max_queue": 4,
    "max_payload": 4096,
    "log_level": "debug",
    "log_apdus": true
  })",
                        "t");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->socket_mode, 0666u);
  EXPECT_EQ(c->socket_group, "0");
  EXPECT_EQ(c->tcp, "127.0.0.1:8050");
  EXPECT_EQ(c->allow_uids, (std::vector<uid_t>{0, 0, 1000}));
  EXPECT_EQ(c->allow_gids, (std::vector<gid_t>{0, 994}));
  EXPECT_EQ(c->lock_hold_ms, 2500u);
  EXPECT_EQ(c->max_queue, 4u);
  EXPECT_EQ(c->log_level, LogLevel::Debug);
  EXPECT_TRUE(c->log_apdus);
}

TEST(Config, ErrorsNameTheProblem) {
  struct Case {
    const char* json;
    const char* needle;
  } cases[] = {
      {"[]", "JSON object"},
      {"{", "not valid JSON"},
      {R"({"sokcet": "/x"})", "unknown key \"sokcet\""},
      {R"({"lock_hold_ms": -5})", "lock_hold_ms"},
      {R"({"lock_hold_ms": 99999999})", "between"},
      {R"({"socket_mode": "0999"})", "octal"},
      {R"({"allow_uids": ["no-such-user-xyz"]})", "unknown user"},
      {R"({"allow_gids": "wheel"})", "array"},
      {R"({"allow_uids": [99999999999]})", "out of range"},
      {R"({"socket_group": 4294967295})", "out of range"},
      {R"({"tcp": "0.0.0.0:8050"})", "loopback"},
      {R"({"tcp": "127.0.0.1"})", "HOST:PORT"},
      {R"({"socket": "", "tcp": ""})", "no listener"},
      {R"({"socket": "relative.sock"})", "absolute"},
      {R"({"connection": "jrcp:host"})", "connection string"},
      {R"({"log_level": "loud"})", "log_level"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.json, "/etc/se05xd.conf");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.json << " -> " << r.error().message;
    EXPECT_EQ(r.error().message.rfind("/etc/se05xd.conf", 0), 0u) << r.error().message;
  }
  EXPECT_TRUE(parse_config(R"({"tcp": "0.0.0.0:8050", "tcp_allow_remote": true})", "t").ok());
  EXPECT_TRUE(parse_config(R"({"tcp": "127.0.0.1:0"})", "t").ok());
}

TEST(Config, LoadFile) {
  EXPECT_FALSE(load_config("/nonexistent/se05xd.conf", false).ok());
  EXPECT_TRUE(load_config("/nonexistent/se05xd.conf", true).ok());
  std::string p = ::testing::TempDir() + "se05xd_test.conf";
  std::ofstream(p) << R"({"lock_hold_ms": 1234})";
  auto c = load_config(p, false);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->lock_hold_ms, 1234u);
  std::remove(p.c_str());
}

link::JrcpPeer unix_peer(uid_t uid, gid_t gid, pid_t pid = 4242) {
  link::JrcpPeer p;
  p.unix_socket = true;
  p.has_cred = true;
  p.cred = {pid, uid, gid};
  return p;
}

TEST(Access, Policy) {
  AccessPolicy open;
  EXPECT_FALSE(check_access(open, unix_peer(1000, 1000)).has_value());

  AccessPolicy p{{0, 1000}, {994}};
  auto no_groups = [](pid_t) { return std::vector<gid_t>{}; };
  EXPECT_FALSE(check_access(p, unix_peer(1000, 5), no_groups).has_value());
  EXPECT_FALSE(check_access(p, unix_peer(5, 994), no_groups).has_value());
  auto refused = check_access(p, unix_peer(1001, 1001, 77), no_groups);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("access denied for uid 1001"), std::string::npos);
  EXPECT_NE(refused->find("pid 77"), std::string::npos);
  // Supplementary groups count.
  auto groups = [](pid_t pid) { return pid == 77 ? std::vector<gid_t>{20, 994} : std::vector<gid_t>{}; };
  EXPECT_FALSE(check_access(p, unix_peer(1001, 1001, 77), groups).has_value());
  // No credentials on a Unix socket: refused; TCP: admitted (the operator enabled it).
  link::JrcpPeer nocred;
  nocred.unix_socket = true;
  EXPECT_TRUE(check_access(p, nocred, no_groups).has_value());
  link::JrcpPeer tcp;
  EXPECT_FALSE(check_access(p, tcp, no_groups).has_value());
}

TEST(Access, ProcGroups) {
  EXPECT_EQ(parse_proc_groups("Name:\tx\nGroups:\t4 24 994 \nNSpid: 1\n"), (std::vector<gid_t>{4, 24, 994}));
  EXPECT_TRUE(parse_proc_groups("Groups:\t\n").empty());
  EXPECT_TRUE(parse_proc_groups("garbage").empty());
  EXPECT_FALSE(proc_groups(::getpid()).size() > 65536);  // readable for ourselves, any size
}

}  // namespace
}  // namespace sx::broker
