#include "sim/policy.h"

namespace sx::sim {

namespace pol = se05x::policy;

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

uint32_t effective_rules(const SecureObject& o, uint32_t auth_id) {
  if (o.policy.empty()) return default_rules(o);
  auto entries = parse_policy(o.policy);
  if (!entries) return 0;
  // Rules of several entries for the same ID add up (the MW never writes such policies).
  auto rules_for = [&](uint32_t id) -> std::optional<uint32_t> {
    std::optional<uint32_t> r;
    for (const auto& e : *entries)
      if (e.auth_id == id) r = r.value_or(0) | e.rules;
    return r;
  };
  if (auth_id != 0)
    if (auto r = rules_for(auth_id)) return *r;
  return rules_for(0).value_or(0);
}

bool allowed(const SecureObject& o, uint32_t right, uint32_t auth_id) {
  const uint32_t rules = effective_rules(o, auth_id);
  if (rules & pol::kForbidAll) return false;
  return (rules & right) != 0;
}

uint32_t required_right(se05x::CmdId id) {
  using se05x::CmdId;
  switch (id) {
    case CmdId::ECDSASign:
    case CmdId::RSASign: return pol::kAllowSign;
    case CmdId::ECDSAVerify:
    case CmdId::RSAVerify: return pol::kAllowVerify;
    case CmdId::ECDHGenerateSharedSecret: return pol::kAllowKeyAgreement;
    case CmdId::RSAEncrypt: return pol::kAllowEncrypt;
    case CmdId::RSADecrypt: return pol::kAllowDecrypt;
    case CmdId::ReadObject: return pol::kAllowRead;
    case CmdId::WriteECKey:
    case CmdId::WriteRSAKey:
    case CmdId::WriteAESKey:
    case CmdId::WriteDESKey:
    case CmdId::WriteHMACKey:
    case CmdId::WriteBinary:
    case CmdId::WriteUserID: return pol::kAllowWrite;
    case CmdId::DeleteSecureObject: return pol::kAllowDelete;
    default: return 0;
  }
}

}  // namespace sx::sim
