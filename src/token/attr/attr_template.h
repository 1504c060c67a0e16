// Template validation for C_CreateObject, C_GenerateKeyPair (each half),
// C_GenerateKey / C_DeriveKey and C_SetAttributeValue, returning the exact
// CK_RV of PKCS#11 2.40:
//   CKR_ATTRIBUTE_TYPE_INVALID   attribute not defined for the object's class/type
//   CKR_ATTRIBUTE_READ_ONLY      attribute may not be given in this call (token-set,
//                                not modifiable, footnote 11/12 direction, SO-only value,
//                                or CKA_MODIFIABLE = FALSE for C_SetAttributeValue)
//   CKR_ATTRIBUTE_VALUE_INVALID  malformed value or one this token cannot honour
//                                (e.g. CKA_EXTRACTABLE = TRUE on a private key)
//   CKR_TEMPLATE_INCONSISTENT    the same attribute twice with different values, a
//                                class/key type contradicting the call, values that
//                                contradict each other or the certificate
//   CKR_TEMPLATE_INCOMPLETE      a required attribute is missing
// Attributes are checked in template order, the first error wins; missing
// attributes are reported after all given ones were accepted.
#pragma once

#include "token/attr/attr_rules.h"

namespace sx::token {

using Template = std::span<const CK_ATTRIBUTE>;

// Determines the object kind from CKA_CLASS and CKA_KEY_TYPE /
// CKA_CERTIFICATE_TYPE. implied_* (CK_UNAVAILABLE_INFORMATION = none) come
// from the call (C_GenerateKeyPair: public/private class and the mechanism's
// key type); a given value must agree with them (CKR_TEMPLATE_INCONSISTENT).
// Unsupported class / key type / certificate type: CKR_ATTRIBUTE_VALUE_INVALID.
CK_RV classify_template(Template t, CK_OBJECT_CLASS implied_class, CK_ULONG implied_sub, ObjectKind& kind);

enum class Phase : uint8_t {
  Create,    // C_CreateObject
  Generate,  // C_GenerateKeyPair halves, C_GenerateKey, C_DeriveKey
};

// Checks the template against the kind's rules and returns the object's
// attribute values: the given ones plus defaults (CKA_CLASS and the
// kind's type attribute always set). Certificates get CKA_SUBJECT, ISSUER,
// SERIAL_NUMBER, CHECK_VALUE, PUBLIC_KEY_INFO and the dates from CKA_VALUE
// (given ones must be equal: CKR_TEMPLATE_INCONSISTENT); an unparseable
// certificate is CKR_ATTRIBUTE_VALUE_INVALID. EC public keys: CKA_EC_POINT must be a
// point of the CKA_EC_PARAMS curve (CKR_ATTRIBUTE_VALUE_INVALID).
CK_RV validate_template(Phase phase, const ObjectKind& kind, Template t, AttrMap& out);

// C_SetAttributeValue: CKR_OK and the validated changes (apply them with
// apply_changes), or the error; nothing is changed on error.
CK_RV validate_set(const ObjectKind& kind, const AttrMap& current, Template t, AttrMap& changes);
void apply_changes(AttrMap& values, const AttrMap& changes);

enum class KeyOrigin : uint8_t {
  Generated,  // on the chip (C_GenerateKeyPair): CKA_LOCAL TRUE, KEY_GEN_MECHANISM = mechanism,
              // ALWAYS_SENSITIVE = SENSITIVE, NEVER_EXTRACTABLE = !EXTRACTABLE
  Derived,    // C_DeriveKey from an always-sensitive, never-extractable SE050 key: LOCAL FALSE,
              // KEY_GEN_MECHANISM unavailable, ALWAYS_SENSITIVE/NEVER_EXTRACTABLE as above
  Imported,   // C_CreateObject: LOCAL, ALWAYS_SENSITIVE, NEVER_EXTRACTABLE FALSE,
              // KEY_GEN_MECHANISM CK_UNAVAILABLE_INFORMATION
};
// Token-set key attributes once the key exists; no-op for non-keys. Public
// keys get only CKA_LOCAL and CKA_KEY_GEN_MECHANISM.
void set_key_origin(const ObjectKind& kind, KeyOrigin origin, CK_MECHANISM_TYPE mechanism, AttrMap& values);

}  // namespace sx::token
