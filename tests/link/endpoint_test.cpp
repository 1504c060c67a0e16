#include "link/endpoint.h"

#include <gtest/gtest.h>

namespace sx::link {
namespace {

using K = Endpoint::Kind;

Endpoint ok(std::string_view s) {
  auto r = parse_endpoint(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Endpoint{};
}

void bad(std::string_view s, std::string_view fragment) {
  auto r = parse_endpoint(s);
  ASSERT_FALSE(r.ok()) << s << " parsed as " << to_string(*r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(Endpoint, DefaultIsA6eChip) {
  for (auto s : {"", "none"}) {
    Endpoint e = ok(s);
    EXPECT_EQ(e.kind, K::I2c);
    EXPECT_EQ(e.path, "/dev/i2c-1");
    EXPECT_EQ(e.i2c_addr, 0x48);
    EXPECT_EQ(to_string(e), "i2c:/dev/i2c-1:0x48");
  }
}

TEST(Endpoint, I2cForms) {
  Endpoint e = ok("i2c:/dev/i2c-3:0x49");
  EXPECT_EQ(e.kind, K::I2c);
  EXPECT_EQ(e.path, "/dev/i2c-3");
  EXPECT_EQ(e.i2c_addr, 0x49);
  e = ok("i2c:/dev/i2c-1");
  EXPECT_EQ(e.path, "/dev/i2c-1");
  EXPECT_EQ(e.i2c_addr, 0x48);
  // NXP EX_SSS_BOOT_SSS_PORT forms, address like strtol(..., 0).
  e = ok("/dev/i2c-1:0x48");
  EXPECT_EQ(e.kind, K::I2c);
  EXPECT_EQ(e.i2c_addr, 0x48);
  EXPECT_EQ(ok("/dev/i2c-1:72").i2c_addr, 72);
  EXPECT_EQ(ok("/dev/i2c-1:0110").i2c_addr, 0110);
  EXPECT_EQ(ok("/dev/i2c-1:0X7f").i2c_addr, 0x7F);
  EXPECT_EQ(ok("/dev/i2c-2").path, "/dev/i2c-2");
  EXPECT_EQ(to_string(ok("/dev/i2c-1:72")), "i2c:/dev/i2c-1:0x48");
}

TEST(Endpoint, JrcpForms) {
  Endpoint e = ok("jrcp:127.0.0.1:8050");
  EXPECT_EQ(e.kind, K::JrcpTcp);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 8050);
  e = ok("127.0.0.1:8050");
  EXPECT_EQ(e.kind, K::JrcpTcp);
  EXPECT_EQ(e.port, 8050);
  e = ok("localhost:8040");
  EXPECT_EQ(e.host, "localhost");
  EXPECT_EQ(e.port, 8040);
  e = ok("jrcp:[::1]:8050");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(to_string(e), "jrcp:[::1]:8050");
  EXPECT_EQ(ok("[fe80::1]:1").host, "fe80::1");
  EXPECT_EQ(ok("jrcp:host:65535").port, 65535);
}

TEST(Endpoint, SocketForms) {
  Endpoint e = ok("unix:/run/se05x.sock");
  EXPECT_EQ(e.kind, K::JrcpUnix);
  EXPECT_EQ(e.path, "/run/se05x.sock");
  e = ok("vi2c:/tmp/x/bus");
  EXPECT_EQ(e.kind, K::Vi2c);
  EXPECT_EQ(e.path, "/tmp/x/bus");
  EXPECT_EQ(to_string(e), "vi2c:/tmp/x/bus");
  EXPECT_EQ(ok("unix:rel.sock").path, "rel.sock");
}

TEST(Endpoint, RoundTrip) {
  for (auto s : {"i2c:/dev/i2c-1:0x48", "i2c:/dev/i2c-0:0x00", "jrcp:10.0.0.1:1", "jrcp:[::1]:8050", "unix:/a/b",
                 "vi2c:/c"}) {
    Endpoint e = ok(s);
    EXPECT_EQ(to_string(e), s);
    EXPECT_EQ(ok(to_string(e)), e);
  }
}

TEST(Endpoint, Errors) {
  bad("i2c:/dev/i2c-1:0x80", "7-bit");
  bad("i2c:/dev/i2c-1:200", "7-bit");
  bad("/dev/i2c-1:0x4g", "bad I2C address");
  bad("/dev/i2c-1:", "bad I2C address");
  bad("/dev/i2c-1:08", "bad I2C address");  // 8 is not an octal digit
  bad("/dev/i2c-1:-1", "bad I2C address");
  bad("/dev/i2c-1:0x48 ", "bad I2C address");
  bad("i2c:", "empty path");
  bad("i2c::0x48", "empty path");
  bad("unix:", "empty path");
  bad("vi2c:", "empty path");
  bad("unix:/" + std::string(200, 'a'), "longer than");
  bad("jrcp:127.0.0.1:0", "out of range");
  bad("jrcp:127.0.0.1:65536", "out of range");
  bad("jrcp:127.0.0.1:99999999999999999999", "bad port");
  bad("jrcp:127.0.0.1:80a", "bad port");
  bad("jrcp:127.0.0.1:", "empty port");
  bad("jrcp::8050", "empty host");
  bad("jrcp:127.0.0.1", "HOST:PORT");
  bad("jrcp:::1:8050", "IPv6");
  bad("jrcp:[::1]8050", "missing :PORT");
  bad("jrcp:[::1:8050", "missing ']'");
  bad("localhost", "HOST:PORT");
  bad(std::string_view("/dev/i2c\0x", 10), "NUL");
}

}  // namespace
}  // namespace sx::link

namespace sx::link {
namespace {

TEST(EndpointListen, PortZeroMeansAnyFreePortOnlyWhenListening) {
  EXPECT_FALSE(parse_endpoint("jrcp:127.0.0.1:0").ok());
  auto e = parse_endpoint("jrcp:127.0.0.1:0", EndpointUse::Listen);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->port, 0);
  EXPECT_EQ(e->kind, Endpoint::Kind::JrcpTcp);
  EXPECT_TRUE(parse_endpoint("unix:/tmp/x.sock", EndpointUse::Listen).ok());
  EXPECT_FALSE(parse_endpoint("jrcp:127.0.0.1:65536", EndpointUse::Listen).ok());
}

}  // namespace
}  // namespace sx::link
