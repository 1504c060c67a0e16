// Encoding of TAG_POLICY values (docs/se05x-protocol.md §4.7).
#pragma once

#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace sx::se05x {

struct PolicyEntry {
  uint32_t auth_object_id = 0;  // 0 = everybody (no authenticated session)
  uint32_t rules = 0;           // policy:: access-rule bits
  Bytes extension;              // PCR id + value, or an object id; usually empty
};

// length(1) || auth id(4) || rules(4) || extension, per entry.
Bytes encode_policy(std::span<const PolicyEntry> entries);

}  // namespace sx::se05x
