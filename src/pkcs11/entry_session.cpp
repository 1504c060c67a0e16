// Sessions, login and PINs. Login state is token-wide (all sessions of the
// process); it ends with C_Logout or when the last session closes.
#include <mutex>
#include <string>

#include "pkcs11/entry_run.h"
#include "pkcs11/session_objects.h"
#include "pkcs11/export.h"
#include "token/pin.h"

using namespace sx::p11;
using sx::token::PinResult;
using sx::token::UserType;

namespace {

// A PIN with a NUL byte is invalid (and never counted): PBKDF2's HMAC
// zero-pads the PIN, so it would equal its prefix (token/pin.h).
CK_RV pin_arg(CK_UTF8CHAR_PTR p, CK_ULONG len, std::string& out) {
  if (p == nullptr && len != 0) return CKR_ARGUMENTS_BAD;
  out.assign(reinterpret_cast<const char*>(p), p == nullptr ? 0 : len);
  if (!sx::token::pin_acceptable(out)) return CKR_PIN_INVALID;
  return CKR_OK;
}

CK_RV new_pin_arg(CK_UTF8CHAR_PTR p, CK_ULONG len, std::string& out) {
  if (p == nullptr) return CKR_ARGUMENTS_BAD;
  if (CK_RV rv = pin_arg(p, len, out); rv != CKR_OK) return rv;
  if (len < kMinPinLen || len > kMaxPinLen) return CKR_PIN_LEN_RANGE;
  return CKR_OK;
}

// Secret strings are wiped when done.
struct WipeOnExit {
  std::string& s;
  ~WipeOnExit() { sx::secure_wipe(s.data(), s.size()); }
};

CK_RV rv_from_pin(PinResult r) {
  switch (r) {
    case PinResult::Ok: return CKR_OK;
    case PinResult::Incorrect: return CKR_PIN_INCORRECT;
    case PinResult::Locked: return CKR_PIN_LOCKED;
    default: return CKR_USER_PIN_NOT_INITIALIZED;
  }
}

// chip_mu held. rv_from_error, and a chip without a free session slot
// (Errc::Busy) keeps its link: the chip answered, nothing needs a reopen.
CK_RV chip_error(Module& m, const sx::Error& e, const char* fn, CK_RV invalid = CKR_ATTRIBUTE_VALUE_INVALID) {
  if (e.code == sx::Errc::Busy) m.chip.spare_next_reset();
  return rv_from_error(e, fn, invalid);
}

// chip_mu held: the token, opened and fresh.
CK_RV fresh_token(Module& m, const char* fn) {
  CK_RV rv = m.chip.ensure();
  if (rv != CKR_OK) return CKR_TOKEN_NOT_PRESENT;
  // A new check, unless the token's open just made one (docs/pkcs11-module.md §9a).
  auto& tok = m.chip.token();
  const auto window = std::chrono::milliseconds(m.cfg.freshness_ms);
  tok.expire_freshness(window);
  if (auto st = tok.refresh_within(window); !st) return rv_from_error(st.error(), fn);
  return CKR_OK;
}

CK_RV check(Module& m, UserType who, const std::string& pin, const char* fn) {
  auto r = m.chip.token().check_pin(who, pin);
  if (!r) return rv_from_error(r.error(), fn);
  if (*r != PinResult::Ok)
    log_info(std::string(fn) + ": " + (who == UserType::So ? "SO" : "user") + " PIN rejected" +
             (*r == PinResult::Locked ? " (locked)" : ""));
  return rv_from_pin(*r);
}

// Chip-PIN tokens (docs/chip-pin.md §3): the chip checks and counts; the session
// it opens is the login.
CK_RV chip_login(Module& m, UserType who, const std::string& pin, const char* fn) {
  auto r = m.chip.token().login(who, pin);
  if (!r) return chip_error(m, r.error(), fn);
  if (*r != PinResult::Ok)
    log_info(std::string(fn) + ": the chip rejected the " + (who == UserType::So ? "SO" : "user") + " PIN" +
             (*r == PinResult::Locked ? " (locked)" : ""));
  return rv_from_pin(*r);
}

// The token's login ends with the module's (C_Logout, the last session closed).
// chip_mu held (C_Logout's row).
void end_chip_login_locked(Module& m) {
  if (m.sessions.login() != LoginState::Public) return;
  m.chip.forget_login();  // a session kept over a device error is not re-opened either
  if (m.chip.open()) (void)m.chip.token().logout();
}

// C_CloseSession / C_CloseAllSessions take no module mutex (they never wait on
// a session's chip work); only when they end the login do they wait for chip_mu,
// to close the chip session (the Token is not thread-safe).
void end_chip_login(Module& m) {
  if (m.sessions.login() != LoginState::Public) return;
  std::lock_guard<std::mutex> lk(m.chip_mu);
  end_chip_login_locked(m);
}

// A chip-PIN token already initialised: the SO PIN is checked by opening the SO
// session, the label is changed inside it.
CK_RV reinit_chip_token(Module& m, const std::string& pin, const std::string& label) {
  if (pin.empty()) return CKR_PIN_INCORRECT;
  if (CK_RV rv = chip_login(m, UserType::So, pin, "C_InitToken"); rv != CKR_OK) return rv;
  auto st = m.chip.token().set_token_label(label);
  (void)m.chip.token().logout();
  if (!st) return rv_from_error(st.error(), "C_InitToken", CKR_ARGUMENTS_BAD);
  return CKR_OK;
}

// C_Login(CKU_CONTEXT_SPECIFIC): the PIN again for the session's sign / decrypt
// operation with a CKA_ALWAYS_AUTHENTICATE key (spec 2.40 §5.5, §4.9). The module
// keeps the per-operation rule; the PIN check is the login's own -- counted on the
// chip: host-PIN tokens through the failure counter, chip-PIN tokens by the chip
// itself (VerifySessionUserID in the user's open session). chip_mu held.
CK_RV context_login(Module& m, Session& s, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  using CA = Session::ContextAuth;
  std::string pin;
  WipeOnExit w{pin};
  if (CK_RV rv = pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
  const bool sign = s.sign && s.sign->active() && s.sign_auth != CA::None;
  const bool decrypt = s.decrypt && s.decrypt->active() && s.decrypt_auth != CA::None;
  if (!sign && !decrypt) return CKR_OPERATION_NOT_INITIALIZED;
  if (m.sessions.login() != LoginState::User) return CKR_USER_NOT_LOGGED_IN;
  if (pin.empty()) return CKR_PIN_INCORRECT;  // never counted, as C_Login's
  if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
  auto r = m.chip.token().verify_again(UserType::User, pin);
  if (!r) return chip_error(m, r.error(), "C_Login", CKR_PIN_INVALID);
  if (*r != PinResult::Ok) {
    log_info(std::string("C_Login: context-specific user PIN rejected") + (*r == PinResult::Locked ? " (locked)" : ""));
    return rv_from_pin(*r);
  }
  if (sign) s.sign_auth = CA::Given;
  if (decrypt) s.decrypt_auth = CA::Given;
  return CKR_OK;
}

CK_RV set(Module& m, UserType who, const std::string& pin, const char* fn) {
  if (auto st = m.chip.token().set_pin(who, pin); !st) return rv_from_error(st.error(), fn, CKR_PIN_INVALID);
  return CKR_OK;
}

}  // namespace

SX_P11_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR, CK_NOTIFY,
                                  CK_SESSION_HANDLE_PTR phSession) {
  return run<Entry::C_OpenSession>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if ((flags & CKF_SERIAL_SESSION) == 0) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    if (phSession == nullptr) return CKR_ARGUMENTS_BAD;
    if (m.chip.ensure() != CKR_OK) return CKR_TOKEN_NOT_PRESENT;
    // A new session sees every change committed before it was opened: its
    // first find reads the version whatever the freshness window says -- the
    // process's first session excepted, which trusts the read its token open
    // made within freshness_ms (docs/pkcs11-module.md §9a).
    m.chip.token().expire_freshness(std::chrono::milliseconds(m.cfg.freshness_ms));
    if ((flags & CKF_RW_SESSION) == 0 && m.sessions.login() == LoginState::So)
      return CKR_SESSION_READ_WRITE_SO_EXISTS;
    *phSession = m.sessions.add(flags & (CKF_SERIAL_SESSION | CKF_RW_SESSION));
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) {
  return run<Entry::C_CloseSession>([&](Module& m) -> CK_RV {
    if (!m.sessions.remove(hSession)) return CKR_SESSION_HANDLE_INVALID;
    release_session_keys(m, m.handles.drop_owned_by(hSession));  // before a logout: chip-PIN policies
    end_chip_login(m);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) {
  return run<Entry::C_CloseAllSessions>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    m.sessions.remove_all();
    release_session_keys(m, m.handles.drop_all_session_objects());
    end_chip_login(m);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  return run<Entry::C_GetSessionInfo>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pInfo == nullptr) return CKR_ARGUMENTS_BAD;
    *pInfo = CK_SESSION_INFO{};
    pInfo->slotID = kSlotId;
    pInfo->flags = s.flags;
    switch (m.sessions.login()) {
      case LoginState::User: pInfo->state = s.rw() ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS; break;
      case LoginState::So: pInfo->state = CKS_RW_SO_FUNCTIONS; break;
      default: pInfo->state = s.rw() ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION; break;
    }
    pInfo->ulDeviceError = 0;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                            CK_ULONG ulPinLen) {
  return run<Entry::C_Login>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (pPin == nullptr && ulPinLen != 0) return CKR_ARGUMENTS_BAD;  // arguments first (2.40 §5.1)
    if (userType == CKU_CONTEXT_SPECIFIC) return context_login(m, s, pPin, ulPinLen);
    if (userType != CKU_USER && userType != CKU_SO) return CKR_USER_TYPE_INVALID;
    std::string pin;
    WipeOnExit w{pin};
    if (CK_RV rv = pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
    const LoginState want = userType == CKU_USER ? LoginState::User : LoginState::So;
    const LoginState cur = m.sessions.login();
    if (cur == want) return CKR_USER_ALREADY_LOGGED_IN;
    if (cur != LoginState::Public) return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
    if (want == LoginState::So && m.sessions.any_read_only()) return CKR_SESSION_READ_ONLY_EXISTS;
    if (CK_RV rv = fresh_token(m, "C_Login"); rv != CKR_OK) return rv;
    const auto ti = m.chip.token().info();
    if (want == LoginState::User ? !ti.user_pin_set : !ti.initialized) return CKR_USER_PIN_NOT_INITIALIZED;
    // An empty PIN (aws-c-io logs in with NULL when no PIN is configured) is
    // refused without counting: it must not lock the token over reconnects.
    if (pin.empty()) return (want == LoginState::User ? ti.user_locked : ti.so_locked) ? CKR_PIN_LOCKED
                                                                                       : CKR_PIN_INCORRECT;
    const UserType who = want == LoginState::User ? UserType::User : UserType::So;
    CK_RV rv = ti.chip_pin ? chip_login(m, who, pin, "C_Login") : check(m, who, pin, "C_Login");
    if (rv != CKR_OK) return rv;
    m.sessions.set_login(want);
    log_debug(want == LoginState::User ? "user logged in" : "SO logged in");
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession) {
  return run<Entry::C_Logout>(hSession, [&](Module& m, Session&) -> CK_RV {
    m.sessions.set_login(LoginState::Public);
    end_chip_login_locked(m);
    return CKR_OK;
  });
}

// Fresh token: sets the SO PIN and the label. Initialised token: the SO PIN
// must match; only the label changes. Objects and the user PIN are never
// erased (docs/pkcs11-module.md, "Token initialisation").
SX_P11_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  return run<Entry::C_InitToken>([&](Module& m) -> CK_RV {
    if (slotID != kSlotId) return CKR_SLOT_ID_INVALID;
    if (pLabel == nullptr || pPin == nullptr) return CKR_ARGUMENTS_BAD;
    std::string pin;
    WipeOnExit w{pin};
    std::string label(reinterpret_cast<const char*>(pLabel), 32);
    while (!label.empty() && (label.back() == ' ' || label.back() == '\0')) label.pop_back();
    if (m.sessions.count(false) != 0) return CKR_SESSION_EXISTS;
    if (CK_RV rv = fresh_token(m, "C_InitToken"); rv != CKR_OK) return rv;
    auto& tok = m.chip.token();
    if (label.empty()) label = m.cfg.token_label;
    if (!tok.info().initialized && m.cfg.chip_pin) {
      if (CK_RV rv = new_pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
      if (auto st = tok.init_chip_token(label, pin); !st)
        return chip_error(m, st.error(), "C_InitToken", CKR_PIN_INVALID);
      log_info("token initialised (chip-PIN token: SO UserID created)");
      return CKR_OK;
    }
    if (tok.info().initialized && tok.chip_pin()) {
      if (CK_RV rv = pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
      return reinit_chip_token(m, pin, label);
    }
    if (!tok.info().initialized) {
      if (CK_RV rv = new_pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
      if (CK_RV rv = set(m, UserType::So, pin, "C_InitToken"); rv != CKR_OK) return rv;
      log_info("token initialised (SO PIN set)");
    } else {
      if (CK_RV rv = pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
      if (pin.empty()) return CKR_PIN_INCORRECT;
      if (CK_RV rv = check(m, UserType::So, pin, "C_InitToken"); rv != CKR_OK) return rv;
    }
    if (auto st = tok.set_token_label(label); !st) return rv_from_error(st.error(), "C_InitToken", CKR_ARGUMENTS_BAD);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  return run<Entry::C_InitPIN>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (!s.rw()) return CKR_SESSION_READ_ONLY;
    std::string pin;
    WipeOnExit w{pin};
    if (CK_RV rv = new_pin_arg(pPin, ulPinLen, pin); rv != CKR_OK) return rv;
    if (CK_RV rv = fresh_token(m, "C_InitPIN"); rv != CKR_OK) return rv;
    if (m.chip.token().chip_pin()) {
      if (auto st = m.chip.token().init_chip_user_pin(pin); !st) return rv_from_error(st.error(), "C_InitPIN", CKR_PIN_INVALID);
      return CKR_OK;
    }
    return set(m, UserType::User, pin, "C_InitPIN");
  });
}

SX_P11_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
                             CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen) {
  return run<Entry::C_SetPIN>(hSession, [&](Module& m, Session& s) -> CK_RV {
    if (!s.rw()) return CKR_SESSION_READ_ONLY;
    std::string old_pin, new_pin;
    WipeOnExit w1{old_pin}, w2{new_pin};
    if (CK_RV rv = pin_arg(pOldPin, ulOldLen, old_pin); rv != CKR_OK) return rv;
    if (CK_RV rv = new_pin_arg(pNewPin, ulNewLen, new_pin); rv != CKR_OK) return rv;
    const UserType who = m.sessions.login() == LoginState::So ? UserType::So : UserType::User;
    if (CK_RV rv = fresh_token(m, "C_SetPIN"); rv != CKR_OK) return rv;
    if (old_pin.empty()) return CKR_PIN_INCORRECT;
    if (m.chip.token().chip_pin()) {
      auto r = m.chip.token().change_chip_pin(who, old_pin, new_pin);
      if (!r) return chip_error(m, r.error(), "C_SetPIN", CKR_PIN_INVALID);
      return rv_from_pin(*r);
    }
    if (CK_RV rv = check(m, who, old_pin, "C_SetPIN"); rv != CKR_OK) return rv;
    return set(m, who, new_pin, "C_SetPIN");
  });
}
