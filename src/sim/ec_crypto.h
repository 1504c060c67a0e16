// EC operations of the simulated chip (OpenSSL 3 EVP underneath).
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "sim/curves.h"
#include "sim/object.h"
#include "crypto/ossl.h"

namespace sx::sim {

struct EcKeyBytes {
  Bytes priv;  // scalar, curve size
  Bytes pub;   // 04||X||Y
};

Result<EcKeyBytes> ec_generate(const CurveInfo& c);
// Scalar -> public point; errors on 0 or >= order.
Result<Bytes> ec_public_from_private(const CurveInfo& c, ByteView d);
// 04||X||Y of the right length and on the curve.
bool ec_point_valid(const CurveInfo& c, ByteView pub);
// EVP key of an EC object (private part when the object has one).
Result<ossl::Pkey> ec_pkey(const SecureObject& o);

// Signs a digest as given; DER SEQUENCE{r, s}.
Result<Bytes> ecdsa_sign(EVP_PKEY* key, ByteView digest);
// Accepts r, s INTEGERs that are non-minimal or have the top bit set (read as unsigned).
// false for a bad signature or an unparseable one.
bool ecdsa_verify(EVP_PKEY* key, ByteView digest, ByteView der);
// Shared secret = X coordinate of d * peer.
Result<Bytes> ecdh_x(EVP_PKEY* key, const CurveInfo& c, ByteView peer_point);

}  // namespace sx::sim
