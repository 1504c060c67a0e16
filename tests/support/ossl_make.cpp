// Keys and certificates made on the host (the ossl_check.h declarations that create, not check).
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "support/ossl_check.h"

namespace sx::testing {

namespace {

ossl::Pkey fresh_key(bool ec, int nid) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_id(ec ? EVP_PKEY_EC : EVP_PKEY_RSA, nullptr));
  EVP_PKEY* k = nullptr;
  if (ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
      (ec ? EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), nid) : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048)) ==
          1)
    EVP_PKEY_keygen(ctx.get(), &k);
  return ossl::Pkey(k);
}

Bytes cert_der(X509* x) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  Bytes out;
  if (len > 0) out.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

// Version 3, serial 4242, valid from now for `days`, subject CN = cn.
ossl::X509Ptr cert_template(const std::string& cn, long days) {
  ossl::X509Ptr x(X509_new());
  if (!x) return x;
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400L * days);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return x;
}

}  // namespace

Bytes self_signed_cert_der(const std::string& cn, bool ec) {
  ossl::Pkey k = fresh_key(ec, NID_X9_62_prime256v1);
  ossl::X509Ptr x = cert_template(cn, 1);
  if (!k || !x) return {};
  X509_set_issuer_name(x.get(), X509_get_subject_name(x.get()));
  X509_set_pubkey(x.get(), k.get());
  if (X509_sign(x.get(), k.get(), EVP_sha256()) <= 0) return {};
  return cert_der(x.get());
}

Bytes cert_for_point(ByteView ec_point_der, const std::string& cn) {
  ossl::Pkey pub = p256_public_key(unwrap_point(ec_point_der));
  ossl::Pkey ca = fresh_key(true, NID_X9_62_prime256v1);
  ossl::X509Ptr x = cert_template(cn, 365);
  if (!pub || !ca || !x) return {};
  X509_NAME_add_entry_by_txt(X509_get_issuer_name(x.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("sx test CA"), -1, -1, 0);
  X509_set_pubkey(x.get(), pub.get());
  if (X509_sign(x.get(), ca.get(), EVP_sha256()) <= 0) return {};
  return cert_der(x.get());
}

Bytes ec_private_der(int nid) {
  ossl::Pkey k = fresh_key(true, nid);
  unsigned char* der = nullptr;
  const int len = k ? i2d_PrivateKey(k.get(), &der) : 0;
  Bytes out;
  if (len > 0) out.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace sx::testing
