#include "broker/config.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "link/endpoint.h"

namespace sx::broker {

namespace {

using json = nlohmann::json;

Error bad(const std::string& origin, const std::string& why) {
  return make_error(Errc::InvalidArgument, origin + ": " + why);
}

bool small_id(const json& v) { return v.is_number_unsigned() && v.get<uint64_t>() < 0xFFFFFFFFull; }

Result<uid_t> resolve_user(const json& v, const std::string& origin) {
  if (v.is_number_unsigned() && !small_id(v)) return bad(origin, "allow_uids: number out of range");
  if (v.is_number_unsigned()) return static_cast<uid_t>(v.get<uint32_t>());
  if (!v.is_string()) return bad(origin, "allow_uids: entries must be user names or numbers");
  std::string name = v.get<std::string>();
  passwd pw{}, *res = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) != 0 || !res)
    return bad(origin, "allow_uids: unknown user \"" + name + "\"");
  return pw.pw_uid;
}

Result<gid_t> resolve_group(const json& v, const std::string& origin, const char* key) {
  if (v.is_number_unsigned() && !small_id(v)) return bad(origin, std::string(key) + ": number out of range");
  if (v.is_number_unsigned()) return static_cast<gid_t>(v.get<uint32_t>());
  if (!v.is_string()) return bad(origin, std::string(key) + ": entries must be group names or numbers");
  std::string name = v.get<std::string>();
  group gr{}, *res = nullptr;
  std::vector<char> buf(16384);
  if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || !res)
    return bad(origin, std::string(key) + ": unknown group \"" + name + "\"");
  return gr.gr_gid;
}

Result<uint32_t> get_u32(const json& v, const std::string& origin, const char* key, uint32_t lo, uint32_t hi) {
  if (!v.is_number_unsigned()) return bad(origin, std::string(key) + " must be a non-negative integer");
  uint64_t n = v.get<uint64_t>();
  if (n < lo || n > hi)
    return bad(origin, std::string(key) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return static_cast<uint32_t>(n);
}

Result<std::string> get_str(const json& v, const std::string& origin, const char* key) {
  if (!v.is_string()) return bad(origin, std::string(key) + " must be a string");
  return v.get<std::string>();
}

// The plain number keys and their ranges.
struct NumberKey {
  const char* key;
  uint32_t Config::*field;
  uint32_t lo, hi;
};
constexpr NumberKey kNumberKeys[] = {
    {"lock_hold_ms", &Config::lock_hold_ms, 10, 600000},
    {"max_clients", &Config::max_clients, 1, 4096},
    {"max_clients_per_uid", &Config::max_clients_per_uid, 1, 4096},
    {"message_timeout_ms", &Config::message_timeout_ms, 10, 600000},
    {"idle_timeout_ms", &Config::idle_timeout_ms, 0, 86400000},
    {"refusal_timeout_ms", &Config::refusal_timeout_ms, 10, 60000},
    {"socket_check_ms", &Config::socket_check_ms, 0, 3600000},
    {"max_queue", &Config::max_queue, 1, 1024},
    {"max_payload", &Config::max_payload, 261, 65535},
};

const NumberKey* number_key(const std::string& k) {
  for (const auto& n : kNumberKeys)
    if (k == n.key) return &n;
  return nullptr;
}

Result<Config> parse_object(const json& j, const std::string& origin) {
  if (!j.is_object()) return bad(origin, "the configuration must be a JSON object");
  Config c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (const NumberKey* n = number_key(k)) {
      SX_ASSIGN(c.*(n->field), get_u32(v, origin, n->key, n->lo, n->hi));
    } else if (k == "connection") {
      SX_ASSIGN(c.connection, get_str(v, origin, "connection"));
    } else if (k == "socket") {
      SX_ASSIGN(c.socket, get_str(v, origin, "socket"));
    } else if (k == "socket_mode") {
      // "0660" (octal string, like chmod) or a number.
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s.empty() || s.size() > 4 || s.find_first_not_of("01234567") != std::string::npos)
          return bad(origin, "socket_mode must be an octal string like \"0660\"");
        c.socket_mode = static_cast<uint32_t>(std::stoul(s, nullptr, 8));
      } else {
        SX_ASSIGN(c.socket_mode, get_u32(v, origin, "socket_mode", 0, 07777));
      }
    } else if (k == "socket_group") {
      if (v.is_number_unsigned()) {
        if (!small_id(v)) return bad(origin, "socket_group: number out of range");
        c.socket_group = std::to_string(v.get<uint32_t>());
      } else {
        SX_ASSIGN(c.socket_group, get_str(v, origin, "socket_group"));
      }
    } else if (k == "tcp") {
      SX_ASSIGN(c.tcp, get_str(v, origin, "tcp"));
    } else if (k == "tcp_allow_remote") {
      if (!v.is_boolean()) return bad(origin, "tcp_allow_remote must be true or false");
      c.tcp_allow_remote = v.get<bool>();
    } else if (k == "allow_uids") {
      if (!v.is_array()) return bad(origin, "allow_uids must be an array");
      for (const auto& e : v) {
        SX_ASSIGN(uid_t u, resolve_user(e, origin));
        c.allow_uids.push_back(u);
      }
    } else if (k == "allow_gids") {
      if (!v.is_array()) return bad(origin, "allow_gids must be an array");
      for (const auto& e : v) {
        SX_ASSIGN(gid_t g, resolve_group(e, origin, "allow_gids"));
        c.allow_gids.push_back(g);
      }
    } else if (k == "log_level") {
      SX_ASSIGN(std::string s, get_str(v, origin, "log_level"));
      auto l = parse_log_level(s);
      if (!l) return bad(origin, "log_level must be error, warning, info or debug");
      c.log_level = *l;
    } else if (k == "scp03") {
      SX_ASSIGN(std::string s, get_str(v, origin, "scp03"));
      auto m = device::parse_scp03_mode(s);
      if (!m) return bad(origin, "scp03 must be off, default-keys or required");
      c.scp03.mode = *m;
    } else if (k == "scp03_key_file") {
      SX_ASSIGN(c.scp03.key_file, get_str(v, origin, "scp03_key_file"));
      if (c.scp03.key_file.empty() || c.scp03.key_file[0] != '/')
        return bad(origin, "scp03_key_file must be an absolute path");
    } else if (k == "log_apdus") {
      if (!v.is_boolean()) return bad(origin, "log_apdus must be true or false");
      c.log_apdus = v.get<bool>();
    } else {
      return bad(origin, "unknown key \"" + k + "\"");
    }
  }
  return c;
}

}  // namespace

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  in6_addr a6{};
  if (::inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;  // ::ffff:127.x.y.z
  }
  return false;
}

Result<Config> parse_config(std::string_view text, const std::string& origin) {
  try {
    // JSON itself allows a key twice (the last one wins); in a security
    // configuration that hides mistakes, e.g. a second "allow_uids" silently
    // replacing the first. Keys are tracked per object while parsing.
    std::vector<std::set<std::string>> keys;
    std::string duplicate;
    json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
      if (ev == json::parse_event_t::object_start) {
        keys.emplace_back();
      } else if (ev == json::parse_event_t::object_end) {
        if (!keys.empty()) keys.pop_back();
      } else if (ev == json::parse_event_t::key && !keys.empty() && parsed.is_string()) {
        if (!keys.back().insert(parsed.get<std::string>()).second && duplicate.empty())
          duplicate = parsed.get<std::string>();
      }
      return true;
    };
    json j = json::parse(text.begin(), text.end(), cb, true, /*ignore_comments=*/true);
    if (!duplicate.empty()) return bad(origin, "duplicate key \"" + duplicate + "\" (each key may appear once)");
    SX_ASSIGN(Config c, parse_object(j, origin));
    if (Status v = validate(c); !v) return bad(origin, v.error().message);
    return c;
  } catch (const std::exception& e) {
    return bad(origin, std::string("not valid JSON: ") + e.what());
  }
}

Result<Config> load_config(const std::string& path, bool missing_ok) {
  std::ifstream in(path);
  if (!in) {
    if (missing_ok && ::access(path.c_str(), F_OK) != 0) return Config{};
    return make_error(Errc::Io, path + ": cannot read the configuration file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

Result<link::Endpoint> tcp_endpoint(const std::string& hp) {
  bool any = hp.size() > 2 && hp.compare(hp.size() - 2, 2, ":0") == 0;
  SX_ASSIGN(link::Endpoint ep, link::parse_endpoint("jrcp:" + (any ? hp.substr(0, hp.size() - 1) + "1" : hp)));
  if (any) ep.port = 0;
  return ep;
}

Status validate(const Config& c) {
  if (c.socket.empty() && c.tcp.empty())
    return make_error(Errc::InvalidArgument, "no listener: set \"socket\" and/or \"tcp\"");
  if (!c.connection.empty()) {
    auto ep = link::parse_endpoint(c.connection);
    if (!ep) return ep.take_error();
    // E.g. SE05X_PORT exported for the clients in the broker's own shell.
    if (ep->kind == link::Endpoint::Kind::JrcpUnix && ep->path == c.socket)
      return make_error(Errc::InvalidArgument, "the chip connection " + c.connection +
                                                   " is this broker's own socket; name the chip (e.g. " +
                                                   std::string(link::kDefaultEndpoint) + ")");
  }
  if (!c.socket.empty()) {
    auto ep = link::parse_endpoint("unix:" + c.socket);
    if (!ep) return ep.take_error();
    if (c.socket[0] != '/') return make_error(Errc::InvalidArgument, "socket must be an absolute path");
  }
  if (!c.tcp.empty()) {
    auto ep = tcp_endpoint(c.tcp);
    if (!ep) return ep.take_error();
    if (!c.tcp_allow_remote && !is_loopback(ep->host))
      return make_error(Errc::InvalidArgument,
                        "tcp: " + ep->host +
                            " is not a loopback address; TCP clients carry no credentials, so only "
                            "tcp_allow_remote=true permits this");
  }
  return {};
}

}  // namespace sx::broker
