// Runs an entry point's body as its row in entry_table.h says: the exception
// guard, the module and session lookup, the module mutexes, the login gate,
// then the body. Every C_ function is
//   return run<Entry::C_X>([hSession,] [&](Module& m[, Session& s]) -> CK_RV { ... });
// and the body holds no lock of its own (kChipPhase rows: chip_phase<E>()).
#pragma once

#include <exception>
#include <mutex>
#include <string>

#include "pkcs11/entry_table.h"
#include "pkcs11/module.h"

namespace sx::p11 {

// No exception crosses the C ABI.
template <class F>
CK_RV guard(const char* fn, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    log_error(std::string(fn) + ": internal error: " + e.what());
  } catch (...) {
    log_error(std::string(fn) + ": internal error");
  }
  return CKR_GENERAL_ERROR;
}

template <class F>
CK_RV with_module(const char* fn, F&& f) noexcept {
  return guard(fn, [&]() -> CK_RV {
    Call c;
    if (c.m == nullptr) return CKR_CRYPTOKI_NOT_INITIALIZED;
    const CK_RV rv = f(*c.m);
    if (rv == CKR_DEVICE_ERROR) {
      // The link or the chip misbehaved: start over with the next call (unless
      // the body said the chip answered on a healthy link: Chip::spare_next_reset).
      std::lock_guard<std::mutex> lk(c.m->chip_mu);
      c.m->chip.reset();
    }
    return rv;
  });
}

template <class F>
CK_RV with_session(const char* fn, CK_SESSION_HANDLE h, F&& f) noexcept {
  return with_module(fn, [&](Module& m) -> CK_RV {
    auto s = m.sessions.get(h);
    if (!s) return CKR_SESSION_HANDLE_INVALID;
    std::lock_guard<std::mutex> lk(s->mu);
    return f(m, *s);
  });
}

// The mutexes of a row, in the lock order of module.h: auth_mu, then chip_mu.
class EntryLocks {
 public:
  EntryLocks(Module& m, Lock l) {
    if (l == Lock::kAuth || l == Lock::kAuthChip) auth_ = std::unique_lock<std::mutex>(m.auth_mu);
    if (l == Lock::kChip || l == Lock::kAuthChip) chip_ = std::unique_lock<std::mutex>(m.chip_mu);
  }

 private:
  std::unique_lock<std::mutex> auth_;
  std::unique_lock<std::mutex> chip_;
};

// The login gates of a row (kLoggedIn, kSoLoggedIn), under its locks.
inline CK_RV login_gate(const Module& m, Login rule_login) {
  if ((rule_login & kLoginGates) == 0) return CKR_OK;  // most rows: no read of the login state
  const LoginState who = m.sessions.login();
  if (has(rule_login, kLoggedIn) && who == LoginState::Public) return CKR_USER_NOT_LOGGED_IN;
  if (has(rule_login, kSoLoggedIn) && who != LoginState::So) return CKR_USER_NOT_LOGGED_IN;
  return CKR_OK;
}

// Rows without a session: the body is f() (kNoLookup) or f(Module&).
template <Entry E, class F>
CK_RV run(F&& body) noexcept {
  constexpr EntryRule r = rule(E);
  static_assert(r.lookup != Lookup::kBySession, "this row looks a session up: pass its handle");
  if constexpr (r.lookup == Lookup::kNoLookup) {
    static_assert(r.lock == Lock::kFree && r.login == kNoLogin, "no module, nothing to lock or log in to");
    return guard(r.name, body);
  } else {
    return with_module(r.name, [&](Module& m) -> CK_RV {
      EntryLocks locks(m, r.lock);
      if (CK_RV rv = login_gate(m, r.login); rv != CKR_OK) return rv;
      return body(m);
    });
  }
}

// Rows with a session: the body is f(Module&, Session&), Session::mu held.
template <Entry E, class F>
CK_RV run(CK_SESSION_HANDLE h, F&& body) noexcept {
  constexpr EntryRule r = rule(E);
  static_assert(r.lookup == Lookup::kBySession, "this row has no session lookup");
  return with_session(r.name, h, [&](Module& m, Session& s) -> CK_RV {
    EntryLocks locks(m, r.lock);
    if (CK_RV rv = login_gate(m, r.login); rv != CKR_OK) return rv;
    return body(m, s);
  });
}

// kChipPhase rows: the part of the body that uses the chip, under chip_mu.
template <Entry E, class F>
auto chip_phase(Module& m, F&& f) {
  static_assert(rule(E).lock == Lock::kChipPhase, "the row does not declare a chip phase");
  std::lock_guard<std::mutex> lk(m.chip_mu);
  return f();
}

// kWriteToken rows, where the body writes a token object.
template <Entry E>
CK_RV may_write_token(const Module& m, const Session& s) {
  static_assert(has(rule(E).login, kWriteToken), "the row does not declare kWriteToken");
  if (!s.rw()) return CKR_SESSION_READ_ONLY;
  if (!m.user()) return CKR_USER_NOT_LOGGED_IN;
  return CKR_OK;
}

// kPrivateObject rows, where the body uses or makes an object (private or not).
template <Entry E>
CK_RV may_use_private(const Module& m, bool is_private) {
  static_assert(has(rule(E).login, kPrivateObject), "the row does not declare kPrivateObject");
  return is_private && !m.user() ? CKR_USER_NOT_LOGGED_IN : CKR_OK;
}

}  // namespace sx::p11
