// Named EC groups on crypto::libctx() and the DER forms PKCS#11 uses for EC
// keys: CKA_EC_PARAMS (a DER OBJECT IDENTIFIER of a named curve -- the form
// SunPKCS11's ECUtil parses) and CKA_EC_POINT (a DER OCTET STRING around the
// uncompressed point). Curves are OpenSSL NIDs here; se05x/curves.h maps the
// SE05x curve IDs onto them. OIDs come from OpenSSL's object table.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/ossl.h"

namespace sx::crypto {

// The named group `nid`; Errc::Unsupported when OpenSSL lacks it.
Result<ossl::Group> ec_group(int nid);

struct EcSizes {
  uint32_t field_bits = 0;  // degree (521 for P-521)
  uint32_t order_bits = 0;  // bit length of the group order n
};
Result<EcSizes> ec_sizes(int nid);

// DER OID of a named curve; Errc::Unsupported for NID_undef / no OID.
Result<Bytes> ec_params_der(int nid);
// Exactly one DER OID; the curve's NID, or nullopt (trailing bytes, not an OID, unknown).
std::optional<int> nid_of_ec_params(ByteView der);

// 04 <len> point (definite length, short or 0x81 form).
Bytes ec_point_der(ByteView point);
// The point inside a DER OCTET STRING; nullopt if not exactly that.
std::optional<Bytes> ec_point_from_der(ByteView der);
// An uncompressed point of `field_bytes` coordinates that lies on the curve.
bool ec_point_valid(int nid, size_t field_bytes, ByteView point);
// A peer's point in any SEC 1 encoding (uncompressed, compressed, hybrid) on
// the curve `nid`: the uncompressed form (1 + 2 * field bytes), or nullopt when
// it does not decode, lies off the curve or is the point at infinity.
std::optional<Bytes> ec_point_uncompressed(int nid, ByteView point);

}  // namespace sx::crypto
