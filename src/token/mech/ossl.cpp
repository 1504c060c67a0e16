#include "token/mech/ossl.h"

namespace sx::token::ossl {

const EVP_MD* md_for_hash_mechanism(CK_MECHANISM_TYPE hash) {
  switch (hash) {
    case CKM_SHA_1: return EVP_sha1();
    case CKM_SHA224: return EVP_sha224();
    case CKM_SHA256: return EVP_sha256();
    case CKM_SHA384: return EVP_sha384();
    case CKM_SHA512: return EVP_sha512();
    default: return nullptr;
  }
}

const EVP_MD* md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf) {
  switch (mgf) {
    case CKG_MGF1_SHA1: return EVP_sha1();
    case CKG_MGF1_SHA224: return EVP_sha224();
    case CKG_MGF1_SHA256: return EVP_sha256();
    case CKG_MGF1_SHA384: return EVP_sha384();
    case CKG_MGF1_SHA512: return EVP_sha512();
    default: return nullptr;
  }
}

std::optional<CK_MECHANISM_TYPE> hash_of_mechanism(CK_MECHANISM_TYPE m) {
  switch (m) {
    case CKM_ECDSA_SHA1: case CKM_SHA1_RSA_PKCS: case CKM_SHA1_RSA_PKCS_PSS: case CKM_SHA_1: return CKM_SHA_1;
    case CKM_ECDSA_SHA224: case CKM_SHA224_RSA_PKCS: case CKM_SHA224_RSA_PKCS_PSS: case CKM_SHA224: return CKM_SHA224;
    case CKM_ECDSA_SHA256: case CKM_SHA256_RSA_PKCS: case CKM_SHA256_RSA_PKCS_PSS: case CKM_SHA256: return CKM_SHA256;
    case CKM_ECDSA_SHA384: case CKM_SHA384_RSA_PKCS: case CKM_SHA384_RSA_PKCS_PSS: case CKM_SHA384: return CKM_SHA384;
    case CKM_ECDSA_SHA512: case CKM_SHA512_RSA_PKCS: case CKM_SHA512_RSA_PKCS_PSS: case CKM_SHA512: return CKM_SHA512;
    default: return std::nullopt;
  }
}

size_t md_size(const EVP_MD* md) {
  const int n = md ? EVP_MD_get_size(md) : 0;
  return n > 0 ? static_cast<size_t>(n) : 0;
}

bool Hasher::init(const EVP_MD* md) {
  ctx_.reset(EVP_MD_CTX_new());
  md_ = md;
  if (!ctx_ || !md || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1) {
    ctx_.reset();
    return false;
  }
  return true;
}

bool Hasher::update(ByteView data) {
  if (!ctx_) return false;
  if (data.empty()) return true;
  return EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1;
}

std::optional<Bytes> Hasher::finish() {
  if (!ctx_) return std::nullopt;
  Bytes out(md_size(md_));
  unsigned int n = 0;
  const bool good = EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) == 1 && n == out.size();
  ctx_.reset();
  if (!good) return std::nullopt;
  return out;
}

std::optional<Bytes> hash(const EVP_MD* md, ByteView data) {
  Hasher h;
  if (!h.init(md) || !h.update(data)) return std::nullopt;
  return h.finish();
}

}  // namespace sx::token::ossl
