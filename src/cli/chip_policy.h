// An object's chip policy as the CLI shows it (`policy show`, `info`, `adopt`):
// read with ReadObjectAttributes, named per session, and the one question that
// matters for a key: can a session other than the user's use it?
// (docs/chip-pin.md §2, docs/se05x-protocol.md §4.7, §4.9.5.)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "se05x/policy.h"
#include "token/token.h"

namespace sx::cli {

struct ObjectPolicy {
  uint32_t chip_id = 0;
  uint8_t type = 0;             // ReadType code (docs/se05x-protocol.md §5.3)
  bool auth_object = false;     // a UserID / authentication object itself
  uint16_t attempts = 0, max_attempts = 0;  // authentication objects only
  bool none = false;            // no policy: the chip's defaults, everything for everybody
  bool malformed = false;       // entries that could not be decoded (treated as no protection)
  std::vector<se05x::PolicyEntry> entries;
};

// One ReadObjectAttributes under the chip lock.
Result<ObjectPolicy> read_object_policy(token::Token& tok, uint32_t chip_id);

// "user session (0x7B5EFFF9)", "SO session (0x7B5EFFF8)", "any session / no
// session (0x00000000)", "session of authentication object 0x7DA00001".
std::string session_name(uint32_t auth_id);
// One line per entry: "user session (0x7B5EFFF9): sign, verify, read, delete";
// for no policy the single line "no policy: every session may do everything".
std::vector<std::string> policy_lines(const ObjectPolicy& p);
nlohmann::json policy_json(const ObjectPolicy& p);

// The uses (sign, decrypt, key agreement, key derivation) that a session other
// than the user's (no session, the SO's, another auth object's) gets; 0 when
// only the user's session may use the object. No or unreadable policy: all of them.
uint32_t uses_outside_user_session(const ObjectPolicy& p);

// An object that the chip does not keep for the user's session alone.
struct Unprotected {
  uint32_t chip_id = 0;
  std::string label;
  std::string uses;  // rights_in_words of uses_outside_user_session()
  std::string who;   // "factory", "module", "other tool"
};
// Every private key of the token whose policy lets another session use it
// (one ReadObjectAttributes per key); an error only when the chip fails.
Result<std::vector<Unprotected>> unprotected_keys(token::Token& tok);
// "sign, verify, ... for any session / no session": the advice line for one.
std::string unprotected_text(const Unprotected& u);

}  // namespace sx::cli
