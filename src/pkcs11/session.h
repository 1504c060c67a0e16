// One PKCS#11 session: its flags and the state of the operations running in
// it. Every entry point that touches a session holds Session::mu for the call,
// so operations of one session are serialised while sessions run in parallel.
#pragma once

#include <p11-kit/pkcs11.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "token/mech/decrypt_operation.h"
#include "token/mech/digest_operation.h"
#include "token/mech/sign_operation.h"
#include "token/mech/verify_operation.h"

namespace sx::p11 {

struct Session {
  CK_SESSION_HANDLE handle = 0;
  CK_FLAGS flags = 0;
  std::mutex mu;

  bool finding = false;
  std::vector<CK_OBJECT_HANDLE> found;
  size_t found_pos = 0;

  std::unique_ptr<token::SignOperation> sign;
  std::unique_ptr<token::VerifyOperation> verify;
  std::unique_ptr<token::DecryptOperation> decrypt;
  std::unique_ptr<token::EncryptOperation> encrypt;
  std::unique_ptr<token::DigestOperation> digest;

  // A sign / decrypt operation with a CKA_ALWAYS_AUTHENTICATE key needs
  // C_Login(CKU_CONTEXT_SPECIFIC) before its first C_Sign* / C_Decrypt: Pending
  // from its init until that login makes it Given. Every init sets it afresh, so
  // one login serves one operation (docs/pkcs11-module.md, "Context-specific login").
  enum class ContextAuth : uint8_t { None, Pending, Given };
  ContextAuth sign_auth = ContextAuth::None;
  ContextAuth decrypt_auth = ContextAuth::None;

  bool rw() const { return (flags & CKF_RW_SESSION) != 0; }
};

enum class LoginState { Public, User, So };

// The session table and the token-wide login state.
class Sessions {
 public:
  CK_SESSION_HANDLE add(CK_FLAGS flags);
  std::shared_ptr<Session> get(CK_SESSION_HANDLE h) const;
  // Removes it; when it was the last one, the login state returns to Public.
  bool remove(CK_SESSION_HANDLE h);
  std::vector<CK_SESSION_HANDLE> remove_all();
  size_t count(bool rw_only) const;
  bool any_read_only() const;

  LoginState login() const;
  void set_login(LoginState s);

 private:
  mutable std::mutex mu_;
  std::map<CK_SESSION_HANDLE, std::shared_ptr<Session>> map_;
  CK_SESSION_HANDLE next_ = 1;
  LoginState login_ = LoginState::Public;
};

}  // namespace sx::p11
