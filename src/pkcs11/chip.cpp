#include "pkcs11/chip.h"

#include <utility>

#include "pkcs11/log.h"

namespace sx::p11 {

device::TokenSettings token_settings(const Config& cfg) {
  device::TokenSettings s;
  s.connection = cfg.port;
  s.lock_file = cfg.lock_file;
  s.lock_wait = std::chrono::milliseconds(cfg.lock_wait_ms);
  s.pin_iterations = cfg.pin_iterations;
  s.chip_pin = cfg.chip_pin;
  s.pin_max_attempts = static_cast<uint16_t>(cfg.pin_max_attempts);
  s.scp03 = cfg.scp03;
  s.scp03_warn = [](const std::string& w) { log_warn(w); };
  return s;
}

Chip::~Chip() {
  forget_login();
  // C_Finalize ends the login: close the chip session rather than leave it to the
  // next SELECT (on a direct link another process's login would meet it: Busy).
  if (token_ && token_->logged_in()) (void)token_->logout();
  token_.reset();
  if (channel_) (void)channel_->close();
}

void Chip::reset() {
  if (std::exchange(spare_reset_, false)) return;
  if (!token_ && !channel_) return;
  log_warn("SE05x link reset after a device error; reopening on next use");
  // The re-open's SELECT ends the chip session (docs/se05x-protocol.md §4.9.6):
  // keep what opens it again, so that a logged-in application (a Greengrass
  // nucleus never logs in twice) stays logged in.
  token::UserType who = token::UserType::User;
  Bytes value;
  if (token_ && token_->session_credentials(who, value)) {
    forget_login();
    kept_ = true;
    kept_who_ = who;
    kept_value_ = std::move(value);
  } else if (token_ && token_->chip_pin() && on_login_lost_) {
    // The session layer already gave the session up (a re-login the chip refused):
    // nothing to re-open; whoever believed to be logged in is not.
    on_login_lost_();
  }
  token_.reset();
  if (channel_) (void)channel_->close();
  channel_.reset();
}

void Chip::forget_login() {
  secure_wipe(kept_value_);
  kept_value_.clear();
  kept_ = false;
}

void Chip::abandon() {
  // The child has no login of its own (it must C_Initialize and log in again).
  forget_login();
  (void)token_.release();
  (void)channel_.release();
}

CK_RV Chip::relogin_kept() {
  if (!kept_) return CKR_OK;
  auto r = token_->relogin(kept_who_, kept_value_);
  if (r && *r == token::PinResult::Ok) {
    forget_login();
    log_info("chip session re-opened after the link was reopened (still logged in)");
    return CKR_OK;
  }
  if (!r) {
    // The link failed again: that says nothing about the PIN; try with the next call.
    if (is_link_failure(r.error().code) || r.error().code == Errc::Malformed) {
      log_warn("re-login after the reopen failed on the link: " + r.error().to_string());
      return CKR_DEVICE_ERROR;
    }
  }
  // The chip refused (PIN changed or locked by another process, no session slot...):
  // the application's login is over, as after C_Logout; it must log in again.
  std::string why = r ? "PIN no longer accepted" : r.error().to_string();
  if (!r && r.error().code == Errc::Busy)
    why = "another process holds this PIN's session; share the chip through se05xd";
  log_warn("the chip refused the re-login after the link was reopened (" + why + "); logged out");
  forget_login();
  if (on_login_lost_) on_login_lost_();
  return CKR_OK;
}

CK_RV Chip::open_now() {
  device::TokenSettings settings = token_settings(cfg_);
  const std::string conn = device::connection_of(settings);
  auto fail = [&](const std::string& why) {
    if (!failing_) log_error("SE05x at '" + conn + "' not reachable: " + why);
    failing_ = true;
    token_.reset();
    channel_.reset();
    return CKR_DEVICE_ERROR;
  };
  // PlatformSCP03 keys: loaded once per C_Initialize and kept across reopens
  // (one warning about public keys, the working set tried first).
  if (!scp03_loaded_) {
    auto ring = device::scp03_ring_for(settings.scp03, settings.scp03_warn);
    if (!ring) return fail(ring.error().to_string());
    scp03_ring_ = std::move(*ring);
    scp03_loaded_ = true;
  }
  settings.scp03_ring = scp03_ring_;
  if (!scp03_ring_) settings.scp03 = device::Scp03Settings{};  // off, environment included
  auto ch = device::open_device(settings);
  if (!ch) return fail(ch.error().to_string());
  channel_ = std::move(*ch);
  auto tok = device::open_token(*channel_, settings);
  if (!tok) return fail(tok.error().to_string());
  token_ = std::move(*tok);

  ChipFacts f;
  static_cast<device::ChipFacts&>(f) = device::chip_facts(token_->client());
  // From the object index when it carries the unique ID (no APDU), else read once.
  if (auto uid = token_->unique_id(); uid && uid->size() >= 8) f.serial = device::serial_of_unique_id(*uid);
  else log_warn("unique ID (0x7FFF0206) not readable; token serial left blank");
  facts_ = f;
  if (CK_RV rv = relogin_kept(); rv != CKR_OK) {
    token_.reset();
    if (channel_) (void)channel_->close();
    channel_.reset();
    return rv;
  }
  if (failing_) log_info("SE05x at '" + conn + "' reachable again");
  failing_ = false;
  log_info("opened SE05x at '" + conn + "' (" + channel_->describe() + "), applet " +
           std::to_string(f.applet_major) + "." + std::to_string(f.applet_minor));
  return CKR_OK;
}

CK_RV rv_from_error(const Error& e, const char* what, CK_RV invalid) {
  CK_RV rv = CKR_DEVICE_ERROR;
  switch (e.code) {
    case Errc::Exists:
    case Errc::InvalidArgument:
      rv = invalid;
      break;
    case Errc::NoMemory:
      rv = CKR_DEVICE_MEMORY;
      break;
    case Errc::Unsupported:
      rv = CKR_ACTION_PROHIBITED;
      break;
    case Errc::NotFound:
      rv = CKR_OBJECT_HANDLE_INVALID;
      break;
    // Chip-PIN tokens (docs/pkcs11-module.md, return codes): a change without a
    // login, a chip policy refusal (6986) inside a session, the chip's PIN answers.
    case Errc::NotLoggedIn:
      rv = CKR_USER_NOT_LOGGED_IN;
      break;
    case Errc::AccessDenied:
      rv = CKR_ACTION_PROHIBITED;
      break;
    case Errc::PinIncorrect:
      rv = CKR_PIN_INCORRECT;
      break;
    case Errc::PinLocked:
      rv = CKR_PIN_LOCKED;
      break;
    case Errc::Busy:
      // The chip opens one session per authentication object and two in all
      // (docs/se05x-protocol.md §4.9.6): another process on a direct link holds
      // this PIN's session. One line, saying what to do (docs/install.md).
      log_error(std::string(what) + ": the SE05x opens no session for this PIN: another process is logged in " +
                "with it on a direct link (the chip allows one session per PIN, two in all); run the broker " +
                "se05xd and point every process at it (docs/install.md, \"Several processes\")");
      return CKR_DEVICE_ERROR;
    default:
      break;
  }
  log_line(rv == CKR_DEVICE_ERROR ? LogLevel::Error : LogLevel::Info, std::string(what) + ": " + e.to_string());
  return rv;
}

}  // namespace sx::p11
