#include "pkcs11/templates.h"

#include "token/attr/attr_types.h"
#include "crypto/ec.h"
#include "se05x/curves.h"

namespace sx::p11 {

namespace {

const Bytes* find(const token::AttrMap& v, CK_ATTRIBUTE_TYPE t) {
  auto it = v.find(t);
  return it == v.end() ? nullptr : &it->second;
}

std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

bool label_ok(const Bytes& b) { return b.size() <= 255; }

// The usage attributes of a private key / of the public half of a pair, as given
// (validated maps carry the rule defaults too). Stored by the token, reported
// as given, enforced on use (docs/pkcs11-module.md, "Key usage").
void private_uses(const token::AttrMap& v, token::NewObject& out) {
  out.sign = token::get_bool(v, CKA_SIGN);
  out.decrypt = token::get_bool(v, CKA_DECRYPT);
  out.derive = token::get_bool(v, CKA_DERIVE);
  out.unwrap = token::get_bool(v, CKA_UNWRAP);
  out.sign_recover = token::get_bool(v, CKA_SIGN_RECOVER);
  out.always_authenticate = token::get_bool(v, CKA_ALWAYS_AUTHENTICATE);
}

void public_uses(const token::AttrMap& v, token::NewObject& out) {
  out.verify = token::get_bool(v, CKA_VERIFY);
  out.encrypt = token::get_bool(v, CKA_ENCRYPT);
  out.wrap = token::get_bool(v, CKA_WRAP);
  out.verify_recover = token::get_bool(v, CKA_VERIFY_RECOVER);
  out.pub_derive = token::get_bool(v, CKA_DERIVE);
}

// A usage the chip cannot restrict is refused, not half-honoured: RSA signing is
// the chip's raw private operation, its DECRYPT right (docs/se05x-protocol.md
// §4.6.10), so CKA_SIGN and CKA_DECRYPT of an RSA key go together.
CK_RV check_uses(CK_ULONG key_type, const token::NewObject& a) {
  if (key_type == CKK_RSA && a.sign.value_or(true) != a.decrypt.value_or(true)) return CKR_TEMPLATE_INCONSISTENT;
  return CKR_OK;
}

bool rsa_size_ok(CK_ULONG bits) { return bits <= 4096 && token::rsa_bits_supported(static_cast<uint32_t>(bits)); }

}  // namespace

CK_RV new_object_attrs(const token::AttrMap& v, token::NewObject& out) {
  if (const Bytes* l = find(v, CKA_LABEL)) {
    if (!label_ok(*l)) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (!l->empty()) out.label = as_string(*l);
  }
  if (const Bytes* id = find(v, CKA_ID)) {
    if (id->size() > 255) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (!id->empty()) out.id = *id;
  }
  if (const Bytes* s = find(v, CKA_SUBJECT)) out.subject = *s;
  if (const Bytes* a = find(v, CKA_APPLICATION)) out.application = as_string(*a);
  if (const Bytes* o = find(v, CKA_OBJECT_ID)) out.object_id = *o;
  if (auto p = token::get_bool(v, CKA_PRIVATE)) out.is_private = *p;
  // Private keys: a FALSE use is a missing right in the key's chip policy (docs/chip-pin.md §2).
  const auto cls = token::get_ulong(v, CKA_CLASS);
  if (cls == CK_ULONG{CKO_PRIVATE_KEY}) {
    private_uses(v, out);
    return check_uses(token::get_ulong(v, CKA_KEY_TYPE).value_or(CK_UNAVAILABLE_INFORMATION), out);
  }
  if (cls == CK_ULONG{CKO_PUBLIC_KEY}) public_uses(v, out);
  return CKR_OK;
}

CK_RV key_pair_request(CK_MECHANISM_TYPE mech, const token::AttrMap& pub, const token::AttrMap& priv,
                       token::KeySpec& spec, token::NewObject& attrs) {
  if (mech == CKM_EC_KEY_PAIR_GEN) {
    const Bytes* p = find(pub, CKA_EC_PARAMS);
    const Bytes* q = find(priv, CKA_EC_PARAMS);
    if (p == nullptr && q == nullptr) return CKR_TEMPLATE_INCOMPLETE;
    if (p != nullptr && q != nullptr && *p != *q) return CKR_TEMPLATE_INCONSISTENT;
    auto curve = se05x::curve_from_ec_params(p ? *p : *q);
    if (!curve) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (*curve != se05x::Curve::NistP256 && *curve != se05x::Curve::NistP384 && *curve != se05x::Curve::NistP521)
      return CKR_ATTRIBUTE_VALUE_INVALID;  // 2.40 has no CKR_CURVE_NOT_SUPPORTED
    spec.type = token::KeyType::Ec;
    spec.curve = *curve;
  } else if (mech == CKM_RSA_PKCS_KEY_PAIR_GEN) {
    auto bits = token::get_ulong(pub, CKA_MODULUS_BITS);
    if (!bits) return CKR_TEMPLATE_INCOMPLETE;
    if (!rsa_size_ok(*bits)) return CKR_KEY_SIZE_RANGE;
    if (const Bytes* e = find(pub, CKA_PUBLIC_EXPONENT)) {
      // The chip generates with e = 65537 only.
      size_t i = 0;
      while (i < e->size() && (*e)[i] == 0) ++i;
      if (Bytes(e->begin() + static_cast<std::ptrdiff_t>(i), e->end()) != Bytes{0x01, 0x00, 0x01})
        return CKR_TEMPLATE_INCONSISTENT;
    }
    spec.type = token::KeyType::Rsa;
    spec.rsa_bits = static_cast<uint16_t>(*bits);
  } else {
    return CKR_MECHANISM_INVALID;
  }
  // One record per chip object: the two halves share label, ID and subject.
  for (CK_ATTRIBUTE_TYPE t : {CKA_LABEL, CKA_ID, CKA_SUBJECT}) {
    const Bytes* a = find(priv, t);
    const Bytes* b = find(pub, t);
    if (a && b && !a->empty() && !b->empty() && *a != *b) return CKR_TEMPLATE_INCONSISTENT;
  }
  token::AttrMap merged = pub;
  for (const auto& [t, val] : priv)
    if (!val.empty() || merged.find(t) == merged.end()) merged[t] = val;
  merged.erase(CKA_CLASS);  // the uses come from each half below
  CK_RV rv = new_object_attrs(merged, attrs);
  if (rv != CKR_OK) return rv;
  attrs.is_private = token::get_bool(priv, CKA_PRIVATE).value_or(true);
  // Each half has its own uses (the public template's CKA_DERIVE is the public key's).
  private_uses(priv, attrs);
  public_uses(pub, attrs);
  return check_uses(spec.type == token::KeyType::Rsa ? CKK_RSA : CKK_EC, attrs);
}

CK_RV private_key_material(const token::ObjectKind& kind, const token::AttrMap& v, token::PrivateKeyMaterial& out) {
  if (kind.sub == CKK_EC) {
    const Bytes* params = find(v, CKA_EC_PARAMS);
    const Bytes* d = find(v, CKA_VALUE);
    if (params == nullptr || d == nullptr) return CKR_TEMPLATE_INCOMPLETE;
    auto curve = se05x::curve_from_ec_params(*params);
    if (!curve) return CKR_ATTRIBUTE_VALUE_INVALID;
    token::EcKeyMaterial ec;
    ec.curve = *curve;
    ec.d = *d;
    if (!token::complete_ec_key(ec)) return CKR_ATTRIBUTE_VALUE_INVALID;
    out = token::PrivateKeyMaterial(std::move(ec));
    return CKR_OK;
  }
  if (kind.sub == CKK_RSA) {
    token::RsaKeyMaterial r;
    struct Part {
      CK_ATTRIBUTE_TYPE t;
      Bytes* dst;
    } parts[] = {{CKA_MODULUS, &r.n},     {CKA_PUBLIC_EXPONENT, &r.e}, {CKA_PRIVATE_EXPONENT, &r.d},
                 {CKA_PRIME_1, &r.p},     {CKA_PRIME_2, &r.q},         {CKA_EXPONENT_1, &r.dp},
                 {CKA_EXPONENT_2, &r.dq}, {CKA_COEFFICIENT, &r.qinv}};
    for (const Part& p : parts) {
      const Bytes* b = find(v, p.t);
      // The SE05x takes RSA keys in CRT form: all components are needed.
      if (b == nullptr || b->empty()) return CKR_TEMPLATE_INCOMPLETE;
      *p.dst = *b;
    }
    const uint16_t bits = r.bits();
    if (!rsa_size_ok(bits)) return CKR_KEY_SIZE_RANGE;
    out = token::PrivateKeyMaterial(std::move(r));
    return CKR_OK;
  }
  return CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV attribute_update(const token::AttrMap& current, const token::AttrMap& changes, token::AttributeUpdate& out) {
  for (const auto& [t, val] : changes) {
    switch (t) {
      case CKA_LABEL:
        if (!label_ok(val)) return CKR_ATTRIBUTE_VALUE_INVALID;
        out.label = as_string(val);
        continue;
      case CKA_ID:
        if (val.size() > 255) return CKR_ATTRIBUTE_VALUE_INVALID;
        out.id = val;
        continue;
      case CKA_SUBJECT:
        if (current.count(CKA_CLASS) && token::get_ulong(current, CKA_CLASS) != CK_ULONG{CKO_CERTIFICATE}) {
          out.subject = val;
          continue;
        }
        break;
      case CKA_APPLICATION:
        out.application = as_string(val);
        continue;
      case CKA_OBJECT_ID:
        out.object_id = val;
        continue;
      default:
        break;
    }
    auto it = current.find(t);
    if (it == current.end() || it->second != val) return CKR_ATTRIBUTE_READ_ONLY;
  }
  return CKR_OK;
}

void wipe(token::AttrMap& v) {
  for (auto& [t, b] : v) secure_wipe(b);
}

}  // namespace sx::p11
