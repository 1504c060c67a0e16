// C_GetAttributeValue and C_FindObjects template matching over an object's
// value map (PKCS#11 2.40 section 5.7 semantics).
#pragma once

#include <functional>

#include "token/attr/attr_rules.h"

namespace sx::token {

// Whether the value of an attribute must be withheld.
using SensitivePredicate = std::function<bool(CK_ATTRIBUTE_TYPE)>;

// Fills every entry of `t` (the template is always processed to the end):
//   sensitive                 -> ulValueLen = CK_UNAVAILABLE_INFORMATION, CKR_ATTRIBUTE_SENSITIVE
//   not in `values`           -> ulValueLen = CK_UNAVAILABLE_INFORMATION, CKR_ATTRIBUTE_TYPE_INVALID
//   pValue == NULL            -> ulValueLen = exact length (nothing copied)
//   ulValueLen >= length      -> value copied, ulValueLen = length
//   otherwise                 -> ulValueLen = CK_UNAVAILABLE_INFORMATION, CKR_BUFFER_TOO_SMALL
// The combined result is CKR_OK if every entry succeeded, else one of the
// three codes, by precedence SENSITIVE > TYPE_INVALID > BUFFER_TOO_SMALL (the
// standard allows any of them; a fixed order makes the module predictable).
CK_RV fill_attributes(const AttrMap& values, std::span<CK_ATTRIBUTE> t, const SensitivePredicate& sensitive);
// Same with the sensitivity rules of the object's kind (attr_rules.h).
CK_RV get_attribute_values(const ObjectKind& kind, const AttrMap& values, std::span<CK_ATTRIBUTE> t);

// C_FindObjectsInit exact match: every template attribute must be present in
// `values` with byte-identical content (NULL/0 matches an empty value). An
// attribute the object lacks, or a sensitive one, never matches. An empty
// template matches everything.
bool template_matches(const AttrMap& values, std::span<const CK_ATTRIBUTE> t, const SensitivePredicate& sensitive = {});
bool template_matches(const ObjectKind& kind, const AttrMap& values, std::span<const CK_ATTRIBUTE> t);

}  // namespace sx::token
