// C_DecryptInit / C_Decrypt for RSA keys (single-part only, as PKCS#11 2.40
// specifies for these mechanisms): the raw private operation (RSADecrypt
// NO_PAD) on the chip, the unpadding on the host.
//   CKM_RSA_PKCS      EME-PKCS1-v1_5, branch-free decoding, one error code
//   CKM_RSA_PKCS_OAEP EME-OAEP with the parameters' hash, MGF1 hash and label
//   CKM_RSA_X_509     the raw k-byte result
// Every padding failure is CKR_ENCRYPTED_DATA_INVALID (no distinction a
// Bleichenbacher/Manger attacker could use beyond the inherent "bad padding"
// answer of C_Decrypt itself).
//
// Length query: the exact plaintext length is only known after decrypting, so
// decrypt() caches its result; calling it again with the same ciphertext (the
// C ABI's NULL-buffer query followed by the real call, or a retry after
// CKR_BUFFER_TOO_SMALL) returns the cached plaintext without another chip
// operation. max_output_length() is the bound before decrypting. The C ABI
// ends the operation; the cache is wiped on destruction or re-init.
#pragma once

#include "se05x/client.h"
#include "token/mech/key_ref.h"
#include "token/mech/mechanism_table.h"
#include "token/mech/params.h"
#include "token/mech/mechanism_table.h"

namespace sx::token {

class DecryptOperation {
 public:
  DecryptOperation() = default;
  DecryptOperation(const DecryptOperation&) = delete;
  DecryptOperation& operator=(const DecryptOperation&) = delete;
  ~DecryptOperation() { clear(); }

  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key);
  bool active() const { return state_ == OpState::Ready; }
  CK_ULONG max_output_length() const;
  CK_RV decrypt(se05x::Client& chip, ByteView ciphertext, Bytes& plaintext);

 private:
  void clear();

  OpState state_ = OpState::Empty;
  Scheme scheme_ = Scheme::None;  // RsaPkcs1, RsaOaep or RsaRaw
  OaepParams oaep_;
  KeyRef key_;
  Bytes cached_in_, cached_out_;
  bool cached_ = false;
};

// C_EncryptInit / C_Encrypt with the public key on the host (the chip is not
// needed): CKM_RSA_PKCS, CKM_RSA_PKCS_OAEP, CKM_RSA_X_509. Output length is
// always the modulus length.
class EncryptOperation {
 public:
  CK_RV init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key);
  bool active() const { return state_ == OpState::Ready; }
  CK_ULONG output_length() const { return static_cast<CK_ULONG>(key_.modulus_bytes()); }
  // Ends the operation.
  CK_RV encrypt(ByteView data, Bytes& ciphertext);

 private:
  OpState state_ = OpState::Empty;
  Scheme scheme_ = Scheme::None;  // RsaPkcs1, RsaOaep or RsaRaw
  OaepParams oaep_;
  KeyRef key_;
};

}  // namespace sx::token
