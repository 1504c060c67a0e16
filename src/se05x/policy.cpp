#include "se05x/policy.h"

namespace sx::se05x {

Bytes encode_policy(std::span<const PolicyEntry> entries) {
  Bytes out;
  for (const auto& e : entries) {
    out.push_back(static_cast<uint8_t>(8 + e.extension.size()));
    put_u32(out, e.auth_object_id);
    put_u32(out, e.rules);
    append(out, e.extension);
  }
  return out;
}

}  // namespace sx::se05x
