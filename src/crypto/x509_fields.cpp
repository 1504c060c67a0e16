#include "crypto/x509_fields.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

#include "crypto/digest.h"
#include "crypto/libctx.h"
#include "crypto/ossl.h"

namespace sx::crypto {

namespace {

Bytes ck_date(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  const int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) return {};
  const int parts[3][2] = {{year, 4}, {tm.tm_mon + 1, 2}, {tm.tm_mday, 2}};
  Bytes out;
  for (const auto& [value, digits] : parts) {
    if (value < 0) return {};
    int v = value;
    Bytes d(static_cast<size_t>(digits));
    for (size_t i = d.size(); i-- > 0; v /= 10) d[i] = static_cast<uint8_t>('0' + v % 10);
    append(out, d);
  }
  return out;
}

}  // namespace

Result<ossl::X509Ptr> x509_from_der(ByteView der) {
  if (der.empty()) return make_error(Errc::InvalidArgument, "certificate: empty");
  const unsigned char* p = der.data();
  // On our own context: the public key inside is decoded with it (see libctx.h).
  ossl::X509Ptr x(reinterpret_cast<X509*>(
      ASN1_item_d2i_ex(nullptr, &p, static_cast<long>(der.size()), ASN1_ITEM_rptr(X509), libctx(), kPropq)));
  if (!x) {
    // Data objects are tried as certificates on every scan: leave no stale
    // error on this thread's queue for the next OpenSSL caller.
    ERR_clear_error();
    return make_error(Errc::InvalidArgument, "certificate: not DER X.509");
  }
  if (p != der.data() + der.size()) return make_error(Errc::InvalidArgument, "certificate: trailing bytes");
  return Result<ossl::X509Ptr>(std::move(x));
}

Result<X509Fields> parse_x509(ByteView der) {
  SX_ASSIGN(ossl::X509Ptr x, x509_from_der(der));
  X509Fields f;
  f.subject = ossl::der_of(X509_get_subject_name(x.get()), i2d_X509_NAME);
  f.issuer = ossl::der_of(X509_get_issuer_name(x.get()), i2d_X509_NAME);
  f.serial = ossl::der_of(X509_get0_serialNumber(x.get()), i2d_ASN1_INTEGER);
  f.spki = ossl::der_of(X509_get_X509_PUBKEY(x.get()), i2d_X509_PUBKEY);
  f.not_before = ck_date(X509_get0_notBefore(x.get()));
  f.not_after = ck_date(X509_get0_notAfter(x.get()));
  const auto sha1 = hash(Digest::Sha1, der);
  if (!sha1 || sha1->size() < 3) return make_error(Errc::Crypto, "certificate: SHA-1 failed");
  f.check_value.assign(sha1->begin(), sha1->begin() + 3);
  if (f.subject.empty() || f.issuer.empty() || f.serial.empty())
    return make_error(Errc::InvalidArgument, "certificate: missing subject/issuer/serial");
  return f;
}

}  // namespace sx::crypto
