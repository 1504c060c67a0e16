#include "se05x/policy.h"

#include <cstdio>

#include "se05x/constants.h"

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

std::optional<std::vector<PolicyEntry>> decode_policy(ByteView raw) {
  std::vector<PolicyEntry> out;
  size_t p = 0;
  while (p < raw.size()) {
    const size_t len = raw[p];
    if (len < 8 || len > raw.size() - p - 1) return std::nullopt;
    PolicyEntry e;
    e.auth_object_id = get_u32(raw, p + 1);
    e.rules = get_u32(raw, p + 5);
    e.extension.assign(raw.begin() + static_cast<std::ptrdiff_t>(p + 9),
                       raw.begin() + static_cast<std::ptrdiff_t>(p + 1 + len));
    out.push_back(std::move(e));
    p += 1 + len;
  }
  return out;
}

uint32_t rules_for_session(std::span<const PolicyEntry> entries, uint32_t auth_id) {
  auto rules_of = [&](uint32_t id) -> std::optional<uint32_t> {
    std::optional<uint32_t> r;
    for (const auto& e : entries)
      if (e.auth_object_id == id) r = r.value_or(0) | e.rules;
    return r;
  };
  if (auth_id != 0)
    if (auto r = rules_of(auth_id)) return *r;
  return rules_of(0).value_or(0);
}

std::vector<SessionRules> rules_of_other_sessions(std::span<const PolicyEntry> entries, uint32_t owner) {
  std::vector<SessionRules> out;
  auto add = [&](uint32_t id) {
    if (id == owner) return;
    for (const auto& s : out)
      if (s.auth_id == id) return;
    const uint32_t r = rules_for_session(entries, id);
    out.push_back({id, (r & policy::kForbidAll) ? 0u : r});
  };
  add(0);
  for (const auto& e : entries) add(e.auth_object_id);
  return out;
}

std::string rights_in_words(uint32_t rules) {
  // Names of the applet 3.x bits (§4.7), in the order of the bits.
  static constexpr struct {
    uint32_t bit;
    const char* word;
  } kNames[] = {
      {policy::kForbidAll, "FORBID ALL"},      {policy::kAllowSign, "sign"},
      {policy::kAllowVerify, "verify"},        {policy::kAllowKeyAgreement, "key agreement"},
      {policy::kAllowEncrypt, "encrypt"},      {policy::kAllowDecrypt, "decrypt"},
      {policy::kAllowKdf, "key derivation"},   {policy::kAllowWrap, "wrap"},
      {policy::kAllowRead, "read"},            {policy::kAllowWrite, "write"},
      {policy::kAllowGen, "generate"},         {policy::kAllowDelete, "delete"},
      {policy::kRequireSm, "requires secure messaging"},
      {policy::kRequirePcr, "requires a PCR value"},
      {policy::kAllowAttestation, "attestation"},
      {0x00004000, "DESFire authentication"},  {0x00002000, "DESFire session-key dump"},
      {policy::kAllowImportExport, "import/export"},
  };
  if (rules == 0) return "nothing";
  std::string out;
  uint32_t rest = rules;
  for (const auto& n : kNames) {
    if ((rules & n.bit) == 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(n.word);
    rest &= ~n.bit;
  }
  if (rest != 0) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", rest);
    out += (out.empty() ? "" : ", ") + std::string("other bits ") + hex;
  }
  return out;
}

}  // namespace sx::se05x
