#include "crypto/ec.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <string>

#include "crypto/libctx.h"

namespace sx::crypto {

Result<ossl::Group> ec_group(int nid) {
  ossl::Group g(nid == NID_undef ? nullptr : EC_GROUP_new_by_curve_name_ex(libctx(), kPropq, nid));
  if (!g) return make_error(Errc::Unsupported, "EC group " + std::to_string(nid) + " unknown to OpenSSL");
  return g;
}

Result<EcSizes> ec_sizes(int nid) {
  SX_ASSIGN(ossl::Group g, ec_group(nid));
  const int degree = EC_GROUP_get_degree(g.get());
  const int order = EC_GROUP_order_bits(g.get());
  if (degree <= 0 || order <= 0) return make_error(Errc::Crypto, "EC group without size");
  return EcSizes{static_cast<uint32_t>(degree), static_cast<uint32_t>(order)};
}

Result<Bytes> ec_params_der(int nid) {
  const ASN1_OBJECT* obj = nid == NID_undef ? nullptr : OBJ_nid2obj(nid);
  if (!obj) return make_error(Errc::Unsupported, "EC params: no OID for curve");
  Bytes out = ossl::der_of(obj, i2d_ASN1_OBJECT);
  if (out.empty()) return make_error(Errc::Internal, "EC params: OID encoding failed");
  return out;
}

std::optional<int> nid_of_ec_params(ByteView der) {
  if (der.size() < 3 || der[0] != 0x06) return std::nullopt;
  const unsigned char* p = der.data();
  ossl::Asn1Object obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size())));
  if (!obj || p != der.data() + der.size()) return std::nullopt;
  const int nid = OBJ_obj2nid(obj.get());
  if (nid == NID_undef) return std::nullopt;
  return nid;
}

Bytes ec_point_der(ByteView point) {
  Bytes out{0x04};
  if (point.size() >= 0x80) out.push_back(0x81);
  out.push_back(static_cast<uint8_t>(point.size()));
  append(out, point);
  return out;
}

std::optional<Bytes> ec_point_from_der(ByteView der) {
  if (der.size() < 2 || der[0] != 0x04) return std::nullopt;
  size_t len = der[1], hdr = 2;
  if (der[1] == 0x81) {
    if (der.size() < 3 || der[2] < 0x80) return std::nullopt;
    len = der[2];
    hdr = 3;
  } else if (der[1] > 0x80) {
    return std::nullopt;
  }
  if (hdr + len != der.size() || len == 0) return std::nullopt;
  return Bytes(der.begin() + static_cast<std::ptrdiff_t>(hdr), der.end());
}

bool ec_point_valid(int nid, size_t field_bytes, ByteView point) {
  if (point.size() != 1 + 2 * field_bytes || point[0] != 0x04) return false;
  return ec_point_uncompressed(nid, point).has_value();
}

std::optional<Bytes> ec_point_uncompressed(int nid, ByteView point) {
  auto g = ec_group(nid);
  if (!g.ok() || point.empty()) return std::nullopt;
  ossl::Point pt(EC_POINT_new(g->get()));
  if (!pt || EC_POINT_oct2point(g->get(), pt.get(), point.data(), point.size(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(g->get(), pt.get()) || EC_POINT_is_on_curve(g->get(), pt.get(), nullptr) != 1)
    return std::nullopt;
  const size_t len = EC_POINT_point2oct(g->get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, nullptr);
  if (len == 0) return std::nullopt;
  Bytes out(len);
  if (EC_POINT_point2oct(g->get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), nullptr) != len)
    return std::nullopt;
  return out;
}

}  // namespace sx::crypto
