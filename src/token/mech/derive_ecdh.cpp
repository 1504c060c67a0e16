#include "token/mech/derive_ecdh.h"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "crypto/ec.h"
#include "se05x/curves.h"
#include "token/mech/chip_ops.h"
#include "token/mech/params.h"

namespace sx::token {

namespace {

// DER OCTET STRING with a definite length (short or 0x81/0x82 form) covering
// the rest of the input exactly.
bool unwrap_octet_string(ByteView in, ByteView& content) {
  if (in.size() < 2 || in[0] != 0x04) return false;
  size_t len = 0, hdr = 2;
  if (in[1] < 0x80) {
    len = in[1];
  } else if (in[1] == 0x81 && in.size() >= 3) {
    len = in[2];
    hdr = 3;
  } else if (in[1] == 0x82 && in.size() >= 4) {
    len = (size_t{in[2]} << 8) | in[3];
    hdr = 4;
  } else {
    return false;
  }
  if (hdr + len != in.size()) return false;
  content = in.subspan(hdr);
  return true;
}

}  // namespace

CK_RV parse_peer_point(const KeyRef& key, ByteView public_data, Bytes& uncompressed) {
  const se05x::CurveInfo* ci = se05x::curve_info(key.curve);
  if (!ci || ci->nid == 0) return CKR_KEY_TYPE_INCONSISTENT;
  auto group = crypto::ec_group(ci->nid);
  if (!group.ok()) return CKR_GENERAL_ERROR;
  const ossl::Group& g = *group;
  const size_t fb = (key.bits + 7u) / 8u;
  // A raw uncompressed point starts with 04 as a DER OCTET STRING does; its
  // exact length (1 + 2 * field bytes) tells them apart.
  ByteView point = public_data;
  if (!(public_data.size() == 1 + 2 * fb && public_data[0] == 0x04)) {
    ByteView inner;
    if (unwrap_octet_string(public_data, inner)) point = inner;
  }
  ossl::Point p(EC_POINT_new(g.get()));
  if (!p || point.empty() || EC_POINT_oct2point(g.get(), p.get(), point.data(), point.size(), nullptr) != 1 ||
      EC_POINT_is_at_infinity(g.get(), p.get()) || EC_POINT_is_on_curve(g.get(), p.get(), nullptr) != 1)
    return CKR_MECHANISM_PARAM_INVALID;
  uncompressed.assign(1 + 2 * fb, 0);
  if (EC_POINT_point2oct(g.get(), p.get(), POINT_CONVERSION_UNCOMPRESSED, uncompressed.data(), uncompressed.size(),
                         nullptr) != uncompressed.size())
    return CKR_GENERAL_ERROR;
  return CKR_OK;
}

CK_RV ecdh1_derive(se05x::Client& chip, const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key,
                   Bytes& secret) {
  const MechanismRow* row = find_mechanism(m.mechanism);
  if (!row || row->chip_op != ChipOp::EcdhSharedSecret) return CKR_MECHANISM_INVALID;
  CK_RV rv = check_mechanism(caps, m, CKF_DERIVE, key.key_type, key.bits);
  if (rv != CKR_OK) return rv;
  if (key.object_id == 0) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  Ecdh1Params p;
  rv = parse_ecdh1_params(m, p);
  if (rv != CKR_OK) return rv;
  Bytes point;
  rv = parse_peer_point(key, p.public_data, point);
  if (rv != CKR_OK) return rv;
  return chip::ecdh(chip, key, point, secret);
}

}  // namespace sx::token
