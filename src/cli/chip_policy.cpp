#include "cli/chip_policy.h"

#include <cstdio>
#include <set>

#include "cli/parse.h"
#include "cli/printable.h"
#include "se05x/constants.h"
#include "token/id_range.h"

namespace sx::cli {
namespace {

namespace pol = se05x::policy;

// What "using" a key means here: the operations the PIN is meant to guard.
constexpr uint32_t kUses = pol::kAllowSign | pol::kAllowDecrypt | pol::kAllowKeyAgreement | pol::kAllowKdf;

// The chip's type codes of authentication objects (docs/se05x-protocol.md §5.3).
bool is_auth_type(const se05x::ObjectAttributes& a) { return a.auth_set; }

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", v);
  return b;
}

}  // namespace

Result<ObjectPolicy> read_object_policy(token::Token& tok, uint32_t chip_id) {
  se05x::ObjectAttributes a;
  {
    SX_ASSIGN(auto lock, tok.hold_single());
    SX_ASSIGN(a, tok.client().read_object_attributes(chip_id));
  }
  ObjectPolicy p;
  p.chip_id = chip_id;
  p.type = a.type;
  p.auth_object = is_auth_type(a);
  p.attempts = a.auth_attempts;
  p.max_attempts = a.max_auth_attempts;
  auto entries = se05x::decode_policy(a.policy);
  if (!entries) p.malformed = true;
  else if (entries->empty()) p.none = true;
  else p.entries = std::move(*entries);
  return p;
}

std::string session_name(uint32_t auth_id) {
  if (auth_id == token::ids::kUserUserId) return "user session (" + hex32(auth_id) + ")";
  if (auth_id == token::ids::kSoUserId) return "SO session (" + hex32(auth_id) + ")";
  if (auth_id == 0) return "any session / no session (" + hex32(0) + ")";
  return "session of authentication object " + hex32(auth_id);
}

std::vector<std::string> policy_lines(const ObjectPolicy& p) {
  if (p.none) return {"no policy: every session may do everything"};
  if (p.malformed) return {"policy unreadable (malformed entries): treated as no protection"};
  std::vector<std::string> out;
  for (const auto& e : p.entries) {
    std::string line = session_name(e.auth_object_id) + ": " + se05x::rights_in_words(e.rules);
    if (!e.extension.empty()) line += " (with an extension: " + to_hex(e.extension) + ")";
    out.push_back(std::move(line));
  }
  // §4.9.5: a session whose auth object has no entry falls back to entry 0, or to nothing.
  bool has_zero = false;
  for (const auto& e : p.entries) has_zero = has_zero || e.auth_object_id == 0;
  if (!has_zero) out.push_back("any other session / no session: nothing");
  return out;
}

nlohmann::json policy_json(const ObjectPolicy& p) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : p.entries) {
    nlohmann::json rights = nlohmann::json::array();
    for (uint32_t bit = 0x80000000u; bit != 0; bit >>= 1)
      if (e.rules & bit) rights.push_back(se05x::rights_in_words(bit));
    entries.push_back({{"auth_object", hex32(e.auth_object_id)},
                       {"session", session_name(e.auth_object_id)},
                       {"rules", hex32(e.rules)},
                       {"rights", rights}});
  }
  const uint32_t foreign = uses_outside_user_session(p);
  nlohmann::json j{{"chip_id", hex32(p.chip_id)},
                   {"no_policy", p.none},
                   {"malformed", p.malformed},
                   {"entries", entries},
                   {"text", policy_lines(p)},
                   {"pin_protected_by_chip", foreign == 0},
                   {"uses_outside_user_session", foreign == 0 ? "" : se05x::rights_in_words(foreign)}};
  if (p.auth_object) j["authentication_object"] = {{"attempts", p.attempts}, {"max_attempts", p.max_attempts}};
  return j;
}

uint32_t uses_outside_user_session(const ObjectPolicy& p) {
  if (p.none || p.malformed) return kUses;
  uint32_t out = 0;
  for (const auto& s : se05x::rules_of_other_sessions(p.entries, token::ids::kUserUserId)) out |= s.rules & kUses;
  return out;
}

Result<std::vector<Unprotected>> unprotected_keys(token::Token& tok) {
  std::vector<Unprotected> out;
  std::set<uint32_t> seen;
  // Copies: reading attributes does not change the listing, but keep no pointers across chip calls.
  const std::vector<token::Object> objs = tok.objects();
  for (const auto& o : objs) {
    if (o.cls != token::ObjectClass::PrivateKey || !seen.insert(o.chip_id).second) continue;
    SX_ASSIGN(ObjectPolicy p, read_object_policy(tok, o.chip_id));
    const uint32_t foreign = uses_outside_user_session(p);
    if (foreign == 0) continue;
    out.push_back({o.chip_id, o.label, se05x::rights_in_words(foreign),
                   o.factory ? "factory" : (o.adopted ? "other tool" : "module")});
  }
  return out;
}

std::string unprotected_text(const Unprotected& u) {
  return hex_id(u.chip_id) + " '" + printable(u.label) + "' (" + u.who + " key): " + u.uses +
         " without the user's PIN";
}

}  // namespace sx::cli
