// What every command shares: the global options, the output (text or JSON),
// failures with their exit code, the chip session and the PIN.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "broker/status.h"
#include "cli/exit_codes.h"
#include "device/token_open.h"
#include "link/apdu_channel.h"
#include "token/token.h"

namespace sx::cli {

struct GlobalOptions {
  std::string port;        // connection string; empty: se05x::default_connection()
  std::string pin_file;    // user PIN (first line)
  std::string so_pin_file; // SO PIN (token init / init-pin)
  bool json = false;
  std::string lock_file;   // empty: SE05X_LOCK_FILE, else the module's lock_file
  std::optional<unsigned> lock_wait_s;  // bounded wait for the lock file; unset: the module's lock_wait_ms
  // PlatformSCP03 (--scp03, --scp03-key-file): over SE05X_SCP03 / SE05X_SCP03_KEY_FILE
  // and the module configuration's scp03 / scp03_key_file. Empty: not given.
  std::string scp03;
  std::string scp03_key_file;
};

// Where PINs and passwords come from, in this order: a file given on the
// command line, an environment variable, an interactive prompt (no echo).
// Never logged, never part of an error message.
Result<std::string> read_secret(const std::string& file, const char* env, const std::string& prompt);
// The same for a new secret: a prompt asks twice and both must agree.
Result<std::string> read_new_secret(const std::string& file, const char* env, const std::string& prompt);

class Ctx {
 public:
  explicit Ctx(GlobalOptions& g) : g_(g) {}
  ~Ctx();
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
  GlobalOptions& opt() { return g_; }
  bool json() const { return g_.json; }

  // One line to stderr ("se05x: error: ..."), JSON {"error","exit_code"} on
  // stdout with --json; returns the exit code to hand back.
  int fail(Exit e, const std::string& message);
  // Maps a library error to an exit code (NoMemory -> ChipFull, ...).
  int fail(const Error& e, const std::string& what);
  // Text for humans, or the JSON document with --json.
  int done(const nlohmann::json& j, const std::string& text);
  // Progress / notes for humans: stderr, suppressed with --json.
  void note(const std::string& s);

  std::string connection() const;
  // Opens the link and the token; failures are reported (the int is the exit code).
  std::optional<int> open();
  // The same without reporting: the error text for a caller that collects checks.
  bool try_open(std::string& error, bool& no_chip);
  // The chip lock file (whatever the link; doctor reports on it). open() uses
  // it only on links where this process drives the I2C bus (uses_lock_file()).
  std::string lock_path() const;
  // How the token is opened: the module's configuration (lock_file,
  // lock_wait_ms, pin_iterations) under the command line and SE05X_LOCK_FILE,
  // so the CLI and the module wait for the same lock the same time.
  device::TokenSettings token_settings() const;
  token::Token& token() { return *token_; }
  link::ApduChannel& channel() { return *channel_; }
  // Behind se05xd: who held the chip and who waited when open() began (asked
  // before our own connection, so it shows the holder that opening waited for).
  // nullopt for other JRCP servers (a simulator, NXP's accessManager) and i2c:.
  const std::optional<broker::BrokerStatus>& broker() const { return broker_; }
  // User login for commands that use or change keys: required when the token
  // has a user PIN. Counts failures on the chip like the module does.
  std::optional<int> login_user();
  std::optional<int> login_so();
  // login_user() that hands back the PIN it logged in with (C_SetPIN of a
  // chip-PIN token needs the old PIN again); the caller wipes it.
  std::optional<int> login_user_keeping(std::string& pin);
  // A PIN checked the way the token checks it (host verifier, or a chip session
  // that is closed again); a wrong one counts. Does not report.
  Result<token::PinResult> check_pin(token::UserType who, const std::string& pin);
  // The PIN lines shared by `info` and `token info`: who checks the PINs, tries
  // left of the maximum, locked and the way out.
  void pin_state(nlohmann::json& j, std::string& text);

 private:
  std::optional<int> login(token::UserType who, std::string* keep = nullptr);
  // The PIN to log in with: file, environment or prompt (a clear error without a terminal).
  Result<std::string> read_pin(bool so) const;
  // PBKDF2 verifiers in the metadata (host PINs) / a chip session (chip PINs); the PIN is wiped.
  std::optional<int> host_login(token::UserType who, std::string& pin);
  std::optional<int> chip_login(token::UserType who, std::string& pin);
  // The PlatformSCP03 keys for these settings: the command line over the
  // environment over the configuration; null when off.
  Result<std::shared_ptr<device::Scp03KeyRing>> scp03_ring(const device::TokenSettings& s) const;
  // The module's configuration, read on first use; defaults when it cannot be read.
  const device::TokenSettings& module_settings() const;
  GlobalOptions& g_;
  mutable std::optional<device::TokenSettings> module_;
  std::unique_ptr<link::ApduChannel> channel_;
  std::unique_ptr<token::Token> token_;
  std::optional<broker::BrokerStatus> broker_;
};

Exit exit_for(const Error& e);
// True when another process holds the chip's lock file right now.
bool lock_held_elsewhere(const std::string& path);
// Whether a connection drives the I2C bus from this process (i2c:, vi2c:) and
// so needs the chip lock file; a broker or JRCP server serialises its clients.
bool uses_lock_file(const std::string& connection);

}  // namespace sx::cli
