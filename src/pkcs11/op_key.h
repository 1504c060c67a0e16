// The key of a C_*Init / C_DeriveKey (h-sess): token keys and session keys, checked in the
// order 2.40's function descriptions imply (docs/pkcs11-module.md §7a).
#pragma once

#include <p11-kit/pkcs11.h>

#include "pkcs11/entry_run.h"
#include "token/attr/attr_types.h"
#include "token/mech/mechanism_table.h"

namespace sx::p11 {

enum class Use { Sign, Verify, Decrypt, Encrypt, Derive };

// The mechanism exists on this chip and does `use` (CKF_SIGN, ...).
inline CK_RV mechanism_for(Module& m, CK_MECHANISM_TYPE mech, Use use) {
  CK_MECHANISM_INFO info{};
  if (token::mechanism_info(m.chip.facts().caps, mech, info) != CKR_OK) return CKR_MECHANISM_INVALID;
  CK_FLAGS need = 0;
  switch (use) {
    case Use::Sign: need = CKF_SIGN; break;
    case Use::Verify: need = CKF_VERIFY; break;
    case Use::Decrypt: need = CKF_DECRYPT; break;
    case Use::Encrypt: need = CKF_ENCRYPT; break;
    case Use::Derive: need = CKF_DERIVE; break;
  }
  return (info.flags & need) != 0 ? CKR_OK : CKR_MECHANISM_INVALID;
}

// The key's class fits the use, and its usage attribute allows it.
inline CK_RV usable_for(Use use, CK_OBJECT_CLASS cls, const token::AttrMap& attrs) {
  const bool priv = cls == CKO_PRIVATE_KEY;
  const bool pub = cls == CKO_PUBLIC_KEY;
  CK_ATTRIBUTE_TYPE usage = 0;
  switch (use) {
    case Use::Sign: usage = CKA_SIGN; break;
    case Use::Decrypt: usage = CKA_DECRYPT; break;
    case Use::Derive: usage = CKA_DERIVE; break;
    case Use::Verify: usage = pub ? CKA_VERIFY : 0; break;   // our own private key: its public half
    case Use::Encrypt: usage = pub ? CKA_ENCRYPT : 0; break;
  }
  const bool needs_private = use == Use::Sign || use == Use::Decrypt || use == Use::Derive;
  if (needs_private ? !priv : !(priv || pub)) return CKR_KEY_TYPE_INCONSISTENT;
  if (usage != 0 && token::get_bool(attrs, usage) != true) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  return CKR_OK;
}

// chip_mu held. The key of an operation and the checks of 2.40 for it, in the order
// the spec's function descriptions imply: the mechanism (`mech`, when given), then the
// key handle, then the key's type and usage. Token keys and session keys (a session
// public key imported to verify, a session key pair's transient private key) alike.
template <Entry E>
CK_RV op_key(Module& m, CK_OBJECT_HANDLE h, Use use, token::KeyRef& key, const CK_MECHANISM* mech = nullptr) {
  if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
  if (mech != nullptr)
    if (CK_RV rv = mechanism_for(m, mech->mechanism, use); rv != CKR_OK) return rv;
  if (auto so = m.handles.session_object(h)) {
    if (CK_RV rv = may_use_private<E>(m, token::get_bool(so->values, CKA_PRIVATE) == true); rv != CKR_OK) return rv;
    if (CK_RV rv = usable_for(use, so->kind.cls, so->values); rv != CKR_OK) return rv;
    if (!so->key) return CKR_KEY_TYPE_INCONSISTENT;
    key = *so->key;
    return CKR_OK;
  }
  auto ref = m.handles.ref(h);
  if (!ref) return CKR_KEY_HANDLE_INVALID;
  const token::Object* o = m.chip.token().find(*ref);
  if (o == nullptr) return CKR_KEY_HANDLE_INVALID;
  if (CK_RV rv = may_use_private<E>(m, o->is_private); rv != CKR_OK) return rv;
  if (CK_RV rv = usable_for(use, kind_of(*o).cls, cached_attributes(m, *o)); rv != CKR_OK) return rv;
  // Verify / encrypt named by a private key's handle run on its public half: that
  // half's CKA_VERIFY / CKA_ENCRYPT decide (docs/pkcs11-module.md §8b).
  if ((use == Use::Verify || use == Use::Encrypt) && o->cls == token::ObjectClass::PrivateKey)
    if (const token::Object* half = m.chip.token().find({o->chip_id, token::ObjectClass::PublicKey}))
      if (CK_RV rv = usable_for(use, CKO_PUBLIC_KEY, cached_attributes(m, *half)); rv != CKR_OK) return rv;
  // An EC key that signs or derives on the chip needs no public key on the host
  // (unless chip signatures are checked): its description from the index suffices.
  const bool need_public = use == Use::Verify || use == Use::Encrypt || (use == Use::Sign && m.cfg.verify_ecdsa);
  return key_ref_of(m, *o, key, need_public);
}

}  // namespace sx::p11
