// RAII owners for OpenSSL 3 objects and the few BIGNUM helpers every layer
// needs, so no layer keeps its own copy. Part of the crypto boundary
// (src/crypto): objects that need an algorithm come from crypto/libctx.h.
#pragma once

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::ossl {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct MdCtxFree { void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_clear_free(p); } };
struct BnCtxFree { void operator()(BN_CTX* p) const { BN_CTX_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };
struct X509Free { void operator()(X509* p) const { X509_free(p); } };
struct X509NameFree { void operator()(X509_NAME* p) const { X509_NAME_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct GroupFree { void operator()(EC_GROUP* p) const { EC_GROUP_free(p); } };
// Points may be derived from private scalars: cleared before release.
struct PointFree { void operator()(EC_POINT* p) const { EC_POINT_clear_free(p); } };
struct EcdsaSigFree { void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); } };
struct Asn1ObjectFree { void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); } };
struct X509PubkeyFree { void operator()(X509_PUBKEY* p) const { X509_PUBKEY_free(p); } };
struct X509ReqFree { void operator()(X509_REQ* p) const { X509_REQ_free(p); } };
struct X509AlgorFree { void operator()(X509_ALGOR* p) const { X509_ALGOR_free(p); } };
struct X509SigFree { void operator()(X509_SIG* p) const { X509_SIG_free(p); } };
struct P8Free { void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); } };
struct P12Free { void operator()(PKCS12* p) const { PKCS12_free(p); } };
struct KdfFree { void operator()(EVP_KDF* p) const { EVP_KDF_free(p); } };
struct KdfCtxFree { void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); } };

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using Params = std::unique_ptr<OSSL_PARAM, ParamFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509NamePtr = std::unique_ptr<X509_NAME, X509NameFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using Group = std::unique_ptr<EC_GROUP, GroupFree>;
using Point = std::unique_ptr<EC_POINT, PointFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;
using Asn1Object = std::unique_ptr<ASN1_OBJECT, Asn1ObjectFree>;
using X509Pubkey = std::unique_ptr<X509_PUBKEY, X509PubkeyFree>;
using X509Req = std::unique_ptr<X509_REQ, X509ReqFree>;
using X509Algor = std::unique_ptr<X509_ALGOR, X509AlgorFree>;
using X509Sig = std::unique_ptr<X509_SIG, X509SigFree>;
using P8 = std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free>;
using P12 = std::unique_ptr<PKCS12, P12Free>;
using Kdf = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtx = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;
// Shared: a key reference is copied into every operation started with it.
using SharedPkey = std::shared_ptr<EVP_PKEY>;
inline SharedPkey share(EVP_PKEY* p) { return SharedPkey(p, PkeyFree{}); }

// DER of an OpenSSL object with its i2d function (length query, then
// encode); empty when v is null or encoding fails.
template <class T, class Enc>
Bytes der_of(T* v, Enc enc) {
  const int len = v ? enc(v, nullptr) : 0;
  if (len <= 0) return {};
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  if (enc(v, &p) != len) return {};
  return out;
}

// Big-endian unsigned bytes -> BIGNUM (empty input = 0).
Bn bn_from(ByteView b);
// BIGNUM -> minimal big-endian bytes, or left-padded to `width` when width > 0.
Bytes bn_bytes(const BIGNUM* bn, size_t width = 0);
// Drops leading zero bytes (unsigned integer normalisation).
ByteView strip_zeros(ByteView b);
// Reads a BIGNUM parameter of a key as minimal big-endian bytes (empty if absent).
Bytes get_bn_param(const EVP_PKEY* key, const char* name);
// The first error on OpenSSL's queue as text (and clears the queue).
std::string last_error();
// Error{Errc::Crypto, what + ": " + last_error()}
Error crypto_error(const std::string& what);

}  // namespace sx::ossl
