#include "se05x/public_key.h"

#include "se05x/curves.h"
#include "se05x/types.h"

namespace sx::se05x {

Result<ossl::Pkey> ec_public_key(Curve curve, ByteView point) {
  const CurveInfo* ci = curve_info(curve);
  if (!ci || ci->nid == 0 || ci->family != CurveFamily::Weierstrass)
    return make_error(Errc::Unsupported, "no OpenSSL curve for this SE05x curve id");
  return crypto::ec_public_key(ci->nid, ci->bytes, point);
}

Result<ossl::Pkey> read_public_key(Client& client, uint32_t id) {
  SX_ASSIGN(TypeInfo t, client.read_type(id));
  SX_ASSIGN(KeyKind kind, normalize_type(t.type));
  switch (kind.type) {
    case ObjectType::EcKeyPair:
    case ObjectType::EcPublic: {
      Curve curve = kind.curve;
      if (curve == Curve::None) {
        SX_ASSIGN(curve, client.get_ec_curve_id(id));
      }
      SX_ASSIGN(Bytes point, client.read_object(id));
      return ec_public_key(curve, point);
    }
    case ObjectType::RsaKeyPair:
    case ObjectType::RsaKeyPairCrt:
    case ObjectType::RsaPublic: {
      SX_ASSIGN(Bytes n, client.read_rsa_component(id, RsaComponent::Modulus));
      SX_ASSIGN(Bytes e, client.read_rsa_component(id, RsaComponent::PublicExponent));
      return rsa_public_key(n, e);
    }
    default:
      return make_error(Errc::InvalidArgument, "object is not a key with a readable public part");
  }
}

}  // namespace sx::se05x
