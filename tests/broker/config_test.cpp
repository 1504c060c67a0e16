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

TEST(Config, DuplicateKeyIsAnErrorNamingTheKey) {
  auto r = parse_config(R"({"allow_uids": [0], "lock_hold_ms": 100, "allow_uids": [1000]})", "/etc/se05xd.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("duplicate key \"allow_uids\""), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.rfind("/etc/se05xd.conf", 0), 0u) << r.error().message;
  // The same key in two different objects is no duplicate (nested values are rejected elsewhere).
  EXPECT_TRUE(parse_config(R"({"socket_mode": "0660", "log_level": "info"})", "t").ok());
}

TEST(Config, TcpAcceptsAllOfLoopback) {
  for (const char* ok : {"127.0.0.1:8050", "127.0.0.2:8050", "127.255.255.254:1", "[::1]:8050", "localhost:8050"})
    EXPECT_TRUE(parse_config(std::string(R"({"tcp": ")") + ok + "\"}", "t").ok()) << ok;
  for (const char* bad : {"128.0.0.1:8050", "10.0.0.1:8050", "0.0.0.0:8050", "[::]:8050", "[::2]:8050",
                          "127.example.com:8050"}) {
    auto r = parse_config(std::string(R"({"tcp": ")") + bad + "\"}", "t");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("loopback"), std::string::npos) << bad << " -> " << r.error().message;
  }
}

TEST(Config, LimitAndTimeoutKeys) {
  auto c = parse_config(R"({"max_clients_per_uid": 4, "message_timeout_ms": 250, "idle_timeout_ms": 60000,
                            "refusal_timeout_ms": 300, "socket_check_ms": 0})", "t");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->max_clients_per_uid, 4u);
  EXPECT_EQ(c->message_timeout_ms, 250u);
  EXPECT_EQ(c->idle_timeout_ms, 60000u);
  EXPECT_EQ(c->refusal_timeout_ms, 300u);
  EXPECT_EQ(c->socket_check_ms, 0u);
  auto d = parse_config("{}", "t");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->max_clients_per_uid, 16u);
  EXPECT_EQ(d->message_timeout_ms, 5000u);
  EXPECT_EQ(d->idle_timeout_ms, 0u);
  EXPECT_FALSE(parse_config(R"({"message_timeout_ms": 0})", "t").ok());  // half messages must time out
  EXPECT_FALSE(parse_config(R"({"max_clients_per_uid": 0})", "t").ok());
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
  EXPECT_FALSE(check_access(p, unix_peer(1000, 5)).has_value());
  EXPECT_FALSE(check_access(p, unix_peer(5, 994)).has_value());
  auto refused = check_access(p, unix_peer(1001, 1001, 77));
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("access denied for uid 1001"), std::string::npos);
  EXPECT_NE(refused->find("pid 77"), std::string::npos);
  // Supplementary groups (from the connection) count.
  link::JrcpPeer member = unix_peer(1001, 1001, 77);
  member.has_groups = true;
  member.groups = {20, 994};
  EXPECT_FALSE(check_access(p, member).has_value());
  // No credentials on a Unix socket: refused; TCP: admitted (the operator enabled it).
  link::JrcpPeer nocred;
  nocred.unix_socket = true;
  EXPECT_TRUE(check_access(p, nocred).has_value());
  link::JrcpPeer tcp;
  EXPECT_FALSE(check_access(p, tcp).has_value());
}

// The broker in its own PID namespace sees pid 0 for clients outside it;
// supplementary groups come from SO_PEERGROUPS with the connection, never
// from /proc/<pid> (which would also race with PID reuse).
TEST(Access, SupplementaryGroupsFromTheConnectionWithUnknownPid) {
  AccessPolicy p{{}, {994}};
  link::JrcpPeer peer = unix_peer(65534, 65534, /*pid=*/0);
  peer.has_groups = true;
  peer.groups = {20, 994};
  EXPECT_FALSE(check_access(p, peer).has_value());
  peer.groups = {20};
  auto r = check_access(p, peer);
  ASSERT_TRUE(r.has_value());
  EXPECT_NE(r->find("access denied for uid 65534"), std::string::npos) << *r;
  // A peer whose pid is our own would have our groups in /proc: they must not count.
  link::JrcpPeer self = unix_peer(65534, 65534, ::getpid());
  self.has_groups = true;
  AccessPolicy mine{{}, {}};
  std::vector<gid_t> g(static_cast<size_t>(std::max(0, ::getgroups(0, nullptr))));
  if (!g.empty() && ::getgroups(static_cast<int>(g.size()), g.data()) > 0) {
    mine.gids = {g[0]};
    if (g[0] != 65534) {
      EXPECT_TRUE(check_access(mine, self).has_value());
    }
  }
}

}  // namespace
}  // namespace sx::broker
