#include "token/attr/attr_get.h"

#include <cstring>

namespace sx::token {

CK_RV fill_attributes(const AttrMap& values, std::span<CK_ATTRIBUTE> t, const SensitivePredicate& sensitive) {
  bool any_sensitive = false, any_invalid = false, any_small = false;
  for (auto& a : t) {
    if (sensitive && sensitive(a.type)) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      any_sensitive = true;
      continue;
    }
    auto it = values.find(a.type);
    if (it == values.end()) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      any_invalid = true;
      continue;
    }
    const Bytes& v = it->second;
    if (a.pValue == nullptr) {
      a.ulValueLen = static_cast<CK_ULONG>(v.size());
    } else if (a.ulValueLen >= v.size()) {
      if (!v.empty()) std::memcpy(a.pValue, v.data(), v.size());
      a.ulValueLen = static_cast<CK_ULONG>(v.size());
    } else {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      any_small = true;
    }
  }
  if (any_sensitive) return CKR_ATTRIBUTE_SENSITIVE;
  if (any_invalid) return CKR_ATTRIBUTE_TYPE_INVALID;
  if (any_small) return CKR_BUFFER_TOO_SMALL;
  return CKR_OK;
}

CK_RV get_attribute_values(const ObjectKind& kind, const AttrMap& values, std::span<CK_ATTRIBUTE> t) {
  return fill_attributes(values, t, [&](CK_ATTRIBUTE_TYPE type) { return is_sensitive(kind, values, type); });
}

bool template_matches(const AttrMap& values, std::span<const CK_ATTRIBUTE> t, const SensitivePredicate& sensitive) {
  for (const auto& a : t) {
    if (sensitive && sensitive(a.type)) return false;
    auto it = values.find(a.type);
    if (it == values.end()) return false;
    if (a.ulValueLen != it->second.size()) return false;
    if (a.ulValueLen == 0) continue;
    if (a.pValue == nullptr || std::memcmp(a.pValue, it->second.data(), it->second.size()) != 0) return false;
  }
  return true;
}

bool template_matches(const ObjectKind& kind, const AttrMap& values, std::span<const CK_ATTRIBUTE> t) {
  return template_matches(values, t, [&](CK_ATTRIBUTE_TYPE type) { return is_sensitive(kind, values, type); });
}

}  // namespace sx::token
