#include "pkcs11/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>

#include "base/bytes.h"
#include "device/chip_lock.h"
#include "link/endpoint.h"
#include "token/metadata.h"
#include "token/pin.h"

namespace sx::p11 {

namespace {

constexpr std::array<std::string_view, 13> kKeys = {"port",           "token_label",  "log_level",
                                                   "log_target",     "lock_file",    "lock_wait_ms",
                                                   "pin_iterations", "freshness_ms", "verify_signatures",
                                                   "pin_storage", "user_pin_max_attempts", "scp03",
                                                   "scp03_key_file"};

// A larger file is no configuration of ours (and is not read into memory).
constexpr size_t kMaxConfigBytes = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The file may be anything its reader names (SE05X_PKCS11_CONF in a setuid
// program: any file on the system), so messages carry no text of it: only
// the line number and the known key names and value rules below.
Error line_error(std::string_view origin, size_t n, const std::string& what) {
  return make_error(Errc::InvalidArgument, std::string(origin) + ":" + std::to_string(n) + ": " + what);
}

// Levenshtein distance, capped: enough to recognise a typo of a known key.
size_t distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 99;
  std::array<size_t, 65> prev{}, cur{};
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? size_t{0} : size_t{1})});
    prev = cur;
  }
  return prev[b.size()];
}

std::string unknown_key(std::string_view key) {
  for (std::string_view k : kKeys)
    if (distance(key, k) <= 2) return "unknown key (did you mean '" + std::string(k) + "'?)";
  return "unknown key (known: port, token_label, log_level, log_target, lock_file, lock_wait_ms, pin_iterations, "
         "freshness_ms, verify_signatures, pin_storage, user_pin_max_attempts, scp03, scp03_key_file)";
}

// A decimal number in [lo, hi]; nothing else (no sign, no suffix, no overflow).
bool number_in(std::string_view val, uint32_t lo, uint32_t hi, uint32_t& out) {
  uint64_t v = 0;
  if (val.empty() || val.size() > 10) return false;
  auto r = std::from_chars(val.data(), val.data() + val.size(), v);
  if (r.ec != std::errc() || r.ptr != val.data() + val.size() || v < lo || v > hi) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

Config default_config() {
  Config c;
  c.lock_file = device::kDefaultLockPath;
  c.lock_wait_ms = static_cast<uint32_t>(device::kDefaultLockWait.count());
  c.pin_iterations = token::kDefaultPinIterations;
  return c;
}

Result<Config> parse_config(std::string_view text, std::string_view origin) {
  Config c = default_config();
  c.source = std::string(origin);
  std::map<std::string_view, size_t> seen;  // key -> line (keys are kKeys' own views)
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
    const std::string_view raw_key = trim(line.substr(0, eq));
    std::string_view val = trim(line.substr(eq + 1));
    if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
    std::string_view key;
    for (std::string_view k : kKeys)
      if (raw_key == k) key = k;
    if (key.empty()) return line_error(origin, n, unknown_key(raw_key));
    if (auto [it, fresh] = seen.emplace(key, n); !fresh)
      return line_error(origin, n, std::string(key) + " is set twice (first on line " + std::to_string(it->second) + ")");
    if (key == "port") {
      if (val.empty()) return line_error(origin, n, "port: empty connection string");
      c.port = std::string(val);
    } else if (key == "token_label") {
      if (val.empty() || val.size() > 32 || !token::valid_utf8(val))
        return line_error(origin, n, "token_label: 1 to 32 bytes of UTF-8");
      c.token_label = std::string(val);
    } else if (key == "log_level") {
      auto level = log::parse_level(val);
      if (!level) return line_error(origin, n, "log_level: one of none, error, warn, info, debug");
      c.log_level = *level;
    } else if (key == "log_target") {
      if (val == "stderr") c.log_target = LogTarget::Stderr;
      else if (val == "syslog") c.log_target = LogTarget::Syslog;
      else return line_error(origin, n, "log_target: stderr or syslog");
    } else if (key == "lock_file") {
      // Empty = no lock file. Only direct I2C links use it (docs/pkcs11-module.md section 2).
      if (!val.empty() && val.front() != '/') return line_error(origin, n, "lock_file: an absolute path, or empty");
      c.lock_file = std::string(val);
    } else if (key == "lock_wait_ms") {
      if (!number_in(val, 0, kMaxLockWaitMs, c.lock_wait_ms))
        return line_error(origin, n, "lock_wait_ms: milliseconds, 0 to " + std::to_string(kMaxLockWaitMs));
    } else if (key == "pin_iterations") {
      if (!number_in(val, token::kMinPinIterations, token::kMaxPinIterations, c.pin_iterations))
        return line_error(origin, n, "pin_iterations: a number from " + std::to_string(token::kMinPinIterations) +
                                         " to " + std::to_string(token::kMaxPinIterations));
    } else if (key == "freshness_ms") {
      if (!number_in(val, 0, 60000, c.freshness_ms)) return line_error(origin, n, "freshness_ms: milliseconds, 0 to 60000");
    } else if (key == "verify_signatures") {
      if (val != "rsa" && val != "yes" && val != "no")
        return line_error(origin, n, "verify_signatures: rsa, yes or no");
      c.verify_rsa = val != "no";
      c.verify_ecdsa = val == "yes";
    } else if (key == "pin_storage") {
      if (val != "host" && val != "chip") return line_error(origin, n, "pin_storage: host or chip");
      c.chip_pin = val == "chip";
    } else if (key == "scp03") {
      auto mode = device::parse_scp03_mode(val);
      if (!mode) return line_error(origin, n, "scp03: off, default-keys or required");
      c.scp03.mode = *mode;
    } else if (key == "scp03_key_file") {
      if (val.empty() || val.front() != '/') return line_error(origin, n, "scp03_key_file: an absolute path");
      c.scp03.key_file = std::string(val);
    } else if (key == "user_pin_max_attempts") {
      if (!number_in(val, 1, 255, c.pin_max_attempts))
        return line_error(origin, n, "user_pin_max_attempts: a number from 1 to 255");
    }
  }
  return c;
}

// Environment variables the module reads: secure_getenv, so a setuid or
// setgid program that loads the module (p11-kit) cannot be pointed at a
// configuration, a chip or a broker of its caller's choosing.
const char* module_env(const char* name) { return ::secure_getenv(name); }

Result<Config> load_config() {
  const char* env = module_env("SE05X_PKCS11_CONF");
  const bool explicit_path = env != nullptr && *env != '\0';
  std::string path = explicit_path ? env : kDefaultConfigPath;
  const std::string origin = path + (explicit_path ? " (SE05X_PKCS11_CONF)" : "");
  Config c = default_config();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    // Only a missing default file means built-in defaults.
    if (err == ENOENT && !explicit_path) return apply_env(c);
    return make_error(Errc::Io, origin + ": cannot be opened: " + std::strerror(err));
  }
  struct stat st {};
  std::string text;
  std::string problem;
  if (::fstat(fd, &st) != 0) problem = std::string("fstat: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) problem = "not a regular file";
  else if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) problem = "larger than 64 KiB";
  else {
    char buf[4096];
    for (;;) {
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        problem = std::string("read error: ") + std::strerror(errno);
        break;
      }
      if (got == 0) break;
      text.append(buf, static_cast<size_t>(got));
      if (text.size() > kMaxConfigBytes) {
        problem = "larger than 64 KiB";
        break;
      }
    }
  }
  ::close(fd);
  if (!problem.empty()) {
    secure_wipe(text.data(), text.size());
    return make_error(Errc::Io, origin + ": " + problem);
  }
  auto parsed = parse_config(text, path);
  secure_wipe(text.data(), text.size());
  if (!parsed) return parsed.take_error();
  return apply_env(std::move(*parsed));
}

Config apply_env(Config c) {
  // The rule every program shares (link::resolve_port): SE05X_PORT over the
  // file's `port`; the rest of the default is resolved when the chip is opened
  // (the broker socket may appear after C_Initialize).
  if (std::string port = link::port_from_env(); !port.empty()) c.port = std::move(port);
  return c;
}

}  // namespace sx::p11
