// C_SignInit / C_Sign / C_SignUpdate / C_SignFinal for one session: the
// private half on the SE05x, everything else on the host.
//
// Length queries: signature_length() is exact and known right after init
// (ECDSA 2 x field bytes, RSA modulus bytes), so the C ABI answers
// C_Sign(pSignature = NULL) and CKR_BUFFER_TOO_SMALL from it without calling
// sign()/final() -- the operation stays active. sign() and final() always end
// the operation, whatever they return.
//
// The caller holds the chip lock around sign()/final() (they send APDUs);
// init()/update() never touch the chip.
#pragma once

#include "se05x/client.h"
#include "token/mech/signature_setup.h"

namespace sx::token {

struct SignOptions {
  // Verify every chip signature with the public key before returning it: a
  // faulty RSA-CRT result would leak the key (Bellcore), and it catches chip
  // or link corruption. Costs one host public-key operation.
  bool check_signature = true;
  // ECDSA only, on top of check_signature: an ECDSA fault leaks nothing the
  // way RSA-CRT does (a faulty (r, s) is just an invalid signature the peer
  // rejects; nonce-bias faults are not caught by verification anyway), so
  // callers may skip the ~58 us (P-256) verification (docs/mechanisms.md).
  bool check_ecdsa = true;
};

class SignOperation {
 public:
  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, SignOptions opt = {});
  bool active() const { return in_.state() == OpState::Ready || in_.state() == OpState::Updating; }
  CK_MECHANISM_TYPE mechanism() const { return setup_.mechanism; }
  bool multipart() const { return in_.multipart(); }
  CK_ULONG signature_length() const { return setup_.signature_len; }

  CK_RV sign(se05x::Client& chip, ByteView data, Bytes& signature);
  CK_RV update(ByteView part);
  CK_RV final(se05x::Client& chip, Bytes& signature);

 private:
  CK_RV sign_tbs(se05x::Client& chip, ByteView tbs, Bytes& signature);
  CK_RV sign_ecdsa(se05x::Client& chip, ByteView tbs, Bytes& signature);
  CK_RV sign_rsa_block(se05x::Client& chip, ByteView block, Bytes& signature);

  SignatureSetup setup_;
  SignOptions opt_;
  InputCollector in_;
};

}  // namespace sx::token
