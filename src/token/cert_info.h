// What the token derives from chip bytes with OpenSSL: X.509 fields of a
// certificate file and the DER of a curve's named-curve OID (CKA_EC_PARAMS).
#pragma once

#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/constants.h"

namespace sx::token {

struct CertInfo {
  Bytes subject;  // DER Name
  Bytes issuer;   // DER Name
  Bytes serial;   // DER INTEGER (CKA_SERIAL_NUMBER)
};

// nullopt unless `der` is exactly one well-formed X.509 certificate (no trailing bytes).
std::optional<CertInfo> parse_certificate(ByteView der);

// DER OBJECT IDENTIFIER of the named curve; Errc::Unsupported for curves OpenSSL lacks.
Result<Bytes> ec_params_der(se05x::Curve c);

}  // namespace sx::token
