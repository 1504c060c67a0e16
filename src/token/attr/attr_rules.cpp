#include "token/attr/attr_rules.h"

#include <vector>

#include "crypto/ec.h"
#include "se05x/curves.h"

namespace sx::token {

namespace {

constexpr uint32_t C = kAtCreate, G = kAtGenerate, CG = kAtCreate | kAtGenerate, M = kModifiable;
constexpr AttrDefault kNone{}, kEmpty{DefaultKind::Empty, 0}, kFalse{DefaultKind::False, 0},
    kTrue{DefaultKind::True, 0};
constexpr AttrDefault ulong_default(CK_ULONG v) { return {DefaultKind::Ulong, v}; }

// --- value checks
CK_RV must_be_true(ByteView v) { return as_bool(v) == true ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID; }
CK_RV must_be_false(ByteView v) { return as_bool(v) == false ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID; }
// CKA_TRUSTED = TRUE needs the SO (footnote 10); this token has no SO-trusted objects.
CK_RV trusted_needs_so(ByteView v) { return as_bool(v) == false ? CKR_OK : CKR_ATTRIBUTE_READ_ONLY; }
CK_RV named_curve(ByteView v) { return se05x::curve_from_ec_params(v) ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID; }
CK_RV ec_point(ByteView v) {
  auto p = crypto::ec_point_from_der(v);
  return p && !p->empty() && (*p)[0] == 0x04 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}
CK_RV cert_category(ByteView v) { return as_ulong(v) <= CK_ULONG{3} ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID; }
CK_RV x509_type(ByteView v) { return as_ulong(v) == CK_ULONG{CKC_X_509} ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID; }
// Any size is a valid value; the sizes the chip makes are the mechanism's
// question (CKR_KEY_SIZE_RANGE, pkcs11/templates.cpp).
CK_RV modulus_bits(ByteView v) {
  auto b = as_ulong(v);
  return b && *b > 0 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}
CK_RV name_hash(ByteView v) {
  auto m = as_ulong(v);
  return m && (*m == CKM_SHA_1 || *m == CKM_SHA224 || *m == CKM_SHA256 || *m == CKM_SHA384 || *m == CKM_SHA512)
             ? CKR_OK
             : CKR_ATTRIBUTE_VALUE_INVALID;
}
CK_RV value_len(ByteView v) {
  auto n = as_ulong(v);
  return n && *n >= 1 && *n <= 1024 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
}

using Rules = std::vector<AttrRule>;
AttrRule R(CK_ATTRIBUTE_TYPE t, const char* n, AttrKind k, uint32_t f, AttrDefault d = kNone, ValueCheck c = nullptr) {
  return AttrRule{t, n, k, f, d, c};
}
void add(Rules& to, const Rules& from) { to.insert(to.end(), from.begin(), from.end()); }

// Common storage attributes (2.40 tables 4.4). CKA_CLASS is handled by
// classify_template but is listed so it can be read and matched.
Rules storage(bool private_default) {
  return {
      R(CKA_CLASS, "CKA_CLASS", AttrKind::Ulong, CG),
      R(CKA_TOKEN, "CKA_TOKEN", AttrKind::Bool, CG, kFalse),
      R(CKA_PRIVATE, "CKA_PRIVATE", AttrKind::Bool, CG, private_default ? kTrue : kFalse),
      R(CKA_MODIFIABLE, "CKA_MODIFIABLE", AttrKind::Bool, CG, kTrue),
      R(CKA_COPYABLE, "CKA_COPYABLE", AttrKind::Bool, CG | M | kOnlyToFalse, kTrue),
      R(CKA_DESTROYABLE, "CKA_DESTROYABLE", AttrKind::Bool, CG, kTrue),
      R(CKA_LABEL, "CKA_LABEL", AttrKind::Utf8, CG | M, kEmpty),
  };
}

// Usage attributes (CKA_SIGN, CKA_DERIVE...) of EC/RSA keys are not modifiable
// (`usage` = CG): a chip key's policy is fixed at creation (docs/chip-pin.md §2),
// so a later change could not be honoured. Host-held secret keys keep M.
Rules key_common(uint32_t usage) {
  return {
      R(CKA_KEY_TYPE, "CKA_KEY_TYPE", AttrKind::Ulong, CG | kNeedCreate),
      R(CKA_ID, "CKA_ID", AttrKind::Bytes, CG | M, kEmpty),
      R(CKA_START_DATE, "CKA_START_DATE", AttrKind::Date, CG | M, kEmpty),
      R(CKA_END_DATE, "CKA_END_DATE", AttrKind::Date, CG | M, kEmpty),
      R(CKA_DERIVE, "CKA_DERIVE", AttrKind::Bool, usage, kFalse),
      // Set by the token (footnotes 2, 4, 6).
      R(CKA_LOCAL, "CKA_LOCAL", AttrKind::Bool, 0),
      R(CKA_KEY_GEN_MECHANISM, "CKA_KEY_GEN_MECHANISM", AttrKind::Ulong, 0),
      // Empty list = no restriction beyond the key type.
      R(CKA_ALLOWED_MECHANISMS, "CKA_ALLOWED_MECHANISMS", AttrKind::MechanismList, CG, kEmpty),
  };
}

Rules public_key(bool rsa) {
  Rules r = storage(false);
  add(r, key_common(CG));
  add(r, {
             R(CKA_SUBJECT, "CKA_SUBJECT", AttrKind::Bytes, CG | M, kEmpty),
             R(CKA_ENCRYPT, "CKA_ENCRYPT", AttrKind::Bool, CG, rsa ? kTrue : kFalse),
             R(CKA_VERIFY, "CKA_VERIFY", AttrKind::Bool, CG, kTrue),
             R(CKA_VERIFY_RECOVER, "CKA_VERIFY_RECOVER", AttrKind::Bool, CG, kFalse),
             R(CKA_WRAP, "CKA_WRAP", AttrKind::Bool, CG, kFalse),
             R(CKA_TRUSTED, "CKA_TRUSTED", AttrKind::Bool, CG, kFalse, &trusted_needs_so),
             R(CKA_PUBLIC_KEY_INFO, "CKA_PUBLIC_KEY_INFO", AttrKind::Bytes, C, kEmpty),
         });
  if (rsa) {
    add(r, {
               R(CKA_MODULUS, "CKA_MODULUS", AttrKind::BigInt, C | kNeedCreate),
               R(CKA_MODULUS_BITS, "CKA_MODULUS_BITS", AttrKind::Ulong, G | kNeedGenerate, kNone, &modulus_bits),
               R(CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", AttrKind::BigInt, CG | kNeedCreate),
           });
  } else {
    add(r, {
               R(CKA_EC_PARAMS, "CKA_EC_PARAMS", AttrKind::Bytes, CG | kNeedCreate | kNeedGenerate, kNone,
                 &named_curve),
               R(CKA_EC_POINT, "CKA_EC_POINT", AttrKind::Bytes, C | kNeedCreate, kNone, &ec_point),
           });
  }
  return r;
}

// Private keys never leave the SE050: SENSITIVE must be TRUE, EXTRACTABLE
// FALSE. CKA_ALWAYS_AUTHENTICATE TRUE: each sign/decrypt needs a context-specific
// login (docs/pkcs11-module.md, "Context-specific login").
Rules private_key(bool rsa) {
  Rules r = storage(true);
  add(r, key_common(CG));
  for (auto& x : r)
    if (x.type == CKA_DERIVE && !rsa) x.def = kTrue;  // ECDH
  add(r, {
             R(CKA_SUBJECT, "CKA_SUBJECT", AttrKind::Bytes, CG | M, kEmpty),
             R(CKA_SENSITIVE, "CKA_SENSITIVE", AttrKind::Bool, CG | M | kOnlyToTrue, kTrue, &must_be_true),
             R(CKA_DECRYPT, "CKA_DECRYPT", AttrKind::Bool, CG, rsa ? kTrue : kFalse),
             R(CKA_SIGN, "CKA_SIGN", AttrKind::Bool, CG, kTrue),
             R(CKA_SIGN_RECOVER, "CKA_SIGN_RECOVER", AttrKind::Bool, CG, kFalse),
             R(CKA_UNWRAP, "CKA_UNWRAP", AttrKind::Bool, CG, kFalse),
             R(CKA_EXTRACTABLE, "CKA_EXTRACTABLE", AttrKind::Bool, CG | M | kOnlyToFalse, kFalse, &must_be_false),
             R(CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", AttrKind::Bool, 0),
             R(CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", AttrKind::Bool, 0),
             R(CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", AttrKind::Bool, CG | M | kOnlyToTrue, kFalse),
             R(CKA_ALWAYS_AUTHENTICATE, "CKA_ALWAYS_AUTHENTICATE", AttrKind::Bool, CG, kFalse),
             R(CKA_PUBLIC_KEY_INFO, "CKA_PUBLIC_KEY_INFO", AttrKind::Bytes, C, kEmpty),
         });
  if (rsa) {
    add(r, {
               R(CKA_MODULUS, "CKA_MODULUS", AttrKind::BigInt, C | kNeedCreate),
               R(CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT", AttrKind::BigInt, C | kNeedCreate),
               R(CKA_PRIVATE_EXPONENT, "CKA_PRIVATE_EXPONENT", AttrKind::BigInt, C | kNeedCreate | kSensitive),
               R(CKA_PRIME_1, "CKA_PRIME_1", AttrKind::BigInt, C | kSensitive),
               R(CKA_PRIME_2, "CKA_PRIME_2", AttrKind::BigInt, C | kSensitive),
               R(CKA_EXPONENT_1, "CKA_EXPONENT_1", AttrKind::BigInt, C | kSensitive),
               R(CKA_EXPONENT_2, "CKA_EXPONENT_2", AttrKind::BigInt, C | kSensitive),
               R(CKA_COEFFICIENT, "CKA_COEFFICIENT", AttrKind::BigInt, C | kSensitive),
           });
  } else {
    add(r, {
               // Footnote 4 forbids it at generation; tolerated (must then name the public
               // template's curve -- the key model checks) because some tools send it.
               R(CKA_EC_PARAMS, "CKA_EC_PARAMS", AttrKind::Bytes, CG | kNeedCreate, kNone, &named_curve),
               R(CKA_VALUE, "CKA_VALUE", AttrKind::BigInt, C | kNeedCreate | kSensitive),
           });
  }
  return r;
}

// ECDH output (C_DeriveKey) or imported secrets; the value lives on the host.
Rules secret_key() {
  Rules r = storage(true);
  add(r, key_common(CG | M));
  add(r, {
             R(CKA_SENSITIVE, "CKA_SENSITIVE", AttrKind::Bool, CG | M | kOnlyToTrue, kTrue),
             R(CKA_ENCRYPT, "CKA_ENCRYPT", AttrKind::Bool, CG | M, kFalse),
             R(CKA_DECRYPT, "CKA_DECRYPT", AttrKind::Bool, CG | M, kFalse),
             R(CKA_SIGN, "CKA_SIGN", AttrKind::Bool, CG | M, kFalse),
             R(CKA_VERIFY, "CKA_VERIFY", AttrKind::Bool, CG | M, kFalse),
             R(CKA_WRAP, "CKA_WRAP", AttrKind::Bool, CG | M, kFalse),
             R(CKA_UNWRAP, "CKA_UNWRAP", AttrKind::Bool, CG | M, kFalse),
             R(CKA_EXTRACTABLE, "CKA_EXTRACTABLE", AttrKind::Bool, CG | M | kOnlyToFalse, kFalse),
             R(CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", AttrKind::Bool, 0),
             R(CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", AttrKind::Bool, 0),
             R(CKA_CHECK_VALUE, "CKA_CHECK_VALUE", AttrKind::Bytes, C),
             R(CKA_WRAP_WITH_TRUSTED, "CKA_WRAP_WITH_TRUSTED", AttrKind::Bool, CG | M | kOnlyToTrue, kFalse),
             R(CKA_TRUSTED, "CKA_TRUSTED", AttrKind::Bool, CG, kFalse, &trusted_needs_so),
             R(CKA_VALUE, "CKA_VALUE", AttrKind::Bytes, C | kNeedCreate | kSensitive),
             // Given to C_DeriveKey/C_GenerateKey; computed from CKA_VALUE at C_CreateObject.
             R(CKA_VALUE_LEN, "CKA_VALUE_LEN", AttrKind::Ulong, G, kNone, &value_len),
         });
  return r;
}

Rules certificate() {
  Rules r = storage(false);
  add(r, {
             R(CKA_CERTIFICATE_TYPE, "CKA_CERTIFICATE_TYPE", AttrKind::Ulong, C | kNeedCreate, kNone, &x509_type),
             R(CKA_TRUSTED, "CKA_TRUSTED", AttrKind::Bool, C, kFalse, &trusted_needs_so),
             R(CKA_CERTIFICATE_CATEGORY, "CKA_CERTIFICATE_CATEGORY", AttrKind::Ulong, C, ulong_default(0),
               &cert_category),
             // Computed from CKA_VALUE when absent; must agree when given (attr_template.cpp).
             R(CKA_CHECK_VALUE, "CKA_CHECK_VALUE", AttrKind::Bytes, C),
             R(CKA_START_DATE, "CKA_START_DATE", AttrKind::Date, C),
             R(CKA_END_DATE, "CKA_END_DATE", AttrKind::Date, C),
             R(CKA_PUBLIC_KEY_INFO, "CKA_PUBLIC_KEY_INFO", AttrKind::Bytes, C),
             R(CKA_SUBJECT, "CKA_SUBJECT", AttrKind::Bytes, C),
             R(CKA_ID, "CKA_ID", AttrKind::Bytes, C | M, kEmpty),
             R(CKA_ISSUER, "CKA_ISSUER", AttrKind::Bytes, C),
             R(CKA_SERIAL_NUMBER, "CKA_SERIAL_NUMBER", AttrKind::Bytes, C),
             R(CKA_VALUE, "CKA_VALUE", AttrKind::Bytes, C | kNeedCreate),
             R(CKA_URL, "CKA_URL", AttrKind::Utf8, C, kEmpty),
             R(CKA_HASH_OF_SUBJECT_PUBLIC_KEY, "CKA_HASH_OF_SUBJECT_PUBLIC_KEY", AttrKind::Bytes, C, kEmpty),
             R(CKA_HASH_OF_ISSUER_PUBLIC_KEY, "CKA_HASH_OF_ISSUER_PUBLIC_KEY", AttrKind::Bytes, C, kEmpty),
             R(CKA_JAVA_MIDP_SECURITY_DOMAIN, "CKA_JAVA_MIDP_SECURITY_DOMAIN", AttrKind::Ulong, C, ulong_default(0)),
             R(CKA_NAME_HASH_ALGORITHM, "CKA_NAME_HASH_ALGORITHM", AttrKind::Ulong, C, ulong_default(CKM_SHA_1),
               &name_hash),
         });
  return r;
}

Rules data_object() {
  Rules r = storage(false);
  add(r, {
             R(CKA_APPLICATION, "CKA_APPLICATION", AttrKind::Utf8, C | M, kEmpty),
             R(CKA_OBJECT_ID, "CKA_OBJECT_ID", AttrKind::Bytes, C | M, kEmpty),
             R(CKA_VALUE, "CKA_VALUE", AttrKind::Bytes, C | M, kEmpty),
         });
  return r;
}

struct Table {
  ObjectKind kind;
  Rules rules;
};

const std::vector<Table>& tables() {
  static const std::vector<Table> t = {
      {{CKO_PRIVATE_KEY, CKK_EC}, private_key(false)},
      {{CKO_PRIVATE_KEY, CKK_RSA}, private_key(true)},
      {{CKO_PUBLIC_KEY, CKK_EC}, public_key(false)},
      {{CKO_PUBLIC_KEY, CKK_RSA}, public_key(true)},
      {{CKO_CERTIFICATE, CKC_X_509}, certificate()},
      {{CKO_DATA, 0}, data_object()},
      {{CKO_SECRET_KEY, CKK_GENERIC_SECRET}, secret_key()},
      {{CKO_SECRET_KEY, CKK_AES}, secret_key()},
  };
  return t;
}

}  // namespace

bool kind_supported(const ObjectKind& k) { return !rules_for(k).empty(); }

std::span<const AttrRule> rules_for(const ObjectKind& k) {
  for (const auto& t : tables())
    if (t.kind == k) return t.rules;
  return {};
}

const AttrRule* find_rule(const ObjectKind& k, CK_ATTRIBUTE_TYPE t) {
  for (const auto& r : rules_for(k))
    if (r.type == t) return &r;
  return nullptr;
}

bool is_sensitive(const ObjectKind& k, const AttrMap& values, CK_ATTRIBUTE_TYPE t) {
  const AttrRule* r = find_rule(k, t);
  if (!r || !(r->flags & kSensitive)) return false;
  return get_bool(values, CKA_SENSITIVE) != false || get_bool(values, CKA_EXTRACTABLE) != true;
}

}  // namespace sx::token
