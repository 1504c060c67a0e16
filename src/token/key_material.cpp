#include "token/key_material.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "crypto/ec.h"
#include "crypto/libctx.h"
#include "crypto/ossl.h"
#include "se05x/curves.h"
#include "token/object.h"

namespace sx::token {

namespace {

Error bad(const std::string& what) {
  ERR_clear_error();
  return make_error(Errc::InvalidArgument, "private key: " + what);
}

Result<Bytes> bn_param(EVP_PKEY* pk, const char* name, size_t pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pk, name, &raw) != 1 || !raw) return bad(std::string("missing ") + name);
  ossl::Bn bn(raw);
  const size_t n = static_cast<size_t>(BN_num_bytes(bn.get()));
  Bytes out(std::max(n, pad_to));
  if (BN_bn2binpad(bn.get(), out.data(), static_cast<int>(out.size())) < 0) return bad(name);
  return out;
}

size_t leading_trimmed_size(const Bytes& b) {
  size_t i = 0;
  while (i < b.size() && b[i] == 0) ++i;
  return b.size() - i;
}

}  // namespace

uint16_t RsaKeyMaterial::bits() const {
  const size_t bits = bit_length(n);
  return bits > 0xFFFF ? 0 : static_cast<uint16_t>(bits);
}

Status complete_ec_key(EcKeyMaterial& k) {
  const se05x::CurveInfo* info = se05x::curve_info(k.curve);
  if (!info || info->nid == 0 || info->family != se05x::CurveFamily::Weierstrass) return bad("unsupported curve");
  if (leading_trimmed_size(k.d) == 0 || leading_trimmed_size(k.d) > info->bytes) return bad("scalar size");
  if (k.d.size() != info->bytes) {  // left-pad / strip to the curve size
    Bytes d(info->bytes, 0);
    const size_t n = leading_trimmed_size(k.d);
    std::copy(k.d.end() - static_cast<std::ptrdiff_t>(n), k.d.end(), d.end() - static_cast<std::ptrdiff_t>(n));
    secure_wipe(k.d);
    k.d = std::move(d);
  }
  auto group = crypto::ec_group(info->nid);
  ossl::BnCtx ctx(BN_CTX_new_ex(crypto::libctx()));
  if (!group.ok() || !ctx) return bad("curve");
  const ossl::Group& g = *group;
  ossl::Point pt(EC_POINT_new(g.get()));
  if (!pt) return bad("point");
  if (k.q.empty()) {
    ossl::Bn d(BN_bin2bn(k.d.data(), static_cast<int>(k.d.size()), nullptr));
    if (!d || EC_POINT_mul(g.get(), pt.get(), d.get(), nullptr, nullptr, ctx.get()) != 1) return bad("deriving Q");
  } else if (EC_POINT_oct2point(g.get(), pt.get(), k.q.data(), k.q.size(), ctx.get()) != 1) {
    return bad("public point not on the curve");
  }
  const size_t len = EC_POINT_point2oct(g.get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, nullptr, 0, ctx.get());
  if (len != 1 + 2 * size_t{info->bytes}) return bad("public point size");
  Bytes q(len);
  if (EC_POINT_point2oct(g.get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, q.data(), q.size(), ctx.get()) != len)
    return bad("public point encoding");
  k.q = std::move(q);
  return {};
}

Result<PrivateKeyMaterial> parse_private_key_der(ByteView der) {
  if (der.empty() || der.size() > 0x100000) return bad("empty or oversized DER");
  const unsigned char* p = der.data();
  ossl::Pkey pk(d2i_AutoPrivateKey_ex(nullptr, &p, static_cast<long>(der.size()), crypto::libctx(), crypto::kPropq));
  if (!pk || p != der.data() + der.size()) return bad("not a DER private key");
  const int base = EVP_PKEY_get_base_id(pk.get());
  if (base == EVP_PKEY_EC) {
    char group[64] = {};
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(pk.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) != 1)
      return bad("EC key without a named curve");
    const se05x::CurveInfo* info = se05x::curve_by_name(group);
    if (!info) return bad(std::string("curve ") + group + " not supported by the SE05x");
    EcKeyMaterial ec;
    ec.curve = info->curve;
    SX_ASSIGN(ec.d, bn_param(pk.get(), OSSL_PKEY_PARAM_PRIV_KEY, info->bytes));
    SX_TRY(complete_ec_key(ec));
    ERR_clear_error();
    return PrivateKeyMaterial(std::move(ec));
  }
  if (base == EVP_PKEY_RSA) {
    RsaKeyMaterial r;
    SX_ASSIGN(r.n, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_N));
    const uint16_t bits = r.bits();
    if (!rsa_bits_supported(bits)) return bad("RSA size must be 1024, 1152, 2048, 3072 or 4096 bits");
    const size_t half = bits / 16;
    SX_ASSIGN(r.e, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_E));
    SX_ASSIGN(r.d, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_D, size_t{bits} / 8));
    SX_ASSIGN(r.p, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, half));
    SX_ASSIGN(r.q, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, half));
    SX_ASSIGN(r.dp, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, half));
    SX_ASSIGN(r.dq, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, half));
    SX_ASSIGN(r.qinv, bn_param(pk.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, half));
    ERR_clear_error();
    return PrivateKeyMaterial(std::move(r));
  }
  return bad("only EC and RSA keys are supported");
}

}  // namespace sx::token
