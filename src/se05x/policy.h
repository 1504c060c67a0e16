// Encoding and decoding of TAG_POLICY values (docs/se05x-protocol.md §4.7) and
// the rule of §4.9.5: which entry applies to a session.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace sx::se05x {

struct PolicyEntry {
  uint32_t auth_object_id = 0;  // 0 = everybody (no authenticated session)
  uint32_t rules = 0;           // policy:: access-rule bits
  Bytes extension;              // PCR id + value, or an object id; usually empty
};

// length(1) || auth id(4) || rules(4) || extension, per entry.
Bytes encode_policy(std::span<const PolicyEntry> entries);

// The entries of a policy as ReadObjectAttributes returns it (§4.8); an empty
// vector for no policy; nullopt when an entry is shorter than 8 bytes or runs
// past the end.
std::optional<std::vector<PolicyEntry>> decode_policy(ByteView raw);

// The rules a session of `auth_id` (0: outside any session) gets (§4.9.5): its
// own entry, else the entry for 0, else nothing. Several entries for one ID add up.
// Not meaningful for an empty policy (the chip's defaults apply; §4.7).
uint32_t rules_for_session(std::span<const PolicyEntry> entries, uint32_t auth_id);

// Every session other than `owner`'s that a policy distinguishes — 0 (no session,
// and every auth object without an entry of its own) and each other auth object
// with an entry — with the rules it gets (rules_for_session; FORBID_ALL gives 0).
// The one answer to "who besides the owner may use this object?" (docs/chip-pin.md §2).
// Not meaningful for an empty policy (the chip's defaults: everything for everybody).
struct SessionRules {
  uint32_t auth_id = 0;
  uint32_t rules = 0;
};
std::vector<SessionRules> rules_of_other_sessions(std::span<const PolicyEntry> entries, uint32_t owner);

// The rights in words, in bit order: "sign, verify, read, delete"; "nothing"
// for 0; bits without a name as hex ("0x00000010").
std::string rights_in_words(uint32_t rules);

}  // namespace sx::se05x
