// Module configuration: /etc/se05x-pkcs11.conf (or the file named by
// SE05X_PKCS11_CONF), `key = value` lines, '#' comments; SE05X_PORT overrides
// `port`. Keys and their meaning: docs/pkcs11-module.md section 2. Every
// environment variable the module reads goes through secure_getenv.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "device/scp03_setup.h"
#include "pkcs11/log.h"

namespace sx::p11 {

inline constexpr const char* kDefaultConfigPath = "/etc/se05x-pkcs11.conf";
inline constexpr uint32_t kMaxLockWaitMs = 600000;

struct Config {
  std::string port;  // connection string; empty = se05x::default_connection()
  std::string token_label = "SE050";
  LogLevel log_level = LogLevel::Warning;
  LogTarget log_target = LogTarget::Stderr;
  // Chip lock file, used only on direct I2C links (i2c:, vi2c:); empty = none.
  std::string lock_file;  // set to device::kDefaultLockPath by the defaults
  uint32_t lock_wait_ms = 30000;  // bounded wait for it (0 = one try)
  uint32_t pin_iterations = 0;  // 0 = token default
  // Host re-verification of chip signatures (verify_signatures = rsa|yes|no):
  // RSA always by default (RSA-CRT fault attacks), ECDSA only with "yes".
  bool verify_rsa = true;
  bool verify_ecdsa = false;
  // How long one metadata version read vouches for freshness (freshness_ms,
  // docs/pkcs11-module.md section 9a): one connect's finds share one read.
  uint32_t freshness_ms = 250;
  // pin_storage = chip (default): C_InitToken makes chip-PIN tokens and the module
  // stacks the user-session layer (docs/chip-pin.md); host: the legacy PBKDF2
  // verifiers in the metadata, for tokens made by older releases until upgraded.
  bool chip_pin = true;
  // user_pin_max_attempts: the chip UserIDs' maximum (user and SO), 1..255.
  uint32_t pin_max_attempts = 10;
  // scp03 = off | default-keys | required, scp03_key_file = PATH: PlatformSCP03
  // on links where this process talks to the chip itself (docs/scp03.md §9);
  // SE05X_SCP03 / SE05X_SCP03_KEY_FILE override them when the chip is opened.
  device::Scp03Settings scp03;
  std::string source;  // file the values came from (for log lines); empty = built-in defaults
};

Config default_config();
// Parses the text of a configuration file over the defaults. Errors name the
// line: "<origin>:<n>: ..." and never quote the file's text. Unknown keys,
// keys set twice and numbers out of range are errors (a typo must not be ignored).
Result<Config> parse_config(std::string_view text, std::string_view origin);
// SE05X_PKCS11_CONF (must exist) or /etc/se05x-pkcs11.conf (optional; only
// "does not exist" means defaults), a regular file of at most 64 KiB, then
// the SE05X_PORT override.
Result<Config> load_config();
// The SE05X_PORT override.
Config apply_env(Config c);
// getenv for the module: secure_getenv (nothing from the environment in a
// setuid/setgid program).
const char* module_env(const char* name);

}  // namespace sx::p11
