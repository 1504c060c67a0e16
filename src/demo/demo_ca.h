// A throw-away certificate authority on the host, standing in for the CA that
// would certify a chip key (AWS IoT's CreateCertificateFromCsr in real use).
#pragma once

#include <string>

#include "crypto/ossl.h"

namespace sx::demo {

// Issues an X.509 v3 certificate (DER) for `subject_key` with CN=common_name,
// signed by a fresh P-256 CA key that exists only in this process.
Result<Bytes> issue_certificate(const EVP_PKEY* subject_key, const std::string& common_name);

}  // namespace sx::demo
