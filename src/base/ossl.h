// RAII owners for OpenSSL 3 objects and the few BIGNUM helpers every layer
// needs, so no layer keeps its own copy.
#pragma once

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
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
