// Object management: create (certificates, data objects, private-key import,
// session objects), key-pair generation on the chip (token keys and transient
// session keys), destroy, attributes, find. Token objects are written only by a
// logged-in user in an R/W session (docs/pkcs11-module.md, "Objects"); session
// objects by any session ("Session objects").
#include <optional>
#include <span>

#include "pkcs11/entry_run.h"
#include "pkcs11/export.h"
#include "pkcs11/session_objects.h"
#include "pkcs11/templates.h"
#include "token/attr/attr_get.h"
#include "token/attr/attr_template.h"
#include "token/attr/attr_types.h"

using namespace sx::p11;
namespace tk = sx::token;

namespace {

using Tmpl = std::span<const CK_ATTRIBUTE>;

// A search by CKA_LABEL or CKA_ID that no object of another tool can match: such an
// object shows "sss:XXXXXXXX" and its 4-byte chip ID (token::default_label/ckid).
bool precise_search(Tmpl t) {
  for (const CK_ATTRIBUTE& a : t) {
    if (a.pValue == nullptr || a.ulValueLen == CK_UNAVAILABLE_INFORMATION) continue;
    const auto* p = static_cast<const uint8_t*>(a.pValue);
    if (a.type == CKA_LABEL) {
      const std::string label(p, p + a.ulValueLen);
      if (label.rfind("sss:", 0) != 0) return true;
    } else if (a.type == CKA_ID && a.ulValueLen != 4) {
      return true;
    }
  }
  return false;
}

CK_RV template_arg(CK_ATTRIBUTE_PTR p, CK_ULONG n, Tmpl& out) {
  if (p == nullptr && n != 0) return CKR_ARGUMENTS_BAD;
  out = p == nullptr ? Tmpl{} : Tmpl(p, n);
  return CKR_OK;
}

// The raw template's CKA_TOKEN, before defaults.
std::optional<bool> given_bool(Tmpl t, CK_ATTRIBUTE_TYPE type) {
  for (const auto& a : t)
    if (a.type == type && a.pValue != nullptr && a.ulValueLen == sizeof(CK_BBOOL))
      return *static_cast<const CK_BBOOL*>(a.pValue) != CK_FALSE;
  return std::nullopt;
}

// CKA_TOKEN = FALSE: a session object in host memory (R/O sessions too; a private
// one needs the user). Private keys are not imported as session keys.
CK_RV create_session(Module& m, Session& s, const tk::ObjectKind& kind, tk::AttrMap values, CK_OBJECT_HANDLE* out) {
  if (kind.cls == CKO_PRIVATE_KEY) return CKR_TEMPLATE_INCONSISTENT;
  const bool priv = tk::get_bool(values, CKA_PRIVATE).value_or(kind.cls == CKO_SECRET_KEY);
  if (CK_RV rv = may_use_private<Entry::C_CreateObject>(m, priv); rv != CKR_OK) return rv;
  tk::set_key_origin(kind, tk::KeyOrigin::Imported, CK_UNAVAILABLE_INFORMATION, values);
  std::shared_ptr<SessionObject> o;
  if (CK_RV rv = make_session_object(s.handle, kind, std::move(values), o); rv != CKR_OK) return rv;
  *out = m.handles.add(std::move(o));
  return CKR_OK;
}

}  // namespace

SX_P11_EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
                                   CK_OBJECT_HANDLE_PTR phObject) {
  return run<Entry::C_CreateObject>(hSession, [&](Module& m, Session& s) -> CK_RV {
    Tmpl t;
    if (CK_RV rv = template_arg(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    if (phObject == nullptr) return CKR_ARGUMENTS_BAD;
    tk::ObjectKind kind;
    if (CK_RV rv = tk::classify_template(t, CK_UNAVAILABLE_INFORMATION, CK_UNAVAILABLE_INFORMATION, kind);
        rv != CKR_OK)
      return rv;
    tk::AttrMap values;
    WipeMap w{values, kind.cls == CKO_PRIVATE_KEY || kind.cls == CKO_SECRET_KEY};
    if (CK_RV rv = tk::validate_template(tk::Phase::Create, kind, t, values); rv != CKR_OK) return rv;
    const bool token = tk::get_bool(values, CKA_TOKEN).value_or(false);
    if (kind.cls == CKO_SECRET_KEY && token) return CKR_ATTRIBUTE_VALUE_INVALID;  // host-held only
    if (!token) return create_session(m, s, kind, std::move(values), phObject);
    if (kind.cls == CKO_PUBLIC_KEY) return CKR_ATTRIBUTE_VALUE_INVALID;  // no public-key-only token object
    if (CK_RV rv = may_write_token<Entry::C_CreateObject>(m, s); rv != CKR_OK) return rv;
    tk::NewObject attrs;
    if (CK_RV rv = new_object_attrs(values, attrs); rv != CKR_OK) return rv;
    tk::PrivateKeyMaterial key;
    if (kind.cls == CKO_PRIVATE_KEY) {
      if (CK_RV rv = private_key_material(kind, values, key); rv != CKR_OK) return rv;
    }
    if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
    auto& tok = m.chip.token();
    sx::Result<tk::ObjectRef> ref = sx::make_error(sx::Errc::Internal, "unreachable");
    switch (kind.cls) {
      case CKO_CERTIFICATE: ref = tok.create_certificate(values[CKA_VALUE], attrs); break;
      case CKO_DATA: ref = tok.create_data(values[CKA_VALUE], attrs); break;
      case CKO_PRIVATE_KEY: ref = tok.import_private_key(std::move(key), attrs); break;
      default: return CKR_ATTRIBUTE_VALUE_INVALID;
    }
    if (!ref) return rv_from_error(ref.error(), "C_CreateObject");
    *phObject = m.handles.for_ref(*ref);
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism,
                                      CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount,
                                      CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount,
                                      CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey) {
  return run<Entry::C_GenerateKeyPair>(hSession, [&](Module& m, Session& s) -> CK_RV {
    Tmpl pub, priv;
    if (CK_RV rv = template_arg(pPublicKeyTemplate, ulPublicKeyAttributeCount, pub); rv != CKR_OK) return rv;
    if (CK_RV rv = template_arg(pPrivateKeyTemplate, ulPrivateKeyAttributeCount, priv); rv != CKR_OK) return rv;
    if (pMechanism == nullptr || phPublicKey == nullptr || phPrivateKey == nullptr) return CKR_ARGUMENTS_BAD;
    CK_KEY_TYPE kt = 0;
    if (pMechanism->mechanism == CKM_EC_KEY_PAIR_GEN) kt = CKK_EC;
    else if (pMechanism->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN) kt = CKK_RSA;
    else return CKR_MECHANISM_INVALID;
    // The chip's own mechanisms come before the templates (an SE050E has no RSA).
    if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
    CK_MECHANISM_INFO info{};
    if (tk::mechanism_info(m.chip.facts().caps, pMechanism->mechanism, info) != CKR_OK) return CKR_MECHANISM_INVALID;
    if (pMechanism->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
    tk::ObjectKind pk, vk;
    tk::AttrMap pubv, privv;
    if (CK_RV rv = tk::classify_template(pub, CKO_PUBLIC_KEY, kt, pk); rv != CKR_OK) return rv;
    if (CK_RV rv = tk::classify_template(priv, CKO_PRIVATE_KEY, kt, vk); rv != CKR_OK) return rv;
    if (CK_RV rv = tk::validate_template(tk::Phase::Generate, pk, pub, pubv); rv != CKR_OK) return rv;
    if (CK_RV rv = tk::validate_template(tk::Phase::Generate, vk, priv, privv); rv != CKR_OK) return rv;
    // CKA_TOKEN FALSE (the default) makes a session key: a transient chip object
    // (session_objects.h). A session private key with a token public key cannot be.
    const bool token_priv = given_bool(priv, CKA_TOKEN).value_or(false);
    const bool token_pub = given_bool(pub, CKA_TOKEN).value_or(false);
    if (!token_priv && token_pub) return CKR_TEMPLATE_INCONSISTENT;
    if (token_priv) {
      if (CK_RV rv = may_write_token<Entry::C_GenerateKeyPair>(m, s); rv != CKR_OK) return rv;
    } else if (CK_RV rv = may_use_private<Entry::C_GenerateKeyPair>(m, tk::get_bool(privv, CKA_PRIVATE) != false);
               rv != CKR_OK) {
      return rv;
    }
    tk::KeySpec spec;
    tk::NewObject attrs;
    if (CK_RV rv = key_pair_request(pMechanism->mechanism, pubv, privv, spec, attrs); rv != CKR_OK) return rv;
    if (!token_priv) {
      // The key gets the user-only chip policy of a chip-PIN token: it needs the user's session.
      if (m.chip.token().chip_pin() && !m.user()) return CKR_USER_NOT_LOGGED_IN;
      return generate_session_pair(m, s.handle, pMechanism->mechanism, spec, attrs, std::move(pubv), std::move(privv),
                                   phPublicKey, phPrivateKey);
    }
    auto ref = m.chip.token().generate_key_pair(spec, attrs);
    if (!ref) return rv_from_error(ref.error(), "C_GenerateKeyPair");
    *phPrivateKey = m.handles.for_ref(*ref);
    if (!token_pub) return session_public_half(m, s.handle, *ref, pubv, phPublicKey);
    *phPublicKey = m.handles.for_ref({ref->chip_id, tk::ObjectClass::PublicKey});
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  return run<Entry::C_DestroyObject>(hSession, [&](Module& m, Session& s) -> CK_RV {
    Resolved r;
    if (CK_RV rv = resolve(m, hObject, r, false); rv != CKR_OK) {
      if (rv == CKR_OBJECT_HANDLE_INVALID && m.handles.gone_with_pair(hObject) && s.rw()) return CKR_OK;
      return rv;
    }
    if (r.session_obj) {
      if (tk::get_bool(r.session_obj->values, CKA_DESTROYABLE) == false) return CKR_ACTION_PROHIBITED;
      m.handles.erase(hObject);
      if (r.session_obj->chip_id != 0) release_session_keys_locked(m, {r.session_obj->chip_id});
      return CKR_OK;
    }
    if (CK_RV rv = may_write_token<Entry::C_DestroyObject>(m, s); rv != CKR_OK) return rv;
    const tk::ObjectRef ref = r.obj->ref();
    const bool pair = tk::is_pair(r.obj->chip_kind) && ref.cls == tk::ObjectClass::PrivateKey;
    if (auto st = m.chip.token().destroy(ref); !st)
      return rv_from_error(st.error(), "C_DestroyObject", CKR_ACTION_PROHIBITED);
    if (pair) m.handles.mark_gone_with_pair(m.handles.for_ref({ref.chip_id, tk::ObjectClass::PublicKey}));
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  return run<Entry::C_GetObjectSize>(hSession, [&](Module& m, Session&) -> CK_RV {
    if (pulSize == nullptr) return CKR_ARGUMENTS_BAD;
    Resolved r;
    if (CK_RV rv = resolve(m, hObject, r, false); rv != CKR_OK) return rv;
    *pulSize = CK_UNAVAILABLE_INFORMATION;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                        CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return run<Entry::C_GetAttributeValue>(hSession, [&](Module& m, Session&) -> CK_RV {
    if (pTemplate == nullptr && ulCount != 0) return CKR_ARGUMENTS_BAD;
    Resolved r;
    if (CK_RV rv = resolve(m, hObject, r); rv != CKR_OK) return rv;
    WipeMap w{r.values, r.session_obj != nullptr};
    return tk::get_attribute_values(r.kind, r.values, std::span<CK_ATTRIBUTE>(pTemplate, ulCount));
  });
}

SX_P11_EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject,
                                        CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return run<Entry::C_SetAttributeValue>(hSession, [&](Module& m, Session& s) -> CK_RV {
    Tmpl t;
    if (CK_RV rv = template_arg(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    Resolved r;
    if (CK_RV rv = resolve(m, hObject, r); rv != CKR_OK) return rv;
    // A session object never modifiable is an action the object forbids (SoftHSM2 too).
    if (r.session_obj && tk::get_bool(r.values, CKA_MODIFIABLE) == false) return CKR_ACTION_PROHIBITED;
    tk::AttrMap changes;
    if (CK_RV rv = tk::validate_set(r.kind, r.values, t, changes); rv != CKR_OK) return rv;
    if (r.session_obj) {
      tk::apply_changes(r.session_obj->values, changes);  // values are only touched under chip_mu
      return CKR_OK;
    }
    if (CK_RV rv = may_write_token<Entry::C_SetAttributeValue>(m, s); rv != CKR_OK) return rv;
    tk::AttributeUpdate u;
    if (CK_RV rv = attribute_update(r.values, changes, u); rv != CKR_OK) return rv;
    if (auto st = m.chip.token().set_attributes(r.obj->ref(), u); !st)
      return rv_from_error(st.error(), "C_SetAttributeValue");
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  return run<Entry::C_FindObjectsInit>(hSession, [&](Module& m, Session& s) -> CK_RV {
    Tmpl t;
    if (CK_RV rv = template_arg(pTemplate, ulCount, t); rv != CKR_OK) return rv;
    if (s.finding) return CKR_OPERATION_ACTIVE;
    std::vector<CK_OBJECT_HANDLE> found;
    if (CK_RV rv = m.chip.ensure(); rv != CKR_OK) return rv;
    auto& tok = m.chip.token();
    // One small read when nothing changed; objects other processes made appear.
    // Within freshness_ms of the last check no read at all: a connect's
    // several finds cost one.
    const auto window = std::chrono::milliseconds(m.cfg.freshness_ms);
    if (auto st = tok.refresh_within(window); !st) return rv_from_error(st.error(), "C_FindObjectsInit: refresh");
    // The object index answers a search by label or CKA_ID: objects other tools
    // made carry their "sss:" default label and ID. Any other search compares the
    // index with the chip's list first, once per opened token (and after every
    // update, which lists the chip anyway; docs/pkcs11-module.md §9c).
    if (!precise_search(t))
      if (auto st = tok.list_chip(std::chrono::steady_clock::duration::max()); !st)
        return rv_from_error(st.error(), "C_FindObjectsInit: list");
    tok.searched();
    const bool bytes = template_needs_bytes(t);
    tk::AttrMap scratch;
    for (const tk::Object& o : tok.objects()) {
      if (!visible(m, o)) continue;
      const bool cached = bytes || !attributes_need_bytes(o);
      const tk::AttrMap& a = cached ? cached_attributes(m, o) : (scratch = attributes_of(o));
      if (tk::template_matches(kind_of(o), a, t)) found.push_back(m.handles.for_ref(o.ref()));
    }
    for (CK_OBJECT_HANDLE h : m.handles.session_handles()) {
      auto so = m.handles.session_object(h);
      if (!so) continue;
      if (tk::get_bool(so->values, CKA_PRIVATE).value_or(false) && !m.user()) continue;
      if (tk::template_matches(so->kind, so->values, t)) found.push_back(h);
    }
    s.found = std::move(found);
    s.found_pos = 0;
    s.finding = true;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject,
                                  CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount) {
  return run<Entry::C_FindObjects>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (phObject == nullptr || pulObjectCount == nullptr) return CKR_ARGUMENTS_BAD;
    if (!s.finding) return CKR_OPERATION_NOT_INITIALIZED;
    CK_ULONG n = 0;
    while (n < ulMaxObjectCount && s.found_pos < s.found.size()) phObject[n++] = s.found[s.found_pos++];
    *pulObjectCount = n;
    return CKR_OK;
  });
}

SX_P11_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) {
  return run<Entry::C_FindObjectsFinal>(hSession, [&](Module&, Session& s) -> CK_RV {
    if (!s.finding) return CKR_OPERATION_NOT_INITIALIZED;
    s.finding = false;
    s.found.clear();
    s.found_pos = 0;
    return CKR_OK;
  });
}
