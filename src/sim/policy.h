// Object policies (docs/se05x-protocol.md §4.7): parse TAG_POLICY, decide access for the
// plain (no-session) user, whose authentication object ID is 00000000.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "sim/object.h"

namespace sx::sim {

struct PolicyEntry {
  uint32_t auth_id = 0;
  uint32_t rules = 0;  // AR header
  Bytes extension;
};

// nullopt when the encoding is malformed (entry length < 8 or running past the end).
std::optional<std::vector<PolicyEntry>> parse_policy(ByteView raw);

// True when the plain user may perform `right` (one se05x::policy::kAllow* bit) on `o`.
// No policy = default rules for the kind; an explicit policy without an entry for
// auth ID 0 denies everything; FORBID_ALL denies everything.
bool allowed(const SecureObject& o, uint32_t right);

}  // namespace sx::sim
