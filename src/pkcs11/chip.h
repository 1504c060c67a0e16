// The one link to the SE05x and the token on it, opened lazily on first use
// through the device stack (device/token_open.h), the same way the CLI opens it.
// Not thread-safe: the module holds its chip mutex around every call.
#pragma once

#include <p11-kit/pkcs11.h>

#include <functional>
#include <memory>
#include <string>

#include "device/token_open.h"
#include "link/apdu_channel.h"
#include "pkcs11/config.h"
#include "token/token.h"

namespace sx::p11 {

// What CK_TOKEN_INFO and the mechanism list report: the device stack's facts
// plus the serial from the unique ID.
struct ChipFacts : device::ChipFacts {
  std::string serial;  // 16 hex digits from the unique ID (0x7FFF0206)
};

// The device-stack settings of a module configuration.
device::TokenSettings token_settings(const Config& cfg);

class Chip {
 public:
  explicit Chip(const Config& cfg) : cfg_(cfg) {}
  ~Chip();
  Chip(const Chip&) = delete;
  Chip& operator=(const Chip&) = delete;

  // Opens the link and the token when not open yet. CKR_OK, or
  // CKR_DEVICE_ERROR with one log line naming the connection (logged once
  // per failure streak, not on every call). After a reset() that ended a chip
  // session, logs in again with the kept value (docs/pkcs11-module.md §5a, "After
  // a device error"); when the chip refuses that, the login is gone: on_login_lost
  // runs and the call goes on in the public state (CKR_OK).
  // Inline: the warm path of every call that uses the chip is this one test.
  CK_RV ensure() { return token_ ? CKR_OK : open_now(); }
  bool open() const { return token_ != nullptr; }
  token::Token& token() { return *token_; }
  const ChipFacts& facts() const { return facts_; }

  // After a device error: close the token and the link so that the next call
  // reopens both (a restarted broker/simulator or a reset chip needs a fresh
  // SELECT and a fresh view of the objects). Handles stay valid: they name
  // chip IDs, which do not change. A chip-PIN login survives it: the session's
  // UserID value is kept in RAM for ensure() (never the PIN itself).
  void reset();
  // The module's login ended (C_Logout, last session closed): no re-login with a
  // value kept by reset(); the value is wiped.
  void forget_login();
  // Called (chip mutex held) when a kept login could not be re-established.
  void on_login_lost(std::function<void()> f) { on_login_lost_ = std::move(f); }

  // The next reset() is skipped once: a CKR_DEVICE_ERROR that is a chip answer
  // on a healthy link (no session slot free, Errc::Busy) needs no reopen.
  void spare_next_reset() { spare_reset_ = true; }

  // In a forked child: the link belongs to the parent; forget it without
  // sending anything on it (the objects are leaked deliberately).
  void abandon();

 private:
  // ensure() when the token is not open: opens the device stack and the token.
  CK_RV open_now();
  Config cfg_;
  std::unique_ptr<link::ApduChannel> channel_;
  std::unique_ptr<token::Token> token_;
  // ensure() after the token is open: the re-login of a kept session. CKR_OK
  // (also when the chip refused it: the login is dropped) or CKR_DEVICE_ERROR
  // when the link failed again (the value stays kept for the next try).
  CK_RV relogin_kept();

  ChipFacts facts_;
  std::shared_ptr<device::Scp03KeyRing> scp03_ring_;  // null: PlatformSCP03 off
  bool scp03_loaded_ = false;
  bool failing_ = false;
  bool spare_reset_ = false;
  // A chip session ended by reset(): its owner and UserID value; wiped once used.
  bool kept_ = false;
  token::UserType kept_who_ = token::UserType::User;
  Bytes kept_value_;
  std::function<void()> on_login_lost_;
};

// Maps a token-layer error to a CK_RV: link/chip failures CKR_DEVICE_ERROR,
// full chip CKR_DEVICE_MEMORY, uniqueness/argument problems `invalid`
// (the caller's choice: CKR_ATTRIBUTE_VALUE_INVALID, CKR_TEMPLATE_INCONSISTENT...).
// Logs the error text (no secrets are ever in it).
CK_RV rv_from_error(const Error& e, const char* what, CK_RV invalid = CKR_ATTRIBUTE_VALUE_INVALID);

}  // namespace sx::p11
