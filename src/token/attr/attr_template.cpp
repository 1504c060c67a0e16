#include "token/attr/attr_template.h"

#include "crypto/ec.h"
#include "se05x/curves.h"
#include "crypto/x509_fields.h"

namespace sx::token {

namespace {

constexpr CK_ULONG kNotImplied = CK_UNAVAILABLE_INFORMATION;

// Reads one CK_ULONG attribute of the template; all occurrences must agree.
CK_RV template_ulong(Template t, CK_ATTRIBUTE_TYPE type, std::optional<CK_ULONG>& out) {
  out.reset();
  for (const auto& a : t) {
    if (a.type != type) continue;
    if (a.pValue == nullptr && a.ulValueLen != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    auto v = as_ulong(attr_bytes(a));
    if (!v) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (out && *out != *v) return CKR_TEMPLATE_INCONSISTENT;
    out = v;
  }
  return CKR_OK;
}

CK_RV resolve(std::optional<CK_ULONG> given, CK_ULONG implied, CK_ULONG& out) {
  if (given && implied != kNotImplied && *given != implied) return CKR_TEMPLATE_INCONSISTENT;
  if (given) out = *given;
  else if (implied != kNotImplied) out = implied;
  else return CKR_TEMPLATE_INCOMPLETE;
  return CKR_OK;
}

Bytes default_value(const AttrDefault& d) {
  switch (d.kind) {
    case DefaultKind::False: return ck_bool(false);
    case DefaultKind::True: return ck_bool(true);
    case DefaultKind::Ulong: return ck_ulong(d.ulong);
    default: return {};
  }
}

// Derived certificate attributes: fill when absent, compare when given.
CK_RV complete_certificate(AttrMap& m) {
  auto x = crypto::parse_x509(m[CKA_VALUE]);
  if (!x.ok()) return CKR_ATTRIBUTE_VALUE_INVALID;
  const std::pair<CK_ATTRIBUTE_TYPE, Bytes*> derived[] = {
      {CKA_SUBJECT, &x->subject},        {CKA_ISSUER, &x->issuer},         {CKA_SERIAL_NUMBER, &x->serial},
      {CKA_CHECK_VALUE, &x->check_value}, {CKA_PUBLIC_KEY_INFO, &x->spki}, {CKA_START_DATE, &x->not_before},
      {CKA_END_DATE, &x->not_after}};
  for (const auto& [type, value] : derived) {
    auto it = m.find(type);
    if (it == m.end()) m[type] = *value;
    else if (it->second != *value) return CKR_TEMPLATE_INCONSISTENT;
  }
  return CKR_OK;
}

CK_RV check_ec_public(const AttrMap& m) {
  auto params = m.find(CKA_EC_PARAMS);
  auto point = m.find(CKA_EC_POINT);
  if (params == m.end() || point == m.end()) return CKR_OK;
  auto curve = se05x::curve_from_ec_params(params->second);
  auto raw = crypto::ec_point_from_der(point->second);
  if (!curve || !raw || !se05x::ec_point_valid(*curve, *raw)) return CKR_ATTRIBUTE_VALUE_INVALID;
  return CKR_OK;
}

// Adds a checked template entry to `out`; a repeat must carry the same value.
CK_RV put(AttrMap& out, const CK_ATTRIBUTE& a, Bytes value) {
  auto [it, inserted] = out.emplace(a.type, value);
  if (!inserted && it->second != value) return CKR_TEMPLATE_INCONSISTENT;
  return CKR_OK;
}

CK_RV check_value(const AttrRule& r, const CK_ATTRIBUTE& a, Bytes& value) {
  if (a.pValue == nullptr && a.ulValueLen != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
  value = attr_bytes(a);
  if (!valid_for_kind(r.kind, value)) return CKR_ATTRIBUTE_VALUE_INVALID;
  return r.check ? r.check(value) : CKR_OK;
}

CK_ATTRIBUTE_TYPE type_attribute(const ObjectKind& k) {
  if (k.cls == CKO_CERTIFICATE) return CKA_CERTIFICATE_TYPE;
  if (k.cls == CKO_DATA) return kNotImplied;
  return CKA_KEY_TYPE;
}

}  // namespace

CK_RV classify_template(Template t, CK_OBJECT_CLASS implied_class, CK_ULONG implied_sub, ObjectKind& kind) {
  std::optional<CK_ULONG> cls, sub;
  CK_RV rv = template_ulong(t, CKA_CLASS, cls);
  if (rv != CKR_OK) return rv;
  CK_ULONG c = 0;
  rv = resolve(cls, implied_class, c);
  if (rv != CKR_OK) return rv;
  ObjectKind k{c, 0};
  if (c == CKO_DATA) {
    if (!kind_supported(k)) return CKR_ATTRIBUTE_VALUE_INVALID;
    kind = k;
    return CKR_OK;
  }
  if (c != CKO_PRIVATE_KEY && c != CKO_PUBLIC_KEY && c != CKO_SECRET_KEY && c != CKO_CERTIFICATE)
    return CKR_ATTRIBUTE_VALUE_INVALID;
  rv = template_ulong(t, c == CKO_CERTIFICATE ? CKA_CERTIFICATE_TYPE : CKA_KEY_TYPE, sub);
  if (rv != CKR_OK) return rv;
  rv = resolve(sub, implied_sub, k.sub);
  if (rv != CKR_OK) return rv;
  if (!kind_supported(k)) return CKR_ATTRIBUTE_VALUE_INVALID;
  kind = k;
  return CKR_OK;
}

CK_RV validate_template(Phase phase, const ObjectKind& kind, Template t, AttrMap& out) {
  out.clear();
  if (!kind_supported(kind)) return CKR_TEMPLATE_INCONSISTENT;
  const uint32_t allowed = phase == Phase::Create ? kAtCreate : kAtGenerate;
  const uint32_t needed = phase == Phase::Create ? kNeedCreate : kNeedGenerate;
  for (const auto& a : t) {
    const AttrRule* r = find_rule(kind, a.type);
    if (!r) return CKR_ATTRIBUTE_TYPE_INVALID;
    if (!(r->flags & allowed)) return CKR_ATTRIBUTE_READ_ONLY;
    Bytes value;
    CK_RV rv = check_value(*r, a, value);
    if (rv != CKR_OK) return rv;
    rv = put(out, a, std::move(value));
    if (rv != CKR_OK) return rv;
  }
  // Class and type must be those the kind was classified from.
  const CK_ATTRIBUTE_TYPE ta = type_attribute(kind);
  if (auto c = get_ulong(out, CKA_CLASS); c && *c != kind.cls) return CKR_TEMPLATE_INCONSISTENT;
  if (ta != kNotImplied)
    if (auto s = get_ulong(out, ta); s && *s != kind.sub) return CKR_TEMPLATE_INCONSISTENT;
  for (const auto& r : rules_for(kind)) {
    if (out.count(r.type)) continue;
    if ((r.flags & needed) && r.type != ta) return CKR_TEMPLATE_INCOMPLETE;
    if (r.def.kind != DefaultKind::None) out[r.type] = default_value(r.def);
  }
  out[CKA_CLASS] = ck_ulong(kind.cls);
  if (ta != kNotImplied) out[ta] = ck_ulong(kind.sub);
  if (kind.cls == CKO_CERTIFICATE) return complete_certificate(out);
  if (kind.cls == CKO_PUBLIC_KEY && kind.sub == CKK_EC) return check_ec_public(out);
  if (phase == Phase::Create) {
    // Token-computed sizes (footnote 2 attributes of the created object).
    if (kind.cls == CKO_PUBLIC_KEY && kind.sub == CKK_RSA)
      out[CKA_MODULUS_BITS] = ck_ulong(static_cast<CK_ULONG>(bit_length(out[CKA_MODULUS])));
    if (kind.cls == CKO_SECRET_KEY) out[CKA_VALUE_LEN] = ck_ulong(static_cast<CK_ULONG>(out[CKA_VALUE].size()));
  }
  return CKR_OK;
}

CK_RV validate_set(const ObjectKind& kind, const AttrMap& current, Template t, AttrMap& changes) {
  changes.clear();
  if (get_bool(current, CKA_MODIFIABLE) == false) return CKR_ATTRIBUTE_READ_ONLY;
  for (const auto& a : t) {
    const AttrRule* r = find_rule(kind, a.type);
    if (!r) return CKR_ATTRIBUTE_TYPE_INVALID;
    if (!(r->flags & kModifiable)) return CKR_ATTRIBUTE_READ_ONLY;
    Bytes value;
    if (a.pValue == nullptr && a.ulValueLen != 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    value = attr_bytes(a);
    if (!valid_for_kind(r->kind, value)) return CKR_ATTRIBUTE_VALUE_INVALID;
    const auto now = get_bool(current, a.type);
    const auto next = as_bool(value);
    if ((r->flags & kOnlyToTrue) && now == true && next == false) return CKR_ATTRIBUTE_READ_ONLY;
    if ((r->flags & kOnlyToFalse) && now == false && next == true) return CKR_ATTRIBUTE_READ_ONLY;
    if (r->check) {
      const CK_RV rv = r->check(value);
      if (rv != CKR_OK) return rv;
    }
    const CK_RV rv = put(changes, a, std::move(value));
    if (rv != CKR_OK) return rv;
  }
  return CKR_OK;
}

void apply_changes(AttrMap& values, const AttrMap& changes) {
  for (const auto& [type, value] : changes) values[type] = value;
}

void set_key_origin(const ObjectKind& kind, KeyOrigin origin, CK_MECHANISM_TYPE mechanism, AttrMap& v) {
  if (kind.cls != CKO_PRIVATE_KEY && kind.cls != CKO_PUBLIC_KEY && kind.cls != CKO_SECRET_KEY) return;
  const bool generated = origin == KeyOrigin::Generated;
  v[CKA_LOCAL] = ck_bool(generated);
  v[CKA_KEY_GEN_MECHANISM] = ck_ulong(generated ? mechanism : CK_UNAVAILABLE_INFORMATION);
  if (kind.cls == CKO_PUBLIC_KEY) return;
  const bool own = origin != KeyOrigin::Imported;
  v[CKA_ALWAYS_SENSITIVE] = ck_bool(own && get_bool(v, CKA_SENSITIVE) == true);
  v[CKA_NEVER_EXTRACTABLE] = ck_bool(own && get_bool(v, CKA_EXTRACTABLE) == false);
}

}  // namespace sx::token
