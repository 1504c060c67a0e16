// The one connection-string syntax every program accepts (CLI flags, env,
// config files), including NXP's EX_SSS_BOOT_SSS_PORT forms:
//   ""/"none"            -> i2c:/dev/i2c-1:0x48 (the A6E's SE050)
//   i2c:DEV[:ADDR]       -> i2c-dev, 7-bit ADDR (default 0x48)
//   jrcp:HOST:PORT       -> JRCP v1 over TCP; IPv6 as jrcp:[::1]:8050
//   unix:PATH            -> JRCP v1 over a Unix socket
//   vi2c:PATH            -> virtual I2C bus (link/vi2c.h), slave 0x48
//   /dev/i2c-1[:ADDR]    -> NXP form of i2c: (anything starting with '/')
//   HOST:PORT            -> NXP form of jrcp:
// ADDR is read like strtol(s, 0, 0) — "0x48", "72", "0110" (octal) — but the
// whole string must be a number.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sx::link {

struct Endpoint {
  enum class Kind { I2c, JrcpTcp, JrcpUnix, Vi2c };
  Kind kind = Kind::I2c;
  std::string path = "/dev/i2c-1";  // I2c device, Unix socket path or vi2c socket path
  uint8_t i2c_addr = 0x48;          // I2c and Vi2c
  std::string host;                 // JrcpTcp; IPv6 literal without brackets
  uint16_t port = 0;                // JrcpTcp

  bool operator==(const Endpoint&) const = default;
};

inline constexpr std::string_view kDefaultEndpoint = "i2c:/dev/i2c-1:0x48";

Result<Endpoint> parse_endpoint(std::string_view s);
// Listen: a TCP port of 0 is allowed and means "any free port".
enum class EndpointUse { Connect, Listen };
Result<Endpoint> parse_endpoint(std::string_view s, EndpointUse use);
// Canonical form; parse_endpoint(to_string(e)) == e.
std::string to_string(const Endpoint& e);

}  // namespace sx::link
