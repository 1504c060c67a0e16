// CKA_EC_PARAMS (DER OBJECT IDENTIFIER of a named curve -- the form
// SunPKCS11's ECUtil parses) and CKA_EC_POINT (DER OCTET STRING around the
// uncompressed point) for the curves of se05x/curves.h. OIDs come from
// OpenSSL's object table, not from hand-written bytes.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/constants.h"

namespace sx::token {

// Weierstrass curves OpenSSL knows; Errc::Unsupported otherwise.
Result<Bytes> ec_params_for_curve(se05x::Curve c);
// Exactly one DER OID of a supported curve; nullopt for anything else
// (explicit parameters, trailing bytes, unknown OIDs).
std::optional<se05x::Curve> curve_from_ec_params(ByteView der);

// 04 <len> point (definite length, short or 0x81 form).
Bytes ec_point_der(ByteView point);
// The point inside a DER OCTET STRING; nullopt if not exactly that.
std::optional<Bytes> ec_point_from_der(ByteView der);
// An uncompressed point of the curve's size that lies on the curve.
bool ec_point_valid(se05x::Curve c, ByteView point);

}  // namespace sx::token
