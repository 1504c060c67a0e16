// Object handles: token objects (by chip ID and class, stable for the life of
// the process and never reused) and session objects (host-held secret keys
// from C_DeriveKey / C_CreateObject with CKA_TOKEN = FALSE).
#pragma once

#include <p11-kit/pkcs11.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "token/attr/attr_rules.h"
#include "token/types.h"

namespace sx::p11 {

struct SessionObject {
  CK_SESSION_HANDLE owner = 0;
  token::ObjectKind kind;
  token::AttrMap values;
  ~SessionObject();  // wipes CKA_VALUE
};

class Handles {
 public:
  CK_OBJECT_HANDLE for_ref(token::ObjectRef r);
  std::optional<token::ObjectRef> ref(CK_OBJECT_HANDLE h) const;

  // A new session object of session `owner` (dropped when it closes).
  CK_OBJECT_HANDLE add(CK_SESSION_HANDLE owner, const token::ObjectKind& kind, token::AttrMap values);
  std::shared_ptr<SessionObject> session_object(CK_OBJECT_HANDLE h) const;
  std::vector<CK_OBJECT_HANDLE> session_handles() const;
  bool erase(CK_OBJECT_HANDLE h);
  // The public view of a key pair disappears with its private key (one chip
  // object); a later C_DestroyObject of that view succeeds instead of failing
  // (tools such as pkcs11-tool delete both halves one after the other).
  void mark_gone_with_pair(CK_OBJECT_HANDLE h);
  bool gone_with_pair(CK_OBJECT_HANDLE h) const;
  void drop_owned_by(CK_SESSION_HANDLE s);
  void drop_all_session_objects();

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
