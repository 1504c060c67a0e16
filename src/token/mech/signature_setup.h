// What sign and verify share: mechanism/key validation at init and the
// single-part / multi-part input state machine (host hashing for SHA*-with-X).
#pragma once

#include "crypto/digest.h"
#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"
#include "token/mech/params.h"

namespace sx::token {

struct SignatureSetup {
  CK_MECHANISM_TYPE mechanism = 0;
  const MechanismRow* row = nullptr;  // scheme, host hash: everything about the mechanism
  PssParams pss;           // RsaPss only
  KeyRef key;
  CK_ULONG signature_len = 0;  // ECDSA: 2 * ceil(field bits / 8); RSA: modulus bytes
};

// usage: CKF_SIGN or CKF_VERIFY. Checks the mechanism row (CKR_MECHANISM_INVALID,
// CKR_MECHANISM_PARAM_INVALID, CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_SIZE_RANGE) and
// the key-dependent parameter limits (PSS salt too long for the modulus:
// CKR_MECHANISM_PARAM_INVALID).
CK_RV setup_signature(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, CK_FLAGS usage,
                      SignatureSetup& out);

// The to-be-signed value: the data itself (single-part mechanisms) or its
// host hash. Single-part mechanisms refuse update/final with
// CKR_FUNCTION_NOT_SUPPORTED; C_Sign after C_SignUpdate is CKR_OPERATION_ACTIVE.
// Any error ends the operation (state Done).
class InputCollector {
 public:
  // prehash: the hash mechanism run on the host (0 = none, the data is the input).
  CK_RV begin(CK_MECHANISM_TYPE prehash);
  OpState state() const { return state_; }
  bool multipart() const { return prehashed_; }
  CK_RV single(ByteView data, Bytes& tbs);
  CK_RV update(ByteView part);
  CK_RV final(Bytes& tbs);
  void finish() { state_ = OpState::Done; }

 private:
  CK_RV fail(CK_RV rv) {
    state_ = OpState::Done;
    return rv;
  }
  OpState state_ = OpState::Empty;
  bool prehashed_ = false;
  const EVP_MD* md_ = nullptr;
  crypto::Hasher hasher_;
};

// CKR_OPERATION_NOT_INITIALIZED for Empty/Done, CKR_OPERATION_ACTIVE for
// Updating when a single-part call comes.
CK_RV state_error(OpState s);

}  // namespace sx::token
