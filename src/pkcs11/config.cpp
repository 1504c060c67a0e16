#include "pkcs11/config.h"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "token/file_lock.h"
#include "token/metadata.h"
#include "token/pin.h"

namespace sx::p11 {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Error line_error(std::string_view origin, size_t n, const std::string& what) {
  return make_error(Errc::InvalidArgument, std::string(origin) + ":" + std::to_string(n) + ": " + what);
}

}  // namespace

Config default_config() {
  Config c;
  c.lock_file = token::kDefaultLockPath;
  c.pin_iterations = token::kDefaultPinIterations;
  return c;
}

Result<Config> parse_config(std::string_view text, std::string_view origin) {
  Config c = default_config();
  c.source = std::string(origin);
  size_t n = 0;
  while (!text.empty()) {
    ++n;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return line_error(origin, n, "expected 'key = value'");
    std::string_view key = trim(line.substr(0, eq));
    std::string_view val = trim(line.substr(eq + 1));
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
    if (key == "port") {
      if (val.empty()) return line_error(origin, n, "port: empty connection string");
      c.port = std::string(val);
    } else if (key == "token_label") {
      if (val.empty() || val.size() > 32) return line_error(origin, n, "token_label: 1 to 32 bytes");
      c.token_label = std::string(val);
    } else if (key == "log_level") {
      if (val == "none") c.log_level = LogLevel::None;
      else if (val == "error") c.log_level = LogLevel::Error;
      else if (val == "warn" || val == "warning") c.log_level = LogLevel::Warn;
      else if (val == "info") c.log_level = LogLevel::Info;
      else if (val == "debug") c.log_level = LogLevel::Debug;
      else return line_error(origin, n, "log_level: one of none, error, warn, info, debug");
    } else if (key == "log_target") {
      if (val == "stderr") c.log_target = LogTarget::Stderr;
      else if (val == "syslog") c.log_target = LogTarget::Syslog;
      else return line_error(origin, n, "log_target: stderr or syslog");
    } else if (key == "lock_file") {
      c.lock_file = std::string(val);  // empty = no lock file (a broker serialises access)
    } else if (key == "pin_iterations") {
      uint32_t v = 0;
      auto r = std::from_chars(val.data(), val.data() + val.size(), v);
      if (r.ec != std::errc() || r.ptr != val.data() + val.size() || v < token::kMinPinIterations)
        return line_error(origin, n,
                          "pin_iterations: a number >= " + std::to_string(token::kMinPinIterations));
      c.pin_iterations = v;
    } else if (key == "freshness_ms") {
      uint32_t v = 0;
      auto r = std::from_chars(val.data(), val.data() + val.size(), v);
      if (r.ec != std::errc() || r.ptr != val.data() + val.size() || v > 60000)
        return line_error(origin, n, "freshness_ms: milliseconds, 0 to 60000");
      c.freshness_ms = v;
    } else if (key == "verify_signatures") {
      if (val != "rsa" && val != "yes" && val != "no")
        return line_error(origin, n, "verify_signatures: rsa, yes or no");
      c.verify_rsa = val != "no";
      c.verify_ecdsa = val == "yes";
    } else {
      return line_error(origin, n, "unknown key '" + std::string(key) + "'");
    }
  }
  return c;
}

Result<Config> load_config() {
  const char* env = std::getenv("SE05X_PKCS11_CONF");
  const bool explicit_path = env != nullptr && *env != '\0';
  std::string path = explicit_path ? env : kDefaultConfigPath;
  Config c = default_config();
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(Errc::Io, path + ": read error");
    SX_ASSIGN(c, parse_config(ss.str(), path));
  } else if (explicit_path) {
    return make_error(Errc::Io, path + " (SE05X_PKCS11_CONF): cannot be opened");
  }
  if (const char* port = std::getenv("SE05X_PORT"); port != nullptr && *port != '\0') c.port = port;
  return c;
}

}  // namespace sx::p11
