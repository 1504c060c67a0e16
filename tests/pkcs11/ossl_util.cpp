#include "pkcs11/ossl_util.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>

namespace sx::p11test {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
template <class T>
using Own = std::unique_ptr<T, Free>;

Own<EVP_PKEY> p256_public(const Bytes& point) {
  Own<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  Own<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Own<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* k = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &k, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return Own<EVP_PKEY>(k);
}

}  // namespace

Bytes unwrap_point(const Bytes& der) {
  if (der.size() < 3 || der[0] != 0x04) return {};
  size_t off = 2;
  if (der[1] == 0x81) off = 3;
  return Bytes(der.begin() + static_cast<std::ptrdiff_t>(off), der.end());
}

Bytes cert_for_point(const Bytes& ec_point_der, const std::string& cn) {
  Own<EVP_PKEY> pub = p256_public(unwrap_point(ec_point_der));
  Own<EVP_PKEY> ca(EVP_EC_gen("P-256"));
  Own<X509> x(X509_new());
  if (!pub || !ca || !x) return {};
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400L * 365);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(X509_get_issuer_name(x.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sx test CA"), -1, -1, 0);
  X509_set_pubkey(x.get(), pub.get());
  if (X509_sign(x.get(), ca.get(), EVP_sha256()) <= 0) return {};
  int n = i2d_X509(x.get(), nullptr);
  if (n <= 0) return {};
  Bytes der(static_cast<size_t>(n));
  unsigned char* p = der.data();
  i2d_X509(x.get(), &p);
  return der;
}

bool verify_p256(const Bytes& ec_point_der, const Bytes& digest, const Bytes& rs) {
  if (rs.size() != 64) return false;
  Own<EVP_PKEY> pub = p256_public(unwrap_point(ec_point_der));
  if (!pub) return false;
  Own<ECDSA_SIG> sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(rs.data(), 32, nullptr), BN_bin2bn(rs.data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return false;
  Own<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new(pub.get(), nullptr));
  bool ok = ctx && EVP_PKEY_verify_init(ctx.get()) == 1 &&
            EVP_PKEY_verify(ctx.get(), der, static_cast<size_t>(n), digest.data(), digest.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

Bytes sha256(const Bytes& data) {
  Bytes out(32);
  SHA256(data.data(), data.size(), out.data());
  return out;
}

}  // namespace sx::p11test
