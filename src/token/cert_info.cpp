#include "token/cert_info.h"

#include <memory>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "se05x/curves.h"

namespace sx::token {

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

template <class T, class F>
std::optional<Bytes> der_of(const T* obj, F i2d) {
  if (!obj) return std::nullopt;
  unsigned char* out = nullptr;
  const int n = i2d(obj, &out);
  if (n <= 0) return std::nullopt;
  Bytes b(out, out + n);
  OPENSSL_free(out);
  return b;
}

}  // namespace

std::optional<CertInfo> parse_certificate(ByteView der) {
  if (der.empty() || der.size() > 0x7FFFFFFF) return std::nullopt;
  const unsigned char* p = der.data();
  std::unique_ptr<X509, X509Free> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!x || p != der.data() + der.size()) return std::nullopt;
  auto subj = der_of(X509_get_subject_name(x.get()), [](const X509_NAME* n, unsigned char** o) {
    return i2d_X509_NAME(n, o);
  });
  auto iss = der_of(X509_get_issuer_name(x.get()), [](const X509_NAME* n, unsigned char** o) {
    return i2d_X509_NAME(n, o);
  });
  auto ser = der_of(X509_get0_serialNumber(x.get()), [](const ASN1_INTEGER* i, unsigned char** o) {
    return i2d_ASN1_INTEGER(i, o);
  });
  ERR_clear_error();
  if (!subj || !iss || !ser) return std::nullopt;
  return CertInfo{std::move(*subj), std::move(*iss), std::move(*ser)};
}

Result<Bytes> ec_params_der(se05x::Curve c) {
  const se05x::CurveInfo* info = se05x::curve_info(c);
  if (!info || info->nid == 0) return make_error(Errc::Unsupported, "no OID known for this curve");
  const ASN1_OBJECT* obj = OBJ_nid2obj(info->nid);
  auto der = der_of(obj, [](const ASN1_OBJECT* o, unsigned char** out) { return i2d_ASN1_OBJECT(o, out); });
  ERR_clear_error();
  if (!der) return make_error(Errc::Crypto, "encoding the curve OID failed");
  return std::move(*der);
}

}  // namespace sx::token
