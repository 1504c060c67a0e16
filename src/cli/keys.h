// Public keys of token objects and certificates, their comparison, and
// certificate signing requests signed by the chip's private key.
#pragma once

#include <string>

#include "crypto/ossl.h"
#include "base/result.h"
#include "token/object.h"
#include "token/token.h"

namespace sx::cli {

// The public key of a key object (private or public view).
Result<ossl::Pkey> object_public_key(const token::Object& o);
Result<ossl::Pkey> cert_public_key(ByteView cert_der);
bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b);
Result<Bytes> public_key_spki(const token::Object& o);
// "ec:p256", "rsa:2048", ... of a key object.
std::string object_key_type(const token::Object& o);

// A PKCS#10 request over `subject_der` for the key pair whose private half is
// `priv`, signed inside the chip (ECDSA with the curve's hash, or
// SHA256withRSA) and checked with the public key. Returns DER.
Result<Bytes> make_csr(token::Token& tok, const token::Object& priv, ByteView subject_der);
std::string pem_csr(ByteView der);
std::string pem_public_key(ByteView spki_der);

// A warning when the certificate is not valid at this moment ("the
// certificate expired on 2026-01-31 23:59 UTC" / "... is not valid before
// ..."); "" when it is valid now or its dates cannot be read.
std::string cert_validity_warning(ByteView cert_der);

}  // namespace sx::cli
