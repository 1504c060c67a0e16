// Public keys as OpenSSL keys, built one way: a DER SubjectPublicKeyInfo
// decoded on crypto::libctx(). Why through DER rather than
// EVP_PKEY_fromdata: in a process where an OpenSSL ENGINE is the default for
// EC/RSA (`openssl req -engine pkcs11` loading our module through libp11, the
// Greengrass CSR step) EVP_PKEY_CTX_new_from_name picks the engine's legacy
// method and fromdata fails; the SPKI decoder works there
// (docs/pkcs11-module.md, "Operation keys").
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/ossl.h"

namespace sx::crypto {

// SubjectPublicKeyInfo of an EC key: named curve `nid`, point as given.
Result<Bytes> ec_spki_der(int nid, ByteView point);
// SubjectPublicKeyInfo of an RSA key (big-endian n and e; leading zeros allowed).
Result<Bytes> rsa_spki_der(ByteView modulus, ByteView exponent);
// DER SubjectPublicKeyInfo of any key.
Result<Bytes> spki_der(const EVP_PKEY* key);

// Exactly one DER SubjectPublicKeyInfo (Errc::InvalidArgument otherwise).
Result<ossl::Pkey> public_key_from_spki(ByteView der);

// EC public key from an uncompressed point 04||X||Y of `field_bytes`
// coordinates on named curve `nid`; the point must lie on the curve
// (Errc::Malformed otherwise).
Result<ossl::Pkey> ec_public_key(int nid, size_t field_bytes, ByteView point);
// RSA public key from big-endian modulus and exponent (Errc::Malformed when either is zero).
Result<ossl::Pkey> rsa_public_key(ByteView modulus, ByteView exponent);

// Verifies a signature over `message` with digest `md` (EC: DER ECDSA; RSA:
// PKCS#1 v1.5, or PSS with salt length = digest length when pss is set).
Result<bool> verify_message(const EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature,
                            bool pss = false);

}  // namespace sx::crypto
