// The CKO_CERTIFICATE attributes a token can compute from the DER
// certificate itself, so C_CreateObject needs only CKA_VALUE and the values
// can never disagree with the certificate (SunPKCS11 follows issuer ->
// CKA_SUBJECT links; a wrong subject can make it loop).
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/ossl.h"

namespace sx::crypto {

struct X509Fields {
  Bytes subject;      // DER Name
  Bytes issuer;       // DER Name
  Bytes serial;       // DER INTEGER (whole TLV, as PKCS#11 says)
  Bytes not_before;   // CK_DATE (8 ASCII digits), empty if outside 0000..9999
  Bytes not_after;
  Bytes spki;         // DER SubjectPublicKeyInfo (CKA_PUBLIC_KEY_INFO)
  Bytes check_value;  // first 3 bytes of SHA-1(DER) (CKA_CHECK_VALUE)
};

// Exactly one DER X.509 certificate, nothing after it, decoded on
// crypto::libctx() (Errc::InvalidArgument otherwise; no error left queued).
Result<ossl::X509Ptr> x509_from_der(ByteView der);

// Exactly one DER X.509 certificate, nothing after it.
Result<X509Fields> parse_x509(ByteView der);

}  // namespace sx::crypto
