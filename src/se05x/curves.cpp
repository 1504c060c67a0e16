#include "se05x/curves.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>

#include <string>

#include "crypto/ec.h"
#include "crypto/libctx.h"
#include "crypto/ossl.h"

namespace sx::se05x {

namespace {

using F = CurveFamily;

constexpr CurveInfo kCurves[] = {
    {Curve::NistP192, NID_X9_62_prime192v1, "prime192v1", 24, F::Weierstrass},
    {Curve::NistP224, NID_secp224r1, "secp224r1", 28, F::Weierstrass},
    {Curve::NistP256, NID_X9_62_prime256v1, "prime256v1", 32, F::Weierstrass},
    {Curve::NistP384, NID_secp384r1, "secp384r1", 48, F::Weierstrass},
    {Curve::NistP521, NID_secp521r1, "secp521r1", 66, F::Weierstrass},
    {Curve::Brainpool160, NID_brainpoolP160r1, "brainpoolP160r1", 20, F::Weierstrass},
    {Curve::Brainpool192, NID_brainpoolP192r1, "brainpoolP192r1", 24, F::Weierstrass},
    {Curve::Brainpool224, NID_brainpoolP224r1, "brainpoolP224r1", 28, F::Weierstrass},
    {Curve::Brainpool256, NID_brainpoolP256r1, "brainpoolP256r1", 32, F::Weierstrass},
    {Curve::Brainpool320, NID_brainpoolP320r1, "brainpoolP320r1", 40, F::Weierstrass},
    {Curve::Brainpool384, NID_brainpoolP384r1, "brainpoolP384r1", 48, F::Weierstrass},
    {Curve::Brainpool512, NID_brainpoolP512r1, "brainpoolP512r1", 64, F::Weierstrass},
    {Curve::Secp160k1, NID_secp160k1, "secp160k1", 20, F::Weierstrass},
    {Curve::Secp192k1, NID_secp192k1, "secp192k1", 24, F::Weierstrass},
    {Curve::Secp224k1, NID_secp224k1, "secp224k1", 28, F::Weierstrass},
    {Curve::Secp256k1, NID_secp256k1, "secp256k1", 32, F::Weierstrass},
    {Curve::TpmBnP256, NID_undef, "tpm_bn_p256", 32, F::Weierstrass},
    {Curve::Ed25519, NID_ED25519, "ED25519", 32, F::Edwards},
    {Curve::X25519, NID_X25519, "X25519", 32, F::Montgomery},
    {Curve::X448, NID_X448, "X448", 56, F::Montgomery},
};

using BnPtr = ossl::Bn;

Error ossl_error(const char* what, Curve c) {
  return make_error(Errc::Crypto, std::string("curve ") + std::to_string(static_cast<int>(c)) + ": " + what);
}

Result<Bytes> padded(const BIGNUM* bn, size_t size, Curve c) {
  const int n = BN_num_bytes(bn);
  const size_t len = static_cast<size_t>(n) > size ? static_cast<size_t>(n) : size;
  Bytes out(len);
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(len)) < 0) return ossl_error("BN_bn2binpad failed", c);
  return out;
}

}  // namespace

const CurveInfo* curve_info(Curve c) {
  for (const auto& i : kCurves)
    if (i.curve == c) return &i;
  return nullptr;
}

const CurveInfo* curve_by_nid(int nid) {
  if (nid == NID_undef) return nullptr;
  for (const auto& i : kCurves)
    if (i.nid == nid) return &i;
  return nullptr;
}

const CurveInfo* curve_by_name(std::string_view name) {
  const std::string s(name);
  for (const auto& i : kCurves)
    if (s == i.name) return &i;
  int nid = EC_curve_nist2nid(s.c_str());
  if (nid == NID_undef) nid = OBJ_txt2nid(s.c_str());
  return curve_by_nid(nid);
}

Result<CurveDomain> curve_domain(Curve c) {
  const CurveInfo* info = curve_info(c);
  if (!info || info->nid == NID_undef || info->family != CurveFamily::Weierstrass)
    return make_error(Errc::Unsupported, "curve " + std::to_string(static_cast<int>(c)) +
                                             ": no Weierstrass domain parameters available from OpenSSL");
  auto group_or = crypto::ec_group(info->nid);
  if (!group_or.ok()) return ossl_error("unknown to OpenSSL", c);
  const ossl::Group& group = *group_or;
  ossl::BnCtx ctx(BN_CTX_new_ex(crypto::libctx()));
  BnPtr p(BN_new()), a(BN_new()), b(BN_new());
  if (!ctx || !p || !a || !b) return ossl_error("out of memory", c);
  if (EC_GROUP_get_curve(group.get(), p.get(), a.get(), b.get(), ctx.get()) != 1)
    return ossl_error("EC_GROUP_get_curve failed", c);
  const EC_POINT* gen = EC_GROUP_get0_generator(group.get());
  const BIGNUM* order = EC_GROUP_get0_order(group.get());
  if (!gen || !order) return ossl_error("curve has no generator/order", c);

  CurveDomain d;
  SX_ASSIGN(d.a, padded(a.get(), info->bytes, c));
  SX_ASSIGN(d.b, padded(b.get(), info->bytes, c));
  SX_ASSIGN(d.prime, padded(p.get(), info->bytes, c));
  SX_ASSIGN(d.order, padded(order, info->bytes, c));
  d.g.resize(1 + 2 * size_t{info->bytes});
  const size_t n =
      EC_POINT_point2oct(group.get(), gen, POINT_CONVERSION_UNCOMPRESSED, d.g.data(), d.g.size(), ctx.get());
  if (n != d.g.size()) return ossl_error("EC_POINT_point2oct failed", c);
  return d;
}

Result<Bytes> ec_params_for_curve(Curve c) {
  const CurveInfo* ci = curve_info(c);
  if (!ci || ci->nid == NID_undef || ci->family != CurveFamily::Weierstrass)
    return make_error(Errc::Unsupported, "EC params: curve not supported");
  return crypto::ec_params_der(ci->nid);
}

std::optional<Curve> curve_from_ec_params(ByteView der) {
  const auto nid = crypto::nid_of_ec_params(der);
  const CurveInfo* ci = nid ? curve_by_nid(*nid) : nullptr;
  if (!ci || ci->family != CurveFamily::Weierstrass) return std::nullopt;
  return ci->curve;
}

bool ec_point_valid(Curve c, ByteView point) {
  const CurveInfo* ci = curve_info(c);
  return ci && ci->nid != NID_undef && crypto::ec_point_valid(ci->nid, ci->bytes, point);
}

}  // namespace sx::se05x
