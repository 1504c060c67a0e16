// OpenSSL helpers of the module tests: certificates for a chip public key and
// independent verification of the module's r||s signatures.
#pragma once

#include <string>

#include "base/bytes.h"

namespace sx::p11test {

// CKA_EC_POINT (DER OCTET STRING around 04||X||Y) of a P-256 key -> the raw point.
Bytes unwrap_point(const Bytes& ec_point_der);
// An X.509 certificate (DER) for that P-256 public key, CN = cn, signed by a throwaway CA.
Bytes cert_for_point(const Bytes& ec_point_der, const std::string& cn);
// ECDSA verification of r||s over `digest` with the P-256 public key.
bool verify_p256(const Bytes& ec_point_der, const Bytes& digest, const Bytes& rs);
Bytes sha256(const Bytes& data);

}  // namespace sx::p11test
