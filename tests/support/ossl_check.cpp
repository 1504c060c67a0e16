#include "support/ossl_check.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstring>

namespace sx::testing {

Bytes random_bytes(size_t n) {
  Bytes b(n);
  if (n) RAND_bytes(b.data(), static_cast<int>(n));
  return b;
}

Bytes digest(const EVP_MD* md, ByteView data) {
  Bytes out(static_cast<size_t>(EVP_MD_get_size(md)));
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr);
  return out;
}

Bytes sha256(ByteView data) { return digest(EVP_sha256(), data); }

ossl::Pkey ec_public_key(const char* group, ByteView point) {
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return nullptr;
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* k = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return ossl::Pkey(k);
}

ossl::Pkey p256_public_key(ByteView point) { return ec_public_key("prime256v1", point); }

Bytes unwrap_point(ByteView der) {
  if (der.size() < 3 || der[0] != 0x04) return {};
  const size_t off = der[1] == 0x81 ? 3 : 2;
  return Bytes(der.begin() + static_cast<std::ptrdiff_t>(off), der.end());
}

bool verify_der(EVP_PKEY* key, ByteView digest, ByteView der) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
         EVP_PKEY_verify(ctx.get(), der.data(), der.size(), digest.data(), digest.size()) == 1;
}

bool verify_ecdsa_rs(EVP_PKEY* key, ByteView digest, ByteView rs) {
  if (key == nullptr || rs.empty() || rs.size() % 2) return false;
  const int half = static_cast<int>(rs.size() / 2);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(rs.data(), half, nullptr);
  BIGNUM* s = BN_bin2bn(rs.data() + half, half, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (n <= 0) return false;
  const bool ok = verify_der(key, digest, ByteView(der, static_cast<size_t>(n)));
  OPENSSL_free(der);
  return ok;
}

bool verify_p256_rs(EVP_PKEY* key, ByteView digest, ByteView rs) {
  return rs.size() == 64 && verify_ecdsa_rs(key, digest, rs);
}

bool verify_p256(ByteView ec_point_der, ByteView digest, ByteView rs) {
  ossl::Pkey pub = p256_public_key(unwrap_point(ec_point_der));
  return pub && verify_p256_rs(pub.get(), digest, rs);
}

bool rsa_verify_message(EVP_PKEY* key, const EVP_MD* md, int pss_salt, ByteView msg, ByteView sig) {
  ossl::MdCtx mctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!mctx || EVP_DigestVerifyInit(mctx.get(), &pctx, md, nullptr, key) != 1) return false;
  if (pss_salt >= 0 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) != 1))
    return false;
  return EVP_DigestVerify(mctx.get(), sig.data(), sig.size(), msg.data(), msg.size()) == 1;
}

bool rsa_verify_hash(EVP_PKEY* key, const EVP_MD* md, const EVP_MD* mgf_md, int pss_salt, ByteView hash,
                     ByteView sig) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_PKEY_verify_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return false;
  if (pss_salt >= 0 && (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
                        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), mgf_md) != 1 ||
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), pss_salt) != 1))
    return false;
  return EVP_PKEY_verify(ctx.get(), sig.data(), sig.size(), hash.data(), hash.size()) == 1;
}

bool rsa_recover(EVP_PKEY* key, ByteView sig, Bytes& data) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)
    return false;
  size_t len = 1024;
  data.assign(len, 0);
  if (EVP_PKEY_verify_recover(ctx.get(), data.data(), &len, sig.data(), sig.size()) != 1) return false;
  data.resize(len);
  return true;
}

Bytes rsa_encrypt(EVP_PKEY* key, const std::string& pad, ByteView data, const EVP_MD* md, const EVP_MD* mgf,
                  ByteView label) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
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

Bytes x963_kdf(const EVP_MD* md, ByteView z, ByteView info, size_t n) {
  Bytes out;
  for (uint32_t counter = 1; out.size() < n; ++counter) {
    Bytes block(z.begin(), z.end());
    for (int shift = 24; shift >= 0; shift -= 8) block.push_back(static_cast<uint8_t>(counter >> shift));
    block.insert(block.end(), info.begin(), info.end());
    append(out, digest(md, block));
  }
  out.resize(n);
  return out;
}

Bytes ecdh_secret(EVP_PKEY* mine, EVP_PKEY* peer) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, mine, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    return {};
  Bytes out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return {};
  out.resize(len);
  return out;
}

}  // namespace sx::testing
