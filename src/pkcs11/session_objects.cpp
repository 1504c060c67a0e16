#include "pkcs11/session_objects.h"

#include "crypto/ec.h"
#include "se05x/curves.h"
#include "token/attr/attr_template.h"
#include "token/attr/attr_types.h"
#include "token/id_range.h"

namespace sx::p11 {

namespace tk = sx::token;

namespace {

bool odd(ByteView n) { return !n.empty() && (n.back() & 1) != 0; }

const Bytes& value(const tk::AttrMap& v, CK_ATTRIBUTE_TYPE t) {
  static const Bytes kNone;
  auto it = v.find(t);
  return it == v.end() ? kNone : it->second;
}

// The operation key of a key object from its values; `chip_id` 0 = public only.
CK_RV key_from_values(const tk::ObjectKind& kind, const tk::AttrMap& v, uint32_t chip_id,
                      std::optional<tk::KeyRef>& out) {
  if (kind.sub == CKK_EC) {
    auto curve = se05x::curve_from_ec_params(value(v, CKA_EC_PARAMS));
    auto point = crypto::ec_point_from_der(value(v, CKA_EC_POINT));
    if (!curve || !point) return CKR_ATTRIBUTE_VALUE_INVALID;
    auto k = tk::make_ec_key_ref(chip_id, *curve, *point);
    if (!k) return CKR_ATTRIBUTE_VALUE_INVALID;
    out = std::move(*k);
    return CKR_OK;
  }
  const Bytes& n = value(v, CKA_MODULUS);
  const Bytes& e = value(v, CKA_PUBLIC_EXPONENT);
  // A sane RSA public key: an odd modulus of a size anyone uses, an odd exponent > 1 below it.
  const size_t bits = bit_length(n);
  if (bits < 1024 || bits > 16384 || !odd(n) || !odd(e) || bit_length(e) < 2 || bit_length(e) >= bits)
    return CKR_ATTRIBUTE_VALUE_INVALID;
  auto k = tk::make_rsa_key_ref(chip_id, n, e);
  if (!k) return CKR_ATTRIBUTE_VALUE_INVALID;
  out = std::move(*k);
  return CKR_OK;
}

// The chip's refusal of a transient key, in words and as the CK_RV 2.40 gives it.
CK_RV refused_transient(const Error& e) {
  if (e.code == Errc::NoMemory) {
    log_warn("C_GenerateKeyPair: the SE05x has no transient memory left for a session key (SW 6A84); close "
             "sessions holding session keys or make the key a token object (CKA_TOKEN = TRUE)");
    return CKR_DEVICE_MEMORY;
  }
  log_warn("C_GenerateKeyPair: the SE05x refused a transient (session) key: " + e.message);
  return CKR_FUNCTION_FAILED;
}

}  // namespace

CK_RV make_session_object(CK_SESSION_HANDLE owner, const tk::ObjectKind& kind, tk::AttrMap values,
                          std::shared_ptr<SessionObject>& out) {
  auto o = std::make_shared<SessionObject>();
  o->owner = owner;
  o->kind = kind;
  values[CKA_TOKEN] = tk::ck_bool(false);
  o->values = std::move(values);
  if (kind.cls == CKO_PUBLIC_KEY)
    if (CK_RV rv = key_from_values(kind, o->values, 0, o->key); rv != CKR_OK) return rv;
  out = std::move(o);
  return CKR_OK;
}

CK_RV generate_session_pair(Module& m, CK_SESSION_HANDLE owner, CK_MECHANISM_TYPE mech, const tk::KeySpec& spec,
                            const tk::NewObject& attrs, tk::AttrMap pubv, tk::AttrMap privv, CK_OBJECT_HANDLE* pub,
                            CK_OBJECT_HANDLE* priv) {
  auto made = m.chip.token().generate_session_key(spec, attrs);
  if (!made) {
    const Error& e = made.error();
    if (e.code == Errc::NoMemory || e.code == Errc::StatusWord) return refused_transient(e);
    return rv_from_error(e, "C_GenerateKeyPair");
  }
  const tk::ObjectKind pk{CKO_PUBLIC_KEY, spec.type == tk::KeyType::Ec ? CK_ULONG{CKK_EC} : CK_ULONG{CKK_RSA}};
  const tk::ObjectKind vk{CKO_PRIVATE_KEY, pk.sub};
  if (pk.sub == CKK_EC) {
    const Bytes params = pubv.count(CKA_EC_PARAMS) ? pubv[CKA_EC_PARAMS] : privv[CKA_EC_PARAMS];
    pubv[CKA_EC_PARAMS] = privv[CKA_EC_PARAMS] = params;
    pubv[CKA_EC_POINT] = crypto::ec_point_der(made->public_point);
  } else {
    pubv[CKA_MODULUS] = privv[CKA_MODULUS] = made->modulus;
    pubv[CKA_PUBLIC_EXPONENT] = privv[CKA_PUBLIC_EXPONENT] = made->public_exponent;
    pubv[CKA_MODULUS_BITS] = tk::ck_ulong(static_cast<CK_ULONG>(bit_length(made->modulus)));
  }
  tk::set_key_origin(pk, tk::KeyOrigin::Generated, mech, pubv);
  tk::set_key_origin(vk, tk::KeyOrigin::Generated, mech, privv);
  auto v = std::make_shared<SessionObject>();
  v->owner = owner;
  v->kind = vk;
  v->chip_id = made->id;
  CK_RV rv = key_from_values(vk, pk.sub == CKK_EC ? pubv : privv, made->id, v->key);
  std::shared_ptr<SessionObject> p;
  if (rv == CKR_OK) rv = make_session_object(owner, pk, std::move(pubv), p);
  if (rv != CKR_OK) {
    release_session_keys_locked(m, {made->id});
    return CKR_FUNCTION_FAILED;  // the chip's own public key did not parse
  }
  privv[CKA_TOKEN] = tk::ck_bool(false);
  v->values = std::move(privv);
  *priv = m.handles.add(std::move(v));
  *pub = m.handles.add(std::move(p));
  return CKR_OK;
}

CK_RV session_public_half(Module& m, CK_SESSION_HANDLE owner, tk::ObjectRef pair, const tk::AttrMap& pubv,
                          CK_OBJECT_HANDLE* pub) {
  const tk::Object* o = m.chip.token().find({pair.chip_id, tk::ObjectClass::PublicKey});
  if (o == nullptr) return CKR_DEVICE_ERROR;
  tk::AttrMap values = cached_attributes(m, *o);
  for (const auto& [t, v] : pubv) {
    // The pair's shared label / ID / subject stay unless the public template set its own.
    if (v.empty() && (t == CKA_LABEL || t == CKA_ID || t == CKA_SUBJECT)) continue;
    values[t] = v;
  }
  std::shared_ptr<SessionObject> p;
  if (CK_RV rv = make_session_object(owner, kind_of(*o), std::move(values), p); rv != CKR_OK) return rv;
  *pub = m.handles.add(std::move(p));
  return CKR_OK;
}

void release_session_keys_locked(Module& m, const std::vector<uint32_t>& chip_ids) {
  if (chip_ids.empty()) return;
  if (m.chip.ensure() != CKR_OK) {
    log_warn("session keys left in the SE05x until its next reset: the chip is not reachable");
    return;
  }
  for (uint32_t id : chip_ids) {
    if (auto st = m.chip.token().delete_session_key(id); !st)
      log_warn("session key " + tk::default_label(id) + " left in the SE05x until its next reset: " +
               st.error().message);
  }
}

void release_session_keys(Module& m, const std::vector<uint32_t>& chip_ids) {
  if (chip_ids.empty()) return;
  std::lock_guard<std::mutex> lk(m.chip_mu);
  release_session_keys_locked(m, chip_ids);
}

CK_RV copy_values(const tk::ObjectKind& kind, const tk::AttrMap& src, std::span<const CK_ATTRIBUTE> t,
                  tk::AttrMap& out) {
  out = src;
  tk::AttrMap seen;
  for (const auto& a : t) {
    const tk::AttrRule* r = tk::find_rule(kind, a.type);
    if (r == nullptr) return CKR_ATTRIBUTE_TYPE_INVALID;
    if (a.pValue == nullptr && a.ulValueLen != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    Bytes v = tk::attr_bytes(a);
    if (!tk::valid_for_kind(r->kind, v)) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (auto [it, fresh] = seen.emplace(a.type, v); !fresh && it->second != v) return CKR_TEMPLATE_INCONSISTENT;
    const bool storage = a.type == CKA_TOKEN || a.type == CKA_PRIVATE || a.type == CKA_MODIFIABLE ||
                         a.type == CKA_DESTROYABLE;
    const bool copyable_off = a.type == CKA_COPYABLE && tk::as_bool(v) == false;
    const bool settable = (r->flags & tk::kModifiable) != 0 && tk::get_bool(src, CKA_MODIFIABLE) != false;
    if (!storage && !copyable_off && !settable) {
      auto it = src.find(a.type);
      if (it == src.end() || it->second != v) return CKR_ATTRIBUTE_READ_ONLY;
    }
    if (r->check != nullptr && a.type != CKA_TOKEN)
      if (CK_RV rv = r->check(v); rv != CKR_OK) return rv;
    out[a.type] = std::move(v);
  }
  return CKR_OK;
}

}  // namespace sx::p11
