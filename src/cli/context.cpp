#include "cli/context.h"

#include <fcntl.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>

#include "cli/file_format.h"
#include "link/endpoint.h"
#include "pkcs11/chip.h"
#include "pkcs11/config.h"
#include "se05x/connect.h"

namespace sx::cli {
namespace {

constexpr auto kReplaceInvalidUtf8 = nlohmann::json::error_handler_t::replace;

// First line of the bytes, without CR/LF.
std::string first_line(const Bytes& b) {
  std::string s(b.begin(), b.end());
  const auto nl = s.find_first_of("\r\n");
  std::string out = s.substr(0, nl);
  secure_wipe(s.data(), s.size());
  return out;
}

Result<std::string> prompt_secret(const std::string& prompt) {
  // NotFound, not InvalidArgument: a secret that is missing (PIN: exit code 5)
  // is not a bad value that was given (a new PIN too short: exit code 2).
  if (!::isatty(STDIN_FILENO))
    return make_error(Errc::NotFound, prompt + " needed: no terminal to ask (use a file option or the environment)");
  termios old{};
  const bool have = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (have) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  // Only now: what is typed once the prompt shows is never flushed away.
  std::cerr << prompt << ": " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  if (have) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::cerr << "\n";
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

bool lock_held_elsewhere(const std::string& path) {
  if (path.empty()) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return busy;
}

bool uses_lock_file(const std::string& connection) { return device::drives_i2c_bus(connection); }

namespace {

// A NUL byte cannot be part of a PIN (the verifier would accept its prefix,
// token/pin.h) and is never meant in a password: refused, never truncated.
Result<std::string> without_nul(std::string s, const std::string& what) {
  if (s.find('\0') == std::string::npos) return s;
  secure_wipe(s.data(), s.size());
  return make_error(Errc::InvalidArgument, what + " contains a NUL byte");
}

}  // namespace

namespace {

// A new PIN (read_new_secret's only use): 4..64 bytes, as the module checks.
// InvalidArgument: a bad value, exit code 2 (docs/cli.md).
constexpr size_t kNewPinMin = 4, kNewPinMax = 64;
Status check_new_pin_length(const std::string& pin) {
  if (pin.size() < kNewPinMin || pin.size() > kNewPinMax)
    return make_error(Errc::InvalidArgument, "a PIN must be " + std::to_string(kNewPinMin) + " to " +
                                                 std::to_string(kNewPinMax) + " characters long");
  return {};
}

}  // namespace

Result<std::string> read_secret(const std::string& file, const char* env, const std::string& prompt) {
  if (!file.empty()) {
    SX_ASSIGN(Bytes b, read_file(file));
    std::string s = first_line(b);
    secure_wipe(b);
    return without_nul(std::move(s), file);
  }
  if (env != nullptr) {
    if (const char* v = std::getenv(env); v != nullptr) return std::string(v);
  }
  SX_ASSIGN(std::string typed, prompt_secret(prompt));
  return without_nul(std::move(typed), prompt);
}

Result<std::string> read_new_secret(const std::string& file, const char* env, const std::string& prompt) {
  if (!file.empty() || (env != nullptr && std::getenv(env) != nullptr)) {
    SX_ASSIGN(std::string given, read_secret(file, env, prompt));
    if (auto bad = check_new_pin_length(given); !bad) {
      secure_wipe(given.data(), given.size());
      return bad.take_error();
    }
    return given;
  }
  SX_ASSIGN(std::string first, prompt_secret(prompt));
  // Refused before asking again: typing a too-short PIN twice only to hear
  // that it was too short the first time.
  if (auto bad = check_new_pin_length(first); !bad) {
    secure_wipe(first.data(), first.size());
    return bad.take_error();
  }
  auto again = prompt_secret(prompt + " (again)");
  if (!again) return again.take_error();
  const bool same = first == *again;
  secure_wipe(again->data(), again->size());
  if (!same) {
    secure_wipe(first.data(), first.size());
    return make_error(Errc::InvalidArgument, "the two entries differ");
  }
  return without_nul(std::move(first), prompt);
}

Exit exit_for(const Error& e) {
  switch (e.code) {
    case Errc::NoMemory: return Exit::ChipFull;
    case Errc::Exists: return Exit::Conflict;
    case Errc::NotFound: return Exit::NotFound;
    case Errc::InvalidArgument: return Exit::Usage;
    case Errc::PinIncorrect:
    case Errc::PinLocked: return Exit::Pin;
    case Errc::Io:
    case Errc::Nack:
    case Errc::Timeout:
    case Errc::Protocol:
    case Errc::LinkReset:
    case Errc::Closed:
      return Exit::NoChip;
    default: return Exit::Error;
  }
}

int Ctx::fail(Exit e, const std::string& message) {
  std::cerr << "se05x: error: " << message << "\n";
  if (g_.json)
    std::cout << nlohmann::json{{"error", message}, {"exit_code", code(e)}}.dump(-1, ' ', false, kReplaceInvalidUtf8) << "\n";
  return code(e);
}

int Ctx::fail(const Error& e, const std::string& what) {
  std::string msg = what + ": " + e.message;
  if (e.code == Errc::NoMemory) msg = what + ": the chip is full (" + e.message + "); delete unused objects first";
  return fail(exit_for(e), msg);
}

int Ctx::done(const nlohmann::json& j, const std::string& text) {
  // A label written by another tool may not be UTF-8: shown with U+FFFD
  // rather than failing the whole command.
  if (g_.json) std::cout << j.dump(2, ' ', false, kReplaceInvalidUtf8) << "\n";
  else if (!text.empty()) std::cout << text << (text.back() == '\n' ? "" : "\n");
  return 0;
}

void Ctx::note(const std::string& s) {
  if (!g_.json) std::cerr << s << "\n";
}

std::string Ctx::connection() const { return g_.port.empty() ? se05x::default_connection() : g_.port; }

const device::TokenSettings& Ctx::module_settings() const {
  if (!module_) {
    auto cfg = p11::load_config();
    module_ = cfg ? p11::token_settings(*cfg) : device::TokenSettings{};
    // Only where the lock file matters: elsewhere the module's settings go unused.
    if (!cfg && uses_lock_file(connection()))
      std::cerr << "se05x: note: module configuration not used (" << cfg.error().message << "); default lock file\n";
  }
  return *module_;
}

std::string Ctx::lock_path() const {
  if (!g_.lock_file.empty()) return g_.lock_file;
  if (const char* v = std::getenv("SE05X_LOCK_FILE"); v != nullptr) return v;
  return module_settings().lock_file;
}

device::TokenSettings Ctx::token_settings() const {
  device::TokenSettings s = module_settings();
  s.connection = connection();
  s.lock_file = lock_path();
  if (g_.lock_wait_s) s.lock_wait = std::chrono::seconds(*g_.lock_wait_s);
  if (!g_.scp03_key_file.empty()) s.scp03.key_file = g_.scp03_key_file;
  if (auto m = device::parse_scp03_mode(g_.scp03); m) s.scp03.mode = *m;
  // Warnings reach the user even with --json (stderr).
  s.scp03_warn = [](const std::string& w) { std::cerr << "se05x: warning: " << w << "\n"; };
  return s;
}

Result<std::shared_ptr<device::Scp03KeyRing>> Ctx::scp03_ring(const device::TokenSettings& s) const {
  // Given on the command line: exactly that, whatever the environment says.
  if (!g_.scp03.empty()) return device::scp03_key_ring(s.scp03, s.scp03_warn);
  device::Scp03Settings configured = s.scp03;
  SX_ASSIGN(device::Scp03Settings eff, device::scp03_with_env(configured));
  if (!g_.scp03_key_file.empty()) eff.key_file = g_.scp03_key_file;
  return device::scp03_key_ring(eff, s.scp03_warn);
}

namespace {

// The broker's status query; nullopt when `connection` is no se05xd.
std::optional<broker::BrokerStatus> broker_status(const std::string& connection) {
  auto ep = link::parse_endpoint(connection);
  if (!ep || (ep->kind != link::Endpoint::Kind::JrcpUnix && ep->kind != link::Endpoint::Kind::JrcpTcp))
    return std::nullopt;
  auto st = broker::query_status(link::to_string(*ep), 2000);
  if (!st) return std::nullopt;
  return std::move(*st);
}

// The link layers start their errors with the connection string ("unix:/x:
// connect /x: ..."); our own message already names it once.
std::string without_connection(std::string message, const std::string& conn) {
  for (const std::string& prefix : {conn + ": ", std::string("i2c: ")})
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  return message;
}

}  // namespace

bool Ctx::try_open(std::string& error, bool& no_chip) {
  device::TokenSettings settings = token_settings();
  const std::string& conn = settings.connection;
  auto ring = scp03_ring(settings);
  if (!ring) {
    no_chip = false;
    error = ring.error().message;
    return false;
  }
  settings.scp03_ring = *ring;
  if (!*ring) settings.scp03 = device::Scp03Settings{};
  // Through se05xd, opening waits in the broker's queue while another client
  // holds the chip (up to the broker's hold limit): say who, instead of hanging
  // silently. The status query itself never waits.
  // The same answer feeds `info`'s broker section: one query per command.
  broker_ = broker_status(conn);
  if (broker_ && broker_->lock_holder != 0)
    note("Waiting for the chip: " + broker::holder_name(*broker_) + " holds it (se05xd lets one client hold it for " +
         std::to_string(broker_->lock_hold_max_ms) + " ms at most)...");
  auto ch = device::open_device(settings);
  if (!ch) {
    no_chip = true;
    error = "no chip reachable at " + conn + ": " + without_connection(ch.error().message, conn);
    return false;
  }
  channel_ = std::move(*ch);
  if (uses_lock_file(conn) && lock_held_elsewhere(settings.lock_file))
    note("Waiting for another process that is using the chip (" + settings.lock_file + ")...");
  auto t = device::open_token(*channel_, settings);
  if (!t) {
    no_chip = exit_for(t.error()) == Exit::NoChip;
    error = "cannot open the token at " + conn + ": " + without_connection(t.error().message, conn);
    return false;
  }
  token_ = std::move(*t);
  // The CLI shows, exports and checks every object: the chip's own list (objects
  // other tools made since the index was written) and every object's bytes, which
  // the module reads only when an attribute needs them (docs/token-store.md §2.4).
  Status listed = token_->list_chip();
  if (listed) listed = token_->load_all_bytes();
  if (!listed) {
    no_chip = exit_for(listed.error()) == Exit::NoChip;
    error = "cannot list the token at " + conn + ": " + without_connection(listed.error().message, conn);
    return false;
  }
  // Chip-PIN tokens: the PIN state is the chip's counters (docs/chip-pin.md §3).
  if (token_->chip_pin())
    if (auto st = token_->read_pin_counters(std::chrono::steady_clock::duration::zero()); !st) {
      no_chip = exit_for(st.error()) == Exit::NoChip;
      error = "cannot read the PIN counters at " + conn + ": " + without_connection(st.error().message, conn);
      return false;
    }
  return true;
}

std::optional<int> Ctx::open() {
  std::string err;
  bool no_chip = false;
  if (try_open(err, no_chip)) return std::nullopt;
  return fail(no_chip ? Exit::NoChip : Exit::Error, err);
}

namespace {

// The way back from a locked PIN, named in every message that leads there.
// User PIN: the SO sets a new one. SO PIN: there is nobody above the SO, so
// the token starts over and the module's keys go with it (docs/cli.md
// "Locked PINs").
// so_locked: a user PIN cannot be reset by a locked SO either; then only the reset helps.
std::string pin_recovery(bool so, bool so_locked, bool chip) {
  if (so || so_locked) {
    // A chip-PIN token: nothing can rewrite the SO's UserID without its session
    // (docs/chip-pin.md §1); only the chip's DeleteAll starts over.
    if (chip)
      return "recover with `se05x token reset --factory` (destroys every key, certificate and PIN on the chip; "
             "factory objects stay)";
    return "recover with `se05x token reset --yes --label LABEL` (a new SO PIN; deletes the module's keys and "
           "certificates, factory objects stay)";
  }
  return "recover with `se05x token init-pin` (needs the SO PIN)";
}

std::string pin_locked_text(bool so, bool so_locked, bool chip) {
  return std::string(so ? "SO" : "user") + " PIN is locked (too many wrong PINs" + (chip ? ", counted by the chip" : "") +
         "); " + pin_recovery(so, so_locked, chip);
}

std::string pin_wrong_text(bool so, unsigned left, bool so_locked, bool chip) {
  std::string s = std::string("wrong ") + (so ? "SO" : "user") + " PIN (";
  if (left == 1) return s + "1 try left: the next wrong PIN locks it; " + pin_recovery(so, so_locked, chip) + ")";
  return s + std::to_string(left) + " tries left)";
}

unsigned tries_left(const token::TokenInfo& i, bool so) {
  const unsigned failures = so ? i.so_failures : i.user_failures;
  const unsigned max = so ? i.so_max : i.user_max;
  return failures < max ? max - failures : 0u;
}

}  // namespace

Ctx::~Ctx() {
  // A chip session left open would hold one of the chip's two session slots
  // (docs/se05x-protocol.md §4.9.6) until the next SELECT: close it.
  if (token_ && token_->logged_in()) (void)token_->logout();
}

std::optional<int> Ctx::login(token::UserType who, std::string* keep) {
  const auto info = token_->info();
  const bool so = who == token::UserType::So;
  if (so ? !info.initialized : !info.user_pin_set) {
    // A chip-PIN token's keys and metadata are writable only in a session
    // (docs/chip-pin.md §2): without a user PIN nothing can be made yet.
    if (!so && info.chip_pin)
      return fail(Exit::Pin, "the token has no user PIN yet: set one with `se05x token init-pin` (needs the SO PIN)");
    return std::nullopt;  // nothing to check yet
  }
  if (so ? info.so_locked : info.user_locked) return fail(Exit::Pin, pin_locked_text(so, info.so_locked, info.chip_pin));
  auto pin = read_pin(so);
  if (!pin) return fail(Exit::Pin, pin.error().message);
  if (keep != nullptr) *keep = *pin;
  return info.chip_pin ? chip_login(who, *pin) : host_login(who, *pin);
}

Result<std::string> Ctx::read_pin(bool so) const {
  const std::string& file = so ? g_.so_pin_file : g_.pin_file;
  const char* env = so ? "SE05X_SO_PIN" : "SE05X_PIN";
  // Scripts (systemd units, fleet provisioning) have no terminal: say exactly
  // which option or variable gives the PIN.
  if (file.empty() && std::getenv(env) == nullptr && !::isatty(STDIN_FILENO))
    return make_error(Errc::NotFound, std::string(so ? "SO" : "user") + " PIN needed: no terminal to ask (use " +
                                          (so ? "--so-pin-file" : "--pin-file") + " FILE or " + env + ")");
  return read_secret(file, env, so ? "SO PIN" : "User PIN");
}

std::optional<int> Ctx::host_login(token::UserType who, std::string& pin) {
  const bool so = who == token::UserType::So;
  auto r = token_->check_pin(who, pin);
  secure_wipe(pin.data(), pin.size());
  if (!r) return fail(r.error(), "PIN check");
  switch (*r) {
    case token::PinResult::Ok:
    case token::PinResult::NotSet: return std::nullopt;
    case token::PinResult::Locked: return fail(Exit::Pin, pin_locked_text(so, token_->info().so_locked, false));
    case token::PinResult::Incorrect: break;
  }
  // check_pin() committed the count: the cached metadata has it.
  const auto after = token_->info();
  return fail(Exit::Pin, pin_wrong_text(so, tries_left(after, so), after.so_locked, false));
}

// The chip checks and counts (docs/chip-pin.md §3): the session it opens is the
// login, kept until the command ends (~Ctx).
std::optional<int> Ctx::chip_login(token::UserType who, std::string& pin) {
  const bool so = who == token::UserType::So;
  auto r = token_->login(who, pin);
  secure_wipe(pin.data(), pin.size());
  if (!r) {
    if (r.error().code == Errc::Busy)
      return fail(Exit::Error, "the chip has no free session for this PIN: another process is logged in with it "
                               "directly (use the broker, se05xd, to share the chip)");
    return fail(r.error(), "PIN check on the chip");
  }
  if (*r == token::PinResult::Ok || *r == token::PinResult::NotSet) return std::nullopt;
  // The counter the chip just moved: read it again.
  (void)token_->read_pin_counters(std::chrono::steady_clock::duration::zero());
  const auto after = token_->info();
  if (*r == token::PinResult::Locked) return fail(Exit::Pin, pin_locked_text(so, after.so_locked, true));
  return fail(Exit::Pin, pin_wrong_text(so, tries_left(after, so), after.so_locked, true));
}

Result<token::PinResult> Ctx::check_pin(token::UserType who, const std::string& pin) {
  if (!token_->chip_pin()) return token_->check_pin(who, pin);
  SX_ASSIGN(token::PinResult r, token_->login(who, pin));
  if (r == token::PinResult::Ok) (void)token_->logout();
  (void)token_->read_pin_counters(std::chrono::steady_clock::duration::zero());
  return r;
}

std::optional<int> Ctx::login_user() { return login(token::UserType::User); }
std::optional<int> Ctx::login_so() { return login(token::UserType::So); }
std::optional<int> Ctx::login_user_keeping(std::string& pin) { return login(token::UserType::User, &pin); }

}  // namespace sx::cli
