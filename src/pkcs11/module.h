// The module instance between C_Initialize and C_Finalize, the lifecycle
// (fork detection, Call), and handle resolution. Lock order (never the other way round):
//   lifecycle (shared) -> Session::mu -> Module::auth_mu -> Module::chip_mu -> table mutexes.
// Which of them an entry point holds is its row in entry_table.h; entry_run.h
// takes them (with its exception guard and session lookup).
#pragma once

#include <p11-kit/pkcs11.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>

#include "pkcs11/chip.h"
#include "pkcs11/config.h"
#include "pkcs11/handles.h"
#include "pkcs11/log.h"
#include "pkcs11/object_attrs.h"
#include "pkcs11/session.h"
#include "token/attr/attr_rules.h"
#include "token/mech/key_ref.h"

namespace sx::p11 {

inline constexpr CK_SLOT_ID kSlotId = 0;
inline constexpr size_t kMinPinLen = 4;
inline constexpr size_t kMaxPinLen = 64;

// Per token object: what is costly to derive from it (certificate parsing,
// the SPKI -> EVP_PKEY decode). Valid for one Token::epoch(): any change of
// metadata or chip objects rebuilds the object list and empties the cache.
class ObjectCache {
 public:
  struct Entry {
    std::optional<token::AttrMap> attrs;
    bool attrs_complete = false;  // built with the chip object's bytes (Token::load_bytes)
    std::optional<token::KeyRef> key;
  };
  Entry& of(uint64_t epoch, const token::Object& o) {
    if (epoch != epoch_) {
      entries_.clear();
      epoch_ = epoch;
    }
    return entries_[{o.chip_id, static_cast<int>(o.cls)}];
  }

 private:
  uint64_t epoch_ = 0;
  std::map<std::pair<uint32_t, int>, Entry> entries_;
};

class Module {
 public:
  explicit Module(const Config& c) : cfg(c), pid(::getpid()), chip(c) {
    // A chip session the module could not re-open after a device error: the
    // application is logged out (chip_mu held; the table mutex comes after it).
    chip.on_login_lost([this] { sessions.set_login(LoginState::Public); });
  }

  const Config cfg;
  const pid_t pid;
  std::mutex auth_mu;  // the login state changes one at a time (entry_table.h: kAuth rows)
  std::mutex chip_mu;  // the link and the Token
  Chip chip;           // guarded by chip_mu
  ObjectCache cache;   // guarded by chip_mu
  Sessions sessions;
  Handles handles;

  bool user() const { return sessions.login() == LoginState::User; }
};

// --- lifecycle (module.cpp)
CK_RV initialize(const CK_C_INITIALIZE_ARGS* args);
CK_RV finalize();

// Keeps the module alive for one call. `m` is null when the library is not
// initialised in this process (never initialised, finalised, or inherited
// through fork() without a C_Initialize in the child).
class Call {
 public:
  Call();
  Module* m = nullptr;

 private:
  std::shared_lock<std::shared_mutex> lk_;
};

// A handle resolved to what the object is. For token objects, chip_mu must
// be held while `obj` is used (it points into the token's cache).
struct Resolved {
  token::ObjectKind kind;
  token::AttrMap values;
  bool is_private = false;
  const token::Object* obj = nullptr;         // token object
  std::shared_ptr<SessionObject> session_obj;  // session object
};
// chip_mu held. CKR_OBJECT_HANDLE_INVALID for unknown/vanished handles and for
// private objects while no user is logged in. `with_values` = fill `values`.
CK_RV resolve(Module& m, CK_OBJECT_HANDLE h, Resolved& out, bool with_values = true);
// Whether a token object is visible in the current login state.
bool visible(const Module& m, const token::Object& o);

// The operation key of a token key object (private keys: the chip ID; public keys: host only).
// chip_mu held; cached per token epoch. `need_public`: the operation uses the public
// key on the host (verify, encrypt, RSA, checks of chip signatures); an EC key that
// only signs or derives on the chip is used without reading its public key.
CK_RV key_ref_of(Module& m, const token::Object& o, token::KeyRef& out, bool need_public = true);
// chip_mu held: attributes_of(o), cached per token epoch (valid until the next
// call that may refresh or change the token). Reads the chip object's bytes first
// when the index left them out (Token::load_bytes).
const token::AttrMap& cached_attributes(Module& m, const token::Object& o);

// Copies a fixed-width, blank-padded PKCS#11 text field.
void pad_copy(unsigned char* dst, size_t n, std::string_view s);

}  // namespace sx::p11
