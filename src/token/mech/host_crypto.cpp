#include "token/mech/host_crypto.h"

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include <cstring>

#include "crypto/digest.h"
#include "crypto/libctx.h"

namespace sx::token::host {

namespace {

ossl::PkeyCtx ctx_for(const KeyRef& key) {
  if (!key.public_key) return nullptr;
  return ossl::PkeyCtx(EVP_PKEY_CTX_new_from_pkey(crypto::libctx(), key.public_key.get(), crypto::kPropq));
}

}  // namespace

bool rsa_public_raw(const KeyRef& key, ByteView s, Bytes& out) {
  const size_t k = key.modulus_bytes();
  if (key.key_type != CKK_RSA || s.size() != k || k == 0) return false;
  auto ctx = ctx_for(key);
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1)
    return false;
  size_t len = k;
  out.assign(k, 0);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, s.data(), s.size()) != 1 || len != k) return false;
  return true;
}

bool rsa_pss_verify(const KeyRef& key, ByteView mhash, ByteView sig, const PssParams& p) {
  auto ctx = ctx_for(key);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), p.md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), p.mgf_md) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), static_cast<int>(p.salt_len)) != 1)
    return false;
  return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), mhash.data(), mhash.size()) == 1;
}

bool ecdsa_verify_der(const KeyRef& key, ByteView digest, ByteView der) {
  if (key.key_type != CKK_EC || digest.empty()) return false;
  auto ctx = ctx_for(key);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  return EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

CK_RV rsa_encrypt(const KeyRef& key, RsaPad pad, const OaepParams* oaep, ByteView data, Bytes& out) {
  const size_t k = key.modulus_bytes();
  if (key.key_type != CKK_RSA || k == 0) return CKR_KEY_TYPE_INCONSISTENT;
  Bytes input(data.begin(), data.end());
  int mode = RSA_PKCS1_PADDING;
  switch (pad) {
    case RsaPad::Pkcs1:
      if (k < 11 || data.size() > k - 11) return CKR_DATA_LEN_RANGE;
      break;
    case RsaPad::Oaep: {
      const size_t h = oaep ? crypto::md_size(oaep->md) : 0;
      if (h == 0) return CKR_MECHANISM_PARAM_INVALID;
      if (k < 2 * h + 2 || data.size() > k - 2 * h - 2) return CKR_DATA_LEN_RANGE;
      mode = RSA_PKCS1_OAEP_PADDING;
      break;
    }
    case RsaPad::Raw:
      // PKCS#11 raw RSA: the input is a big-endian integer, zero-extended on the left.
      if (data.size() > k) return CKR_DATA_LEN_RANGE;
      input.insert(input.begin(), k - data.size(), 0x00);
      mode = RSA_NO_PADDING;
      break;
  }
  auto ctx = ctx_for(key);
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx.get(), mode) != 1)
    return CKR_GENERAL_ERROR;
  if (pad == RsaPad::Oaep) {
    if (EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), oaep->md) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), oaep->mgf_md) != 1)
      return CKR_GENERAL_ERROR;
    if (!oaep->label.empty()) {
      // set0 takes ownership of an OPENSSL_malloc'ed copy.
      auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(oaep->label.size()));
      if (!copy) return CKR_HOST_MEMORY;
      std::memcpy(copy, oaep->label.data(), oaep->label.size());
      if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(oaep->label.size())) != 1) {
        OPENSSL_free(copy);
        return CKR_GENERAL_ERROR;
      }
    }
  }
  size_t len = k;
  out.assign(k, 0);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, input.data(), input.size()) != 1) {
    out.clear();
    return pad == RsaPad::Raw ? CKR_DATA_INVALID : CKR_GENERAL_ERROR;  // raw: value >= n
  }
  out.resize(len);
  if (len < k) out.insert(out.begin(), k - len, 0x00);
  return CKR_OK;
}

}  // namespace sx::token::host
