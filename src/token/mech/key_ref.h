// What an operation needs to know about a key: where its private half lives
// on the chip, its type and size, and the public key for the host-side halves
// (verify, encrypt, fault checks of chip signatures).
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/result.h"
#include "se05x/constants.h"
#include "token/mech/ck.h"
#include "crypto/ossl.h"

namespace sx::token {

struct KeyRef {
  uint32_t object_id = 0;  // SE05x object holding the private key (0 = public key only)
  CK_KEY_TYPE key_type = CKK_EC;
  se05x::Curve curve = se05x::Curve::None;  // EC only
  uint32_t bits = 0;        // EC: field size in bits (521 for P-521); RSA: modulus bits
  uint32_t order_bits = 0;  // EC: bit length of the group order n
  Bytes modulus;            // RSA: big-endian n without leading zeros
  ossl::SharedPkey public_key;

  // Bytes of one ECDSA half (r or s) / of an RSA block: ceil(bits/8).
  size_t ec_half_bytes() const { return (std::max(bits, order_bits) + 7u) / 8u; }
  size_t modulus_bytes() const { return (bits + 7u) / 8u; }
};

// EC key from its curve and uncompressed public point 04||X||Y, which must lie
// on the curve (crypto::ec_public_key: the one way public keys are built). An
// empty point gives a key without public_key: enough to sign or derive on the chip.
Result<KeyRef> make_ec_key_ref(uint32_t object_id, se05x::Curve curve, ByteView point);
// RSA key from big-endian modulus and public exponent.
Result<KeyRef> make_rsa_key_ref(uint32_t object_id, ByteView modulus, ByteView public_exponent);

}  // namespace sx::token
