#include "sim/rsa_crypto.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "crypto/digest.h"
#include "crypto/libctx.h"

namespace sx::sim {

namespace {

namespace t = se05x::tag;

Error rsa_error(std::string what) { return make_error(Errc::Crypto, std::move(what)); }

const struct {
  uint8_t tag;
  const char* name;
} kParams[] = {
    {t::k10, OSSL_PKEY_PARAM_RSA_N},          {t::k8, OSSL_PKEY_PARAM_RSA_E},
    {t::k9, OSSL_PKEY_PARAM_RSA_D},           {t::k3, OSSL_PKEY_PARAM_RSA_FACTOR1},
    {t::k4, OSSL_PKEY_PARAM_RSA_FACTOR2},     {t::k5, OSSL_PKEY_PARAM_RSA_EXPONENT1},
    {t::k6, OSSL_PKEY_PARAM_RSA_EXPONENT2},   {t::k7, OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
};

// d = e^-1 mod lcm(p-1, q-1): OpenSSL wants d for a private key even when CRT is complete.
Result<Bytes> derive_d(ByteView p, ByteView q, ByteView e) {
  ossl::BnCtx ctx(BN_CTX_new_ex(crypto::libctx()));
  ossl::Bn bp = ossl::bn_from(p), bq = ossl::bn_from(q), be = ossl::bn_from(e);
  ossl::Bn p1(BN_new()), q1(BN_new()), g(BN_new()), l(BN_new()), d(BN_new()), rem(BN_new());
  if (!ctx || !bp || !bq || !be || !p1 || !q1 || !g || !l || !d || !rem) return rsa_error("bn");
  if (!BN_sub(p1.get(), bp.get(), BN_value_one()) || !BN_sub(q1.get(), bq.get(), BN_value_one()) ||
      !BN_gcd(g.get(), p1.get(), q1.get(), ctx.get()) || !BN_mul(l.get(), p1.get(), q1.get(), ctx.get()) ||
      !BN_div(l.get(), rem.get(), l.get(), g.get(), ctx.get()) ||
      !BN_mod_inverse(d.get(), be.get(), l.get(), ctx.get()))
    return rsa_error("cannot derive d from the CRT components");
  return ossl::bn_bytes(d.get());
}

}  // namespace

Result<RsaComponents> rsa_components(const EVP_PKEY* key) {
  RsaComponents out;
  for (const auto& p : kParams) {
    Bytes v = ossl::get_bn_param(key, p.name);
    if (v.empty()) return rsa_error(std::string("RSA component missing: ") + p.name);
    out[p.tag] = std::move(v);
  }
  return out;
}

Result<RsaComponents> rsa_generate(uint16_t bits) {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(crypto::libctx(), crypto::kPropq, "RSA", static_cast<size_t>(bits));
  if (!raw) return rsa_error("RSA key generation");
  ossl::Pkey key(raw);
  return rsa_components(key.get());
}

Result<ossl::Pkey> rsa_pkey(const SecureObject& o) {
  if (!o.complete()) return rsa_error("RSA key incomplete");
  RsaComponents c = o.rsa;
  if (!c.count(t::k10) || !c.count(t::k8)) return rsa_error("RSA key without modulus/exponent");
  const bool priv = has_private(o.kind);
  if (priv && !c.count(t::k9)) {
    SX_ASSIGN(Bytes d, derive_d(c[t::k3], c[t::k4], c[t::k8]));
    c[t::k9] = std::move(d);
  }
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld) return rsa_error("param builder");
  std::vector<ossl::Bn> keep;
  for (const auto& p : kParams) {
    if (!priv && p.tag != t::k10 && p.tag != t::k8) continue;
    auto it = c.find(p.tag);
    if (it == c.end()) continue;
    keep.push_back(ossl::bn_from(it->second));
    if (!keep.back() || !OSSL_PARAM_BLD_push_BN(bld.get(), p.name, keep.back().get())) return rsa_error("RSA param");
  }
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(crypto::libctx(), "RSA", crypto::kPropq));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return rsa_error("RSA key from data");
  return ossl::Pkey(key);
}

RsaSignScheme rsa_sign_scheme(uint8_t algo) {
  switch (algo) {
    case 0x0A: return {crypto::md(crypto::Digest::Sha1), false};
    case 0x27: return {crypto::md(crypto::Digest::Sha224), false};
    case 0x28: return {crypto::md(crypto::Digest::Sha256), false};
    case 0x29: return {crypto::md(crypto::Digest::Sha384), false};
    case 0x2A: return {crypto::md(crypto::Digest::Sha512), false};
    case 0x15: return {crypto::md(crypto::Digest::Sha1), true};
    case 0x2B: return {crypto::md(crypto::Digest::Sha224), true};
    case 0x2C: return {crypto::md(crypto::Digest::Sha256), true};
    case 0x2D: return {crypto::md(crypto::Digest::Sha384), true};
    case 0x2E: return {crypto::md(crypto::Digest::Sha512), true};
    default: return {};
  }
}

Result<Bytes> rsa_sign(EVP_PKEY* key, RsaSignScheme s, ByteView message) {
  ossl::MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, EVP_MD_get0_name(s.md), crypto::libctx(), crypto::kPropq, key, nullptr) != 1) return rsa_error("RSA sign init");
  if (s.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return rsa_error("RSA PSS setup");
  size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, message.data(), message.size()) != 1) return rsa_error("RSA sign size");
  Bytes sig(len);
  if (EVP_DigestSign(md.get(), sig.data(), &len, message.data(), message.size()) != 1) return rsa_error("RSA sign");
  sig.resize(len);
  return sig;
}

bool rsa_verify(EVP_PKEY* key, RsaSignScheme s, ByteView message, ByteView sig) {
  ossl::MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit_ex(md.get(), &pctx, EVP_MD_get0_name(s.md), crypto::libctx(), crypto::kPropq, key, nullptr) != 1) return false;
  if (s.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))
    return false;
  return EVP_DigestVerify(md.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

namespace {

Status set_padding(EVP_PKEY_CTX* ctx, uint8_t algo) {
  int pad = 0;
  switch (algo) {
    case 0x0C: pad = RSA_NO_PADDING; break;
    case 0x0A: pad = RSA_PKCS1_PADDING; break;
    case 0x0F: pad = RSA_PKCS1_OAEP_PADDING; break;
    default: return make_error(Errc::InvalidArgument, "unknown RSA encryption algorithm");
  }
  if (EVP_PKEY_CTX_set_rsa_padding(ctx, pad) != 1) return rsa_error("RSA padding");
  if (pad == RSA_PKCS1_OAEP_PADDING &&
      (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, crypto::md(crypto::Digest::Sha1)) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, crypto::md(crypto::Digest::Sha1)) != 1))
    return rsa_error("RSA OAEP");
  return {};
}

// Encrypt and decrypt run the same two-call OpenSSL dance; `what` names the
// direction in the error texts ("encrypt" / "decrypt").
Result<Bytes> rsa_crypt_with(EVP_PKEY* key, uint8_t algo, ByteView data, int (*init)(EVP_PKEY_CTX*),
                             int (*op)(EVP_PKEY_CTX*, unsigned char*, size_t*, const unsigned char*, size_t),
                             const std::string& what) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(crypto::libctx(), key, crypto::kPropq));
  if (!ctx || init(ctx.get()) != 1) return rsa_error("RSA " + what + " init");
  SX_TRY(set_padding(ctx.get(), algo));
  size_t len = 0;
  if (op(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) return rsa_error("RSA " + what + " size");
  Bytes out(len);
  if (op(ctx.get(), out.data(), &len, data.data(), data.size()) != 1)
    return make_error(Errc::InvalidArgument, "RSA " + what + ": input rejected");
  out.resize(len);
  return out;
}

}  // namespace

Result<Bytes> rsa_encrypt(EVP_PKEY* key, uint8_t algo, ByteView data) {
  return rsa_crypt_with(key, algo, data, EVP_PKEY_encrypt_init, EVP_PKEY_encrypt, "encrypt");
}

Result<Bytes> rsa_decrypt(EVP_PKEY* key, uint8_t algo, ByteView data) {
  return rsa_crypt_with(key, algo, data, EVP_PKEY_decrypt_init, EVP_PKEY_decrypt, "decrypt");
}

}  // namespace sx::sim
