#include "pkcs11/module.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "pkcs11/session_objects.h"
#include "token/attr/attr_types.h"

namespace sx::p11 {

namespace {

// Both leaked on purpose: in a forked child they are replaced, since another
// thread of the parent may have held them at the fork.
std::shared_mutex* g_life = new std::shared_mutex;
Module* g_module = nullptr;  // guarded by *g_life
std::once_flag g_atfork_once;

void child_after_fork() {
  g_life = new std::shared_mutex;
  log_after_fork();
  // g_module (if any) stays: C_Initialize in the child sees its pid and abandons it.
}

}  // namespace

Call::Call() : lk_(*g_life) {
  if (g_module != nullptr && g_module->pid == ::getpid()) m = g_module;
}

CK_RV initialize(const CK_C_INITIALIZE_ARGS* args) {
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, &child_after_fork); });
  if (args != nullptr) {
    if (args->pReserved != nullptr) return CKR_ARGUMENTS_BAD;
    const int given = (args->CreateMutex != nullptr) + (args->DestroyMutex != nullptr) +
                      (args->LockMutex != nullptr) + (args->UnlockMutex != nullptr);
    if (given != 0 && given != 4) return CKR_ARGUMENTS_BAD;
    // With or without callbacks and CKF_OS_LOCKING_OK: the module always uses
    // its own (pthread) mutexes, which is what an application's callbacks
    // would do on Linux anyway. CKR_CANT_LOCK is never returned.
  }
  std::unique_lock<std::shared_mutex> lk(*g_life);
  if (g_module != nullptr) {
    if (g_module->pid == ::getpid()) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    // Inherited through fork(): the link is the parent's; never use or close it here.
    g_module->chip.abandon();
    g_module = nullptr;  // leaked: its mutexes may be held by parent threads
    log_info("fork detected: dropped the inherited SE05x link, the child reconnects on first use");
  }
  auto cfg = load_config();
  if (!cfg) {
    log_error("C_Initialize: configuration: " + cfg.error().message);
    return CKR_GENERAL_ERROR;
  }
  log_configure(cfg->log_level, cfg->log_target);
  g_module = new Module(*cfg);
  log_debug("initialised" + (cfg->source.empty() ? std::string(" (built-in defaults)") : " from " + cfg->source));
  return CKR_OK;
}

CK_RV finalize() {
  std::unique_lock<std::shared_mutex> lk(*g_life);
  if (g_module == nullptr || g_module->pid != ::getpid()) return CKR_CRYPTOKI_NOT_INITIALIZED;
  g_module->sessions.remove_all();
  // Session keys are chip objects: deleted now, not at the next chip reset.
  release_session_keys(*g_module, g_module->handles.drop_all_session_objects());
  delete g_module;
  g_module = nullptr;
  return CKR_OK;
}

bool visible(const Module& m, const token::Object& o) { return !o.is_private || m.user(); }

CK_RV resolve(Module& m, CK_OBJECT_HANDLE h, Resolved& out, bool with_values) {
  if (auto so = m.handles.session_object(h)) {
    out.kind = so->kind;
    out.is_private = token::get_bool(so->values, CKA_PRIVATE).value_or(false);
    if (out.is_private && !m.user()) return CKR_OBJECT_HANDLE_INVALID;
    if (with_values) out.values = so->values;
    out.session_obj = std::move(so);
    return CKR_OK;
  }
  auto r = m.handles.ref(h);
  if (!r) return CKR_OBJECT_HANDLE_INVALID;
  CK_RV rv = m.chip.ensure();
  if (rv != CKR_OK) return rv;
  const token::Object* o = m.chip.token().find(*r);
  if (o == nullptr || !visible(m, *o)) return CKR_OBJECT_HANDLE_INVALID;
  out.obj = o;
  out.kind = kind_of(*o);
  out.is_private = o->is_private;
  if (with_values) out.values = cached_attributes(m, *o);
  return CKR_OK;
}

CK_RV key_ref_of(Module& m, const token::Object& o, token::KeyRef& out, bool need_public) {
  const bool priv = o.cls == token::ObjectClass::PrivateKey;
  if (!priv && o.cls != token::ObjectClass::PublicKey) return CKR_KEY_TYPE_INCONSISTENT;
  need_public = need_public || o.key_type != token::KeyType::Ec;
  if (need_public && !o.bytes_loaded) {
    if (auto st = m.chip.token().load_bytes(o.chip_id); !st) return rv_from_error(st.error(), "public key");
  }
  ObjectCache::Entry& e = m.cache.of(m.chip.token().epoch(), o);
  if (!e.key || (need_public && !e.key->public_key)) {
    const uint32_t id = priv ? o.chip_id : 0;
    auto k = o.key_type == token::KeyType::Ec    ? token::make_ec_key_ref(id, o.curve, o.ec_point)
             : o.key_type == token::KeyType::Rsa ? token::make_rsa_key_ref(id, o.modulus, o.public_exponent)
                                                 : Result<token::KeyRef>(make_error(Errc::Unsupported, "key type"));
    if (!k || (need_public && !k->public_key)) {
      log_warn("key " + o.label + ": public part unusable" + (k ? std::string() : ": " + k.error().to_string()));
      return CKR_KEY_TYPE_INCONSISTENT;
    }
    e.key = std::move(*k);
  }
  out = *e.key;
  return CKR_OK;
}

const token::AttrMap& cached_attributes(Module& m, const token::Object& o) {
  ObjectCache::Entry& e = m.cache.of(m.chip.token().epoch(), o);
  if (e.attrs && e.attrs_complete) return *e.attrs;
  if (attributes_need_bytes(o)) {
    // A refusal (a private object before the login) leaves the bytes out; asked again next time.
    if (auto st = m.chip.token().load_bytes(o.chip_id); !st) log_warn("object " + o.label + ": " + st.error().to_string());
  }
  e.attrs = attributes_of(o);
  e.attrs_complete = !attributes_need_bytes(o);
  return *e.attrs;
}

void pad_copy(unsigned char* dst, size_t n, std::string_view s) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, s.data(), std::min(n, s.size()));
}

}  // namespace sx::p11
