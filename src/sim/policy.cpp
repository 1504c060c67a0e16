#include "sim/policy.h"

namespace sx::sim {

std::optional<std::vector<PolicyEntry>> parse_policy(ByteView raw) {
  std::vector<PolicyEntry> out;
  size_t p = 0;
  while (p < raw.size()) {
    const size_t len = raw[p];
    if (len < 8 || len > raw.size() - p - 1) return std::nullopt;
    PolicyEntry e;
    e.auth_id = get_u32(raw, p + 1);
    e.rules = get_u32(raw, p + 5);
    e.extension.assign(raw.begin() + static_cast<std::ptrdiff_t>(p + 9),
                       raw.begin() + static_cast<std::ptrdiff_t>(p + 1 + len));
    out.push_back(std::move(e));
    p += 1 + len;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

bool allowed(const SecureObject& o, uint32_t right) {
  uint32_t rules = default_rules(o.kind);
  if (!o.policy.empty()) {
    auto entries = parse_policy(o.policy);
    if (!entries) return false;
    rules = 0;
    for (const auto& e : *entries)
      if (e.auth_id == 0) rules |= e.rules;
  }
  if (rules & se05x::policy::kForbidAll) return false;
  return (rules & right) != 0;
}

}  // namespace sx::sim
