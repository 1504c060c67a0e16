// C_DigestInit / C_Digest / C_DigestUpdate / C_DigestFinal on the host
// (OpenSSL): hashing on the chip would cost an APDU per call for nothing.
// digest()/final() end the operation; the length is known at init.
//
// The operation can be saved and restored (C_GetOperationState /
// C_SetOperationState, docs/pkcs11-module.md "Operation state"): OpenSSL's TLS
// copies its handshake hash, and pkcs11-provider, when it is the preferred
// provider, copies a digest that way. OpenSSL cannot export a hash's inner
// state, so the operation keeps the input it has hashed so far (up to
// kMaxSavedInput bytes; past that the state is unsaveable) and a restore
// hashes it again.
#pragma once

#include <memory>

#include "token/mech/mechanism_table.h"
#include "token/mech/signature_setup.h"

namespace sx::token {

class DigestOperation {
 public:
  // Input kept for a saved state: a TLS handshake transcript is a few KiB.
  static constexpr size_t kMaxSavedInput = 64 * 1024;

  ~DigestOperation() { secure_wipe(fed_); }
  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m);
  bool active() const { return in_.state() == OpState::Ready || in_.state() == OpState::Updating; }
  CK_ULONG digest_length() const { return length_; }
  CK_RV digest(ByteView data, Bytes& out) { return in_.single(data, out); }
  CK_RV update(ByteView part);
  CK_RV final(Bytes& out) { return in_.final(out); }

  // The saved state: CKR_OPERATION_NOT_INITIALIZED when not active,
  // CKR_STATE_UNSAVEABLE once more than kMaxSavedInput bytes were hashed.
  CK_RV save(Bytes& out) const;
  // An operation continuing a saved state; CKR_SAVED_STATE_INVALID for
  // anything save() did not make (or a mechanism `caps` does not offer).
  static CK_RV restore(const ChipCapabilities& caps, ByteView state, std::unique_ptr<DigestOperation>& out);

 private:
  InputCollector in_;
  CK_MECHANISM_TYPE mechanism_ = 0;
  CK_ULONG length_ = 0;
  Bytes fed_;              // the input of update() so far, for save()
  bool saveable_ = true;   // fed_ holds all of it
};

}  // namespace sx::token
