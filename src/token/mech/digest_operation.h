// C_DigestInit / C_Digest / C_DigestUpdate / C_DigestFinal on the host
// (OpenSSL): hashing on the chip would cost an APDU per call for nothing.
// digest()/final() end the operation; the length is known at init.
#pragma once

#include "token/mech/mechanism_table.h"
#include "token/mech/signature_setup.h"

namespace sx::token {

class DigestOperation {
 public:
  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m);
  bool active() const { return in_.state() == OpState::Ready || in_.state() == OpState::Updating; }
  CK_ULONG digest_length() const { return length_; }
  CK_RV digest(ByteView data, Bytes& out) { return in_.single(data, out); }
  CK_RV update(ByteView part) { return in_.update(part); }
  CK_RV final(Bytes& out) { return in_.final(out); }

 private:
  InputCollector in_;
  CK_ULONG length_ = 0;
};

}  // namespace sx::token
