// Which attributes each object class has and what may be done with them, as
// data (the idea of SoftHSM2's per-attribute check flags; own tables, built
// from the PKCS#11 2.40 attribute tables and their footnotes 1-12, plus this
// token's policy where the standard says "token-specific").
#pragma once

#include <span>

#include "token/attr/attr_types.h"

namespace sx::token {

// Object classes served: keys with their key type, X.509 certificates, data.
struct ObjectKind {
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_ULONG sub = 0;  // CKK_* for keys, CKC_X_509 for certificates, 0 for data
  friend bool operator==(const ObjectKind&, const ObjectKind&) = default;
};

enum AttrFlag : uint32_t {
  kAtCreate = 1u << 0,      // may be given to C_CreateObject (else CKR_ATTRIBUTE_READ_ONLY)
  kAtGenerate = 1u << 1,    // may be given to C_GenerateKeyPair/C_GenerateKey/C_DeriveKey
  kNeedCreate = 1u << 2,    // footnote 1: C_CreateObject must give it (CKR_TEMPLATE_INCOMPLETE)
  kNeedGenerate = 1u << 3,  // footnote 3: generation must give it
  kModifiable = 1u << 4,    // footnote 8: C_SetAttributeValue may change it (while CKA_MODIFIABLE)
  kSensitive = 1u << 5,     // footnote 7: never revealed if CKA_SENSITIVE or !CKA_EXTRACTABLE
  kOnlyToTrue = 1u << 6,    // footnote 11: once TRUE it stays TRUE
  kOnlyToFalse = 1u << 7,   // footnote 12: once FALSE it stays FALSE
};

enum class DefaultKind : uint8_t { None, Empty, False, True, Ulong };
struct AttrDefault {
  DefaultKind kind = DefaultKind::None;
  CK_ULONG ulong = 0;
};

// Value check beyond the kind: CKR_OK, CKR_ATTRIBUTE_VALUE_INVALID, or
// CKR_ATTRIBUTE_READ_ONLY for values only an SO could set.
using ValueCheck = CK_RV (*)(ByteView v);

struct AttrRule {
  CK_ATTRIBUTE_TYPE type;
  const char* name;
  AttrKind kind;
  uint32_t flags;
  AttrDefault def;
  ValueCheck check;  // nullptr = kind check only
};

// Kinds this token serves: CKO_PRIVATE_KEY/CKO_PUBLIC_KEY with CKK_EC/CKK_RSA,
// CKO_CERTIFICATE with CKC_X_509, CKO_DATA, CKO_SECRET_KEY with
// CKK_GENERIC_SECRET/CKK_AES (ECDH output).
bool kind_supported(const ObjectKind& k);
// Rules of a supported kind (empty span otherwise).
std::span<const AttrRule> rules_for(const ObjectKind& k);
const AttrRule* find_rule(const ObjectKind& k, CK_ATTRIBUTE_TYPE t);

// Whether attribute t of an object with these values must be withheld
// (footnote 7): the rule is sensitive and the object is CKA_SENSITIVE or not
// CKA_EXTRACTABLE (missing flags count as sensitive).
bool is_sensitive(const ObjectKind& k, const AttrMap& values, CK_ATTRIBUTE_TYPE t);

}  // namespace sx::token
