#include "pkcs11/chip.h"

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
  return s;
}

Chip::~Chip() {
  token_.reset();
  if (channel_) (void)channel_->close();
}

void Chip::reset() {
  if (!token_ && !channel_) return;
  log_warn("SE05x link reset after a device error; reopening on next use");
  token_.reset();
  if (channel_) (void)channel_->close();
  channel_.reset();
}

void Chip::abandon() {
  (void)token_.release();
  (void)channel_.release();
}

CK_RV Chip::ensure() {
  if (token_) return CKR_OK;
  const device::TokenSettings settings = token_settings(cfg_);
  const std::string conn = device::connection_of(settings);
  auto fail = [&](const std::string& why) {
    if (!failing_) log_error("SE05x at '" + conn + "' not reachable: " + why);
    failing_ = true;
    token_.reset();
    channel_.reset();
    return CKR_DEVICE_ERROR;
  };
  auto ch = device::open_device(settings);
  if (!ch) return fail(ch.error().to_string());
  channel_ = std::move(*ch);
  auto tok = device::open_token(*channel_, settings);
  if (!tok) return fail(tok.error().to_string());
  token_ = std::move(*tok);

  ChipFacts f;
  static_cast<device::ChipFacts&>(f) = device::chip_facts(token_->client());
  if (auto uid = device::read_unique_id(token_->client()); uid) f.serial = device::serial_of_unique_id(*uid);
  else log_warn("unique ID (0x7FFF0206) not readable; token serial left blank");
  facts_ = f;
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
    default:
      break;
  }
  log_line(rv == CKR_DEVICE_ERROR ? LogLevel::Error : LogLevel::Info, std::string(what) + ": " + e.to_string());
  return rv;
}

}  // namespace sx::p11
