#include "link/socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <fstream>

#include "fake_bus.h"
#include "link/open_bus.h"
#include "link/vi2c.h"
#include "support/temp_dir.h"

namespace sx::link {
namespace {

struct Pair {
  Fd a, b;
  Pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
      a.reset(sv[0]);
      b.reset(sv[1]);
    }
  }
};

TEST(Socket, ReadExactAcrossWritesAndTimeout) {
  Pair p;
  ASSERT_TRUE(write_all(p.a.get(), hex("0102")).ok());
  ASSERT_TRUE(write_all(p.a.get(), hex("03")).ok());
  uint8_t buf[3];
  ASSERT_TRUE(read_exact(p.b.get(), buf, 1000).ok());
  EXPECT_EQ(Bytes(buf, buf + 3), hex("010203"));
  auto t = read_exact(p.b.get(), buf, 0);  // nothing pending: immediate timeout
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, Errc::Timeout);
}

TEST(Socket, PeerGoneIsClosed) {
  Pair p;
  ASSERT_TRUE(write_all(p.a.get(), hex("01")).ok());
  p.a.reset();
  uint8_t buf[2];
  auto r = read_exact(p.b.get(), buf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::Closed);
  auto w = write_all(p.b.get(), hex("01"));  // no SIGPIPE
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, Errc::Closed);
}

TEST(Socket, TcpConnectRefusedAndResolveErrors) {
  auto l = tcp_listen("127.0.0.1", 0);
  ASSERT_TRUE(l.ok());
  uint16_t port = *local_port(l->get());
  l->reset();  // nobody listens on port now
  auto c = tcp_connect("127.0.0.1", port, 2000);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::Io);
  EXPECT_FALSE(tcp_connect("no-such-host.invalid", 1, 2000).ok());
}

TEST(Socket, UnixListenRefusesRegularFile) {
  sx::testing::TempDir dir;
  std::ofstream(dir.file("f")) << "x";
  auto l = unix_listen(dir.file("f"));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code, Errc::Exists);
  EXPECT_EQ(unix_listen("").error().code, Errc::InvalidArgument);
}

TEST(OpenBus, Vi2cEndpointAndJrcpRejected) {
  sx::testing::TempDir dir;
  test::FakeBus fake;
  Vi2cServer server(fake);
  ASSERT_TRUE(server.listen(dir.file("bus")).ok());
  ASSERT_TRUE(server.start().ok());
  auto bus = open_i2c_bus(*parse_endpoint("vi2c:" + dir.file("bus")));
  ASSERT_TRUE(bus.ok()) << bus.error().message;
  ASSERT_TRUE((*bus)->write(hex("AB")).ok());
  EXPECT_EQ(fake.writes().at(0), hex("AB"));
  EXPECT_EQ(open_i2c_bus(*parse_endpoint("jrcp:127.0.0.1:1")).error().code, Errc::InvalidArgument);
}

}  // namespace
}  // namespace sx::link
