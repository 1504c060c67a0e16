#include "ossl_check.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstring>
#include <memory>

namespace sx::token::test {

namespace {
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
}  // namespace

Bytes sha(const EVP_MD* md, ByteView data) {
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr);
  return out;
}

bool ossl_ecdsa_verify_rs(EVP_PKEY* key, ByteView digest, ByteView rs) {
  if (rs.size() % 2) return false;
  const int half = static_cast<int>(rs.size() / 2);
  ECDSA_SIG* s = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(rs.data(), half, nullptr);
  BIGNUM* ss = BN_bin2bn(rs.data() + half, half, nullptr);
  ECDSA_SIG_set0(s, r, ss);
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(s, &der);
  ECDSA_SIG_free(s);
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  const bool ok = len > 0 && EVP_PKEY_verify_init(ctx.get()) == 1 &&
                  EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(len), digest.data(), digest.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

bool ossl_rsa_verify_message(EVP_PKEY* key, const EVP_MD* md, int pss_salt, ByteView msg, ByteView sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(mctx.get(), &pctx, md, nullptr, key) != 1) return false;
  if (pss_salt >= 0 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) != 1))
    return false;
  return EVP_DigestVerify(mctx.get(), sig.data(), sig.size(), msg.data(), msg.size()) == 1;
}

bool ossl_rsa_verify_hash(EVP_PKEY* key, const EVP_MD* md, const EVP_MD* mgf_md, int pss_salt, ByteView hash,
                          ByteView sig) {
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return false;
  if (pss_salt >= 0 && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
                        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf_md) != 1 ||
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), pss_salt) != 1))
    return false;
  return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), hash.data(), hash.size()) == 1;
}

bool ossl_rsa_recover(EVP_PKEY* key, ByteView sig, Bytes& data) {
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)
    return false;
  size_t len = 1024;
  data.assign(len, 0);
  if (EVP_PKEY_verify_recover(ctx.get(), data.data(), &len, sig.data(), sig.size()) != 1) return false;
  data.resize(len);
  return true;
}

Bytes ossl_rsa_encrypt(EVP_PKEY* key, const std::string& pad, ByteView data, const EVP_MD* md, const EVP_MD* mgf,
                       ByteView label) {
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_PKEY_encrypt_init(ctx.get()) != 1) return {};
  const int mode = pad == "oaep" ? RSA_PKCS1_OAEP_PADDING : pad == "none" ? RSA_NO_PADDING : RSA_PKCS1_PADDING;
  if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), mode) != 1) return {};
  if (mode == RSA_PKCS1_OAEP_PADDING) {
    if (EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf) != 1)
      return {};
    if (!label.empty()) {
      auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(label.size()));
      std::memcpy(copy, label.data(), label.size());
      EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(label.size()));
    }
  }
  size_t len = 1024;
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, data.data(), data.size()) != 1) return {};
  out.resize(len);
  return out;
}

Bytes random_bytes(size_t n) {
  Bytes b(n);
  if (n) RAND_bytes(b.data(), static_cast<int>(n));
  return b;
}

}  // namespace sx::token::test
