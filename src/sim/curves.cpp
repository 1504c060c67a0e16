#include "sim/curves.h"

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <vector>

#include "crypto/ec.h"
#include "crypto/ossl.h"
#include "se05x/curves.h"

namespace sx::sim {

namespace {

// The Weierstrass curves OpenSSL knows, from the host stack's curve table (one
// source of truth for curve IDs); the field size comes from OpenSSL itself.
const std::vector<CurveInfo>& table() {
  static const std::vector<CurveInfo> curves = [] {
    std::vector<CurveInfo> out;
    for (uint8_t id = 1; id <= kCurveListLen; ++id) {
      const auto* ci = se05x::curve_info(static_cast<se05x::Curve>(id));
      if (!ci || ci->nid == 0 || ci->family != se05x::CurveFamily::Weierstrass) continue;
      auto sizes = crypto::ec_sizes(ci->nid);
      if (!sizes.ok()) continue;
      out.push_back({id, OBJ_nid2sn(ci->nid), static_cast<uint16_t>(sizes->field_bits)});
    }
    return out;
  }();
  return curves;
}

bool same_number(ByteView got, ByteView expect) {
  return ossl::strip_zeros(got).size() == ossl::strip_zeros(expect).size() &&
         std::equal(ossl::strip_zeros(got).begin(), ossl::strip_zeros(got).end(), ossl::strip_zeros(expect).begin());
}

}  // namespace

const CurveInfo* find_curve(uint8_t id) {
  for (const auto& c : table())
    if (c.id == id) return &c;
  return nullptr;
}

bool curve_param_matches(const CurveInfo& c, uint8_t param, ByteView value) {
  auto d = se05x::curve_domain(static_cast<se05x::Curve>(c.id));
  if (!d.ok()) return false;
  switch (static_cast<se05x::CurveParam>(param)) {
    case se05x::CurveParam::A:
      return same_number(value, d->a);
    case se05x::CurveParam::B:
      return same_number(value, d->b);
    case se05x::CurveParam::N:
      return same_number(value, d->order);
    case se05x::CurveParam::Prime:
      return same_number(value, d->prime);
    case se05x::CurveParam::G:
      return Bytes(value.begin(), value.end()) == d->g;
  }
  return false;
}

}  // namespace sx::sim
