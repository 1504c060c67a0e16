// Object policies (docs/se05x-protocol.md §4.7, §4.9.5): parse TAG_POLICY, decide access for
// the authentication object of the current session (00000000 outside any session), and the
// one table saying which right each command needs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "se05x/commands.h"
#include "se05x/policy.h"
#include "sim/object.h"

namespace sx::sim {

// The policy is decoded by se05x::decode_policy and the entry for a session chosen by
// se05x::rules_for_session (se05x/policy.h): the host and the card read one encoding.
// True when the encoding is well formed and has at least one entry (an empty TAG_POLICY
// is refused: docs/se05x-protocol.md §4.7).
bool policy_well_formed(ByteView raw);

// The access rules that apply to `auth_id` (0 = no session) on `o`: no policy = the default
// rules of the object, for everybody; otherwise the entry for `auth_id` if there is one, else
// the entry for 00000000, else nothing.
uint32_t effective_rules(const SecureObject& o, uint32_t auth_id);

// True when a session of `auth_id` (0: outside sessions) may perform `right` (one
// se05x::policy::kAllow* bit) on `o`. FORBID_ALL denies everything.
bool allowed(const SecureObject& o, uint32_t right, uint32_t auth_id = 0);

// The right a command needs on the object it names (0: the command needs none, e.g.
// ReadType, CheckObjectExists, ReadObjectAttributes). Writes name WRITE: it is checked only
// when they change an existing object.
uint32_t required_right(se05x::CmdId id);

}  // namespace sx::sim
