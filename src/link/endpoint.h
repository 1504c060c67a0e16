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

// The documented defaults (README, docs/cli.md, docs/broker.md), defined here
// and nowhere else: the A6E's SE050, and the socket se05xd serves on.
inline constexpr std::string_view kDefaultEndpoint = "i2c:/dev/i2c-1:0x48";
inline constexpr std::string_view kDefaultBrokerSocket = "/run/se05x/se05xd.sock";

// Who resolves a connection: a client of the chip (se05x, se05x-demo, the
// PKCS#11 module) or the broker, which owns the chip and must not follow
// the variables that point clients at the broker itself.
enum class PortUser { Client, Broker };

// How every program picks its chip connection, in this order:
//   1. `option`: the program's --port (se05xd: also --connection);
//   2. SE05X_PORT;
//   3. `configured`: a configuration file's value (se05xd.conf "connection",
//      se05x-pkcs11.conf "port"), when the program has one;
//   4. Client: EX_SSS_BOOT_SSS_PORT, then "unix:<broker socket>" when that
//      socket exists, then kDefaultEndpoint.  Broker: kDefaultEndpoint.
// The environment is read with secure_getenv: the module is loaded by
// setuid programs too, which must not take a chip from their caller.
std::string resolve_port(std::string_view option, std::string_view configured, PortUser who);
// SE05X_PORT when set and non-empty.
std::string port_from_env();
// SE05X_BROKER_SOCKET when set and non-empty, else kDefaultBrokerSocket.
std::string broker_socket_path();
// resolve_port({}, {}, PortUser::Client): what a client uses when given nothing.
std::string default_connection();

Result<Endpoint> parse_endpoint(std::string_view s);
// Listen: a TCP port of 0 is allowed and means "any free port".
enum class EndpointUse { Connect, Listen };
Result<Endpoint> parse_endpoint(std::string_view s, EndpointUse use);
// Canonical form; parse_endpoint(to_string(e)) == e.
std::string to_string(const Endpoint& e);

}  // namespace sx::link
