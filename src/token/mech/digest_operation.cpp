#include "token/mech/digest_operation.h"

namespace sx::token {

CK_RV DigestOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m) {
  in_ = InputCollector{};
  const CK_RV rv = check_mechanism(caps, m, CKF_DIGEST, kNoKey, 0);
  if (rv != CKR_OK) return rv;
  const EVP_MD* md = md_for_hash(m.mechanism);
  if (!md) return CKR_MECHANISM_INVALID;
  length_ = static_cast<CK_ULONG>(crypto::md_size(md));
  return in_.begin(m.mechanism);
}

}  // namespace sx::token
