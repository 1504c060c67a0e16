// C_VerifyInit / C_Verify / C_VerifyUpdate / C_VerifyFinal: entirely on the
// host with OpenSSL against the public key -- no chip round trip, no chip
// lock, and the result does not depend on the chip's verify commands (whose
// behaviour for odd digest lengths is unconfirmed). verify()/final() end the
// operation. A signature of the wrong length is CKR_SIGNATURE_LEN_RANGE, a
// wrong one CKR_SIGNATURE_INVALID.
#pragma once

#include "token/mech/signature_setup.h"

namespace sx::token {

class VerifyOperation {
 public:
  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key);
  bool active() const { return in_.state() == OpState::Ready || in_.state() == OpState::Updating; }
  bool multipart() const { return in_.multipart(); }
  CK_ULONG signature_length() const { return setup_.signature_len; }

  CK_RV verify(ByteView data, ByteView signature);
  CK_RV update(ByteView part);
  CK_RV final(ByteView signature);

 private:
  CK_RV verify_tbs(ByteView tbs, ByteView signature) const;

  SignatureSetup setup_;
  InputCollector in_;
};

}  // namespace sx::token
