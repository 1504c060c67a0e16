#include "token/attr/ec_encoding.h"

#include <openssl/asn1.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include <memory>

#include "se05x/curves.h"

namespace sx::token {

Result<Bytes> ec_params_for_curve(se05x::Curve c) {
  const se05x::CurveInfo* ci = se05x::curve_info(c);
  if (!ci || ci->nid == 0 || ci->family != se05x::CurveFamily::Weierstrass)
    return make_error(Errc::Unsupported, "EC params: curve not supported");
  const ASN1_OBJECT* obj = OBJ_nid2obj(ci->nid);
  if (!obj) return make_error(Errc::Unsupported, "EC params: no OID for curve");
  const int len = i2d_ASN1_OBJECT(obj, nullptr);
  if (len <= 0) return make_error(Errc::Internal, "EC params: OID encoding failed");
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_ASN1_OBJECT(obj, &p);
  return out;
}

std::optional<se05x::Curve> curve_from_ec_params(ByteView der) {
  if (der.size() < 3 || der[0] != 0x06) return std::nullopt;
  const unsigned char* p = der.data();
  ASN1_OBJECT* obj = d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size()));
  if (!obj) return std::nullopt;
  const bool whole = p == der.data() + der.size();
  const int nid = OBJ_obj2nid(obj);
  ASN1_OBJECT_free(obj);
  if (!whole || nid == NID_undef) return std::nullopt;
  const se05x::CurveInfo* ci = se05x::curve_by_nid(nid);
  if (!ci || ci->family != se05x::CurveFamily::Weierstrass) return std::nullopt;
  return ci->curve;
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

bool ec_point_valid(se05x::Curve c, ByteView point) {
  const se05x::CurveInfo* ci = se05x::curve_info(c);
  if (!ci || ci->nid == 0 || point.size() != 1 + 2 * size_t{ci->bytes} || point[0] != 0x04) return false;
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> g(EC_GROUP_new_by_curve_name(ci->nid), &EC_GROUP_free);
  if (!g) return false;
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> pt(EC_POINT_new(g.get()), &EC_POINT_free);
  return pt && EC_POINT_oct2point(g.get(), pt.get(), point.data(), point.size(), nullptr) == 1 &&
         EC_POINT_is_on_curve(g.get(), pt.get(), nullptr) == 1;
}

}  // namespace sx::token
