#include "se05x/public_key.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "se05x/curves.h"
#include "se05x/types.h"

namespace sx::se05x {

namespace {

Result<ossl::Pkey> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ossl::Params params(OSSL_PARAM_BLD_to_param(bld));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return ossl::crypto_error(std::string("building ") + type + " public key");
  return ossl::Pkey(raw);
}

}  // namespace

Result<ossl::Pkey> ec_public_key(Curve curve, ByteView point) {
  const CurveInfo* ci = curve_info(curve);
  if (!ci || ci->nid == 0 || ci->family != CurveFamily::Weierstrass)
    return make_error(Errc::Unsupported, "no OpenSSL curve for this SE05x curve id");
  if (point.size() != 1 + 2u * ci->bytes || point[0] != 0x04)
    return make_error(Errc::Malformed, "EC public key is not an uncompressed point of the curve's size");
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(ci->nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return ossl::crypto_error("EC public key parameters");
  SX_ASSIGN(ossl::Pkey key, from_params("EC", bld.get()));
  // fromdata does not check that the point lies on the curve.
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return make_error(Errc::Malformed, "EC public key is not a point on the curve");
  return key;
}

Result<ossl::Pkey> rsa_public_key(ByteView modulus, ByteView exponent) {
  auto n = ossl::bn_from(ossl::strip_zeros(modulus));
  auto e = ossl::bn_from(ossl::strip_zeros(exponent));
  if (!n || !e || BN_is_zero(n.get()) || BN_is_zero(e.get()))
    return make_error(Errc::Malformed, "RSA public key with empty modulus or exponent");
  ossl::ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return ossl::crypto_error("RSA public key parameters");
  return from_params("RSA", bld.get());
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

Result<Bytes> spki_der(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(const_cast<EVP_PKEY*>(key), &der);
  if (len <= 0) return ossl::crypto_error("encoding SubjectPublicKeyInfo");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Result<bool> verify_message(const EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature, bool pss) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, const_cast<EVP_PKEY*>(key)) != 1)
    return ossl::crypto_error("signature verification set-up");
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return ossl::crypto_error("PSS parameters");
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size());
  if (rc < 0) return ossl::crypto_error("signature verification");
  ossl::last_error();  // a plain mismatch leaves an error on the queue
  return rc == 1;
}

}  // namespace sx::se05x
