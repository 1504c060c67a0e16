// Object handles: token objects (by chip ID and class, stable for the life of
// the process and never reused) and session objects (CKA_TOKEN = FALSE: data,
// certificates, public keys and secret keys held in host memory; the private
// half of a session key pair, a transient chip object; docs/pkcs11-module.md
// "Session objects").
#pragma once

#include <p11-kit/pkcs11.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "token/attr/attr_rules.h"
#include "token/mech/key_ref.h"
#include "token/types.h"

namespace sx::p11 {

struct SessionObject {
  CK_SESSION_HANDLE owner = 0;
  token::ObjectKind kind;
  token::AttrMap values;
  // Session private keys: the transient chip object holding the key (ids::kSessionFirst..Last).
  uint32_t chip_id = 0;
  // Public and private keys: the operation key (public point / modulus; chip_id).
  std::optional<token::KeyRef> key;
  ~SessionObject();  // wipes CKA_VALUE
};

class Handles {
 public:
  CK_OBJECT_HANDLE for_ref(token::ObjectRef r);
  std::optional<token::ObjectRef> ref(CK_OBJECT_HANDLE h) const;

  // A new session object of session `owner` (dropped when it closes).
  CK_OBJECT_HANDLE add(CK_SESSION_HANDLE owner, const token::ObjectKind& kind, token::AttrMap values);
  CK_OBJECT_HANDLE add(std::shared_ptr<SessionObject> o);
  std::shared_ptr<SessionObject> session_object(CK_OBJECT_HANDLE h) const;
  std::vector<CK_OBJECT_HANDLE> session_handles() const;
  bool erase(CK_OBJECT_HANDLE h);
  // The public view of a key pair disappears with its private key (one chip
  // object); a later C_DestroyObject of that view succeeds instead of failing
  // (tools such as pkcs11-tool delete both halves one after the other).
  void mark_gone_with_pair(CK_OBJECT_HANDLE h);
  bool gone_with_pair(CK_OBJECT_HANDLE h) const;
  // Both return the chip IDs of the session keys dropped: the caller deletes them
  // from the chip (release_session_keys, session_objects.h).
  [[nodiscard]] std::vector<uint32_t> drop_owned_by(CK_SESSION_HANDLE s);
  [[nodiscard]] std::vector<uint32_t> drop_all_session_objects();

 private:
  static uint64_t key(token::ObjectRef r) {
    return (static_cast<uint64_t>(r.chip_id) << 8) | static_cast<uint8_t>(r.cls);
  }
  mutable std::mutex mu_;
  CK_OBJECT_HANDLE next_ = 1;
  std::map<uint64_t, CK_OBJECT_HANDLE> by_ref_;
  std::map<CK_OBJECT_HANDLE, token::ObjectRef> refs_;
  std::map<CK_OBJECT_HANDLE, std::shared_ptr<SessionObject>> session_;
  std::set<CK_OBJECT_HANDLE> gone_;
};

}  // namespace sx::p11
