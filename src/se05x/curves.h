// SE05x curve IDs <-> OpenSSL NIDs / names <-> sizes, and the domain
// parameters CreateECCurve/SetECCurveParam need, taken from OpenSSL's EC_GROUP
// (no hard-coded tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/constants.h"

namespace sx::se05x {

enum class CurveFamily : uint8_t { Weierstrass, Edwards, Montgomery };

struct CurveInfo {
  Curve curve;
  int nid;           // OpenSSL NID; 0 (NID_undef) when OpenSSL has no such curve
  const char* name;  // OpenSSL short name (ours for curves OpenSSL lacks)
  uint16_t bytes;    // field / private-scalar size in bytes
  CurveFamily family;
};

// nullptr for Curve::None and unknown values.
const CurveInfo* curve_info(Curve c);
const CurveInfo* curve_by_nid(int nid);
// Accepts OpenSSL short/long names and NIST names ("P-256").
const CurveInfo* curve_by_name(std::string_view name);

// Big-endian domain parameters, each padded to the curve size (the order to
// its own byte length when that is longer, e.g. secp224k1).
struct CurveDomain {
  Bytes a, b;
  Bytes g;  // uncompressed 04 || Gx || Gy
  Bytes order;
  Bytes prime;
};

// Weierstrass curves known to OpenSSL only; Errc::Unsupported otherwise.
Result<CurveDomain> curve_domain(Curve c);

// CKA_EC_PARAMS of a Weierstrass curve OpenSSL knows (DER OID, crypto/ec.h);
// Errc::Unsupported otherwise.
Result<Bytes> ec_params_for_curve(Curve c);
// Exactly one DER OID of a supported Weierstrass curve; nullopt for anything
// else (explicit parameters, trailing bytes, unknown OIDs).
std::optional<Curve> curve_from_ec_params(ByteView der);
// An uncompressed point of the curve's size that lies on the curve.
bool ec_point_valid(Curve c, ByteView point);

}  // namespace sx::se05x
