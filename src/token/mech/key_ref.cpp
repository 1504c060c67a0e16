#include "token/mech/key_ref.h"

#include <openssl/bn.h>

#include <string>

#include "crypto/ec.h"
#include "crypto/public_key.h"
#include "se05x/curves.h"

namespace sx::token {

namespace {

Error bad(const std::string& what) { return make_error(Errc::InvalidArgument, "key reference: " + what); }

}  // namespace

Result<KeyRef> make_ec_key_ref(uint32_t object_id, se05x::Curve curve, ByteView point) {
  const se05x::CurveInfo* ci = se05x::curve_info(curve);
  if (!ci || ci->family != se05x::CurveFamily::Weierstrass || ci->nid == 0) return bad("unsupported curve");
  auto sizes = crypto::ec_sizes(ci->nid);
  if (!sizes) return bad(sizes.error().to_string());
  KeyRef k;
  k.object_id = object_id;
  k.key_type = CKK_EC;
  k.curve = curve;
  k.bits = sizes->field_bits;
  k.order_bits = sizes->order_bits;
  if (!point.empty()) {
    auto pkey = crypto::ec_public_key(ci->nid, ci->bytes, point);
    if (!pkey) return bad(pkey.error().to_string());
    k.public_key = ossl::share(pkey->release());
  }
  return k;
}

Result<KeyRef> make_rsa_key_ref(uint32_t object_id, ByteView modulus, ByteView public_exponent) {
  auto pkey = crypto::rsa_public_key(modulus, public_exponent);
  if (!pkey) return bad(pkey.error().to_string());
  KeyRef k;
  k.object_id = object_id;
  k.key_type = CKK_RSA;
  const ByteView n = ossl::strip_zeros(modulus);
  k.modulus.assign(n.begin(), n.end());
  k.bits = static_cast<uint32_t>(EVP_PKEY_get_bits(pkey->get()));
  k.public_key = ossl::share(pkey->release());
  return k;
}

}  // namespace sx::token
