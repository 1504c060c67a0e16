#include "link/endpoint.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/un.h>

namespace sx::link {

namespace {

Error bad(std::string_view input, const std::string& why) {
  return make_error(Errc::InvalidArgument, "connection string \"" + std::string(input) + "\": " + why);
}

// strtol(s, nullptr, 0) semantics without its silent acceptance of trailing junk.
bool parse_number(std::string_view s, unsigned long& out) {
  if (s.empty()) return false;
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  unsigned long v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return false;
    if (d >= base) return false;
    v = v * base + d;
    if (v > 0xFFFF) return false;  // far beyond any valid address or port
  }
  out = v;
  return true;
}

Result<std::string> check_path(std::string_view input, std::string_view path, bool socket) {
  if (path.empty()) return bad(input, "empty path");
  if (path.find('\0') != std::string_view::npos) return bad(input, "NUL byte in path");
  if (socket && path.size() >= sizeof(sockaddr_un::sun_path))
    return bad(input, "socket path longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  return std::string(path);
}

Result<Endpoint> parse_i2c(std::string_view input, std::string_view rest) {
  Endpoint e;
  e.kind = Endpoint::Kind::I2c;
  std::string_view dev = rest;
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos) {
    dev = rest.substr(0, colon);
    std::string_view a = rest.substr(colon + 1);
    unsigned long v = 0;
    if (!parse_number(a, v)) return bad(input, "bad I2C address \"" + std::string(a) + "\" (want e.g. 0x48 or 72)");
    if (v > 0x7F) return bad(input, "I2C address " + std::string(a) + " is not a 7-bit address (max 0x7F)");
    e.i2c_addr = static_cast<uint8_t>(v);
  }
  SX_ASSIGN(e.path, check_path(input, dev, false));
  return e;
}

Result<Endpoint> parse_host_port(std::string_view input, std::string_view rest, bool listen) {
  Endpoint e;
  e.kind = Endpoint::Kind::JrcpTcp;
  e.path.clear();
  std::string_view host, port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad(input, "missing ']' after IPv6 address");
    host = rest.substr(1, close - 1);
    if (close + 1 >= rest.size() || rest[close + 1] != ':') return bad(input, "missing :PORT after ]");
    port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad(input, "expected HOST:PORT");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad(input, "IPv6 addresses must be written as [ADDR]:PORT");
  }
  if (host.empty()) return bad(input, "empty host");
  if (host.find_first_of(" \t\n/[]") != std::string_view::npos || host.find('\0') != std::string_view::npos)
    return bad(input, "bad host \"" + std::string(host) + "\"");
  if (port.empty()) return bad(input, "empty port");
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535) return bad(input, "bad port \"" + std::string(port) + "\"");
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if ((p == 0 && !listen) || p > 65535) return bad(input, "port " + std::string(port) + " out of range 1-65535");
  e.host = std::string(host);
  e.port = static_cast<uint16_t>(p);
  return e;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view s) { return parse_endpoint(s, EndpointUse::Connect); }

Result<Endpoint> parse_endpoint(std::string_view s, EndpointUse use) {
  const bool listen = use == EndpointUse::Listen;
  if (s.empty() || s == "none") return Endpoint{};
  if (starts_with(s, "i2c:")) return parse_i2c(s, s.substr(4));
  if (starts_with(s, "jrcp:")) return parse_host_port(s, s.substr(5), listen);
  if (starts_with(s, "unix:") || starts_with(s, "vi2c:")) {
    Endpoint e;
    e.kind = s[0] == 'u' ? Endpoint::Kind::JrcpUnix : Endpoint::Kind::Vi2c;
    SX_ASSIGN(e.path, check_path(s, s.substr(5), true));
    return e;
  }
  if (s[0] == '/') return parse_i2c(s, s);
  return parse_host_port(s, s, listen);
}

namespace {

std::string env_value(const char* name) {
  const char* v = ::secure_getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

}  // namespace

std::string port_from_env() { return env_value("SE05X_PORT"); }

std::string broker_socket_path() {
  std::string v = env_value("SE05X_BROKER_SOCKET");
  return v.empty() ? std::string(kDefaultBrokerSocket) : v;
}

std::string resolve_port(std::string_view option, std::string_view configured, PortUser who) {
  if (!option.empty()) return std::string(option);
  if (std::string env = port_from_env(); !env.empty()) return env;
  if (!configured.empty()) return std::string(configured);
  if (who == PortUser::Client) {
    // NXP's variable, so programs built on their middleware and ours agree.
    if (std::string nxp = env_value("EX_SSS_BOOT_SSS_PORT"); !nxp.empty()) return nxp;
    // A container only needs /run/se05x mounted to find the broker.
    const std::string sock = broker_socket_path();
    struct stat st{};
    if (::stat(sock.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return "unix:" + sock;
  }
  return std::string(kDefaultEndpoint);
}

std::string default_connection() { return resolve_port({}, {}, PortUser::Client); }

std::string to_string(const Endpoint& e) {
  switch (e.kind) {
    case Endpoint::Kind::I2c: {
      static const char* digits = "0123456789abcdef";
      std::string a = "0x";
      a += digits[e.i2c_addr >> 4];
      a += digits[e.i2c_addr & 0xF];
      return "i2c:" + e.path + ":" + a;
    }
    case Endpoint::Kind::JrcpTcp:
      if (e.host.find(':') != std::string::npos) return "jrcp:[" + e.host + "]:" + std::to_string(e.port);
      return "jrcp:" + e.host + ":" + std::to_string(e.port);
    case Endpoint::Kind::JrcpUnix:
      return "unix:" + e.path;
    case Endpoint::Kind::Vi2c:
      return "vi2c:" + e.path;
  }
  return "?";
}

}  // namespace sx::link
