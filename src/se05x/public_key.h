// Public halves of chip keys as OpenSSL keys: what a host needs to verify the
// chip's signatures, encrypt to its keys, or put into a certificate request.
// Built by the crypto boundary (crypto/public_key.h); this file adds what
// needs the SE05x: curve IDs and reading a key object.
#pragma once

#include <cstdint>

#include "crypto/ossl.h"
#include "crypto/public_key.h"
#include "se05x/client.h"
#include "se05x/constants.h"

namespace sx::se05x {

// EC public key from the chip's uncompressed point 04||X||Y on a named curve,
// checked to lie on the curve.
Result<ossl::Pkey> ec_public_key(Curve curve, ByteView point);
using crypto::rsa_public_key;
// Reads the public part of a key object (EC pair/public, RSA pair/public).
Result<ossl::Pkey> read_public_key(Client& client, uint32_t id);

using crypto::spki_der;
using crypto::verify_message;

}  // namespace sx::se05x
