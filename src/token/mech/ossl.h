// RAII owners for the OpenSSL objects of the mechanism layer and the host-side
// hash helpers (digest mechanisms, SHA*-with-X sign/verify, PSS/OAEP).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>

#include "base/ossl.h"
#include "token/mech/ck.h"

namespace sx::token::ossl {

// The owners are base/ossl.h's (one home for every layer).
using sx::ossl::MdCtx;
using sx::ossl::PkeyCtx;
using sx::ossl::PkeyFree;
// Shared: a key reference is copied into every operation started with it.
using SharedPkey = std::shared_ptr<EVP_PKEY>;
inline SharedPkey share(EVP_PKEY* p) { return SharedPkey(p, PkeyFree{}); }

// Hash mechanisms CKM_SHA_1 .. CKM_SHA512 (and the matching CKG_MGF1_*).
const EVP_MD* md_for_hash_mechanism(CK_MECHANISM_TYPE hash);
const EVP_MD* md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
// The hash of a combined mechanism (CKM_SHA256_RSA_PKCS -> CKM_SHA256, ...);
// nullopt for mechanisms without an internal hash.
std::optional<CK_MECHANISM_TYPE> hash_of_mechanism(CK_MECHANISM_TYPE m);
size_t md_size(const EVP_MD* md);

// Multi-part hash that never throws and reports failure as false.
class Hasher {
 public:
  bool init(const EVP_MD* md);
  bool update(ByteView data);
  std::optional<Bytes> finish();
  bool active() const { return ctx_ != nullptr; }

 private:
  MdCtx ctx_;
  const EVP_MD* md_ = nullptr;
};
std::optional<Bytes> hash(const EVP_MD* md, ByteView data);

}  // namespace sx::token::ossl
