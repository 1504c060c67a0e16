#include "sim/policy.h"

namespace sx::sim {

namespace pol = se05x::policy;

bool policy_well_formed(ByteView raw) {
  auto entries = se05x::decode_policy(raw);
  return entries && !entries->empty();
}

uint32_t effective_rules(const SecureObject& o, uint32_t auth_id) {
  if (o.policy.empty()) return default_rules(o);
  auto entries = se05x::decode_policy(o.policy);
  if (!entries || entries->empty()) return 0;
  return se05x::rules_for_session(*entries, auth_id);
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
