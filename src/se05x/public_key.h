// Public halves of chip keys as OpenSSL keys: what a host needs to verify the
// chip's signatures, encrypt to its keys, or put into a certificate request.
#pragma once

#include <cstdint>

#include "base/ossl.h"
#include "se05x/client.h"
#include "se05x/constants.h"

namespace sx::se05x {

// EC public key from the chip's uncompressed point 04||X||Y on a named curve.
Result<ossl::Pkey> ec_public_key(Curve curve, ByteView point);
// RSA public key from big-endian modulus and exponent.
Result<ossl::Pkey> rsa_public_key(ByteView modulus, ByteView exponent);
// Reads the public part of a key object (EC pair/public, RSA pair/public).
Result<ossl::Pkey> read_public_key(Client& client, uint32_t id);

// DER SubjectPublicKeyInfo.
Result<Bytes> spki_der(const EVP_PKEY* key);

// Verifies a signature over `message` with digest `md` (EC: DER ECDSA; RSA:
// PKCS#1 v1.5, or PSS with salt length = digest length when pss is set).
Result<bool> verify_message(const EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature,
                            bool pss = false);

}  // namespace sx::se05x
