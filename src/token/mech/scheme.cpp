#include "token/mech/scheme.h"

#include "token/mech/ossl.h"

namespace sx::token {

std::optional<SignatureScheme> signature_scheme(CK_MECHANISM_TYPE m) {
  const auto h = ossl::hash_of_mechanism(m);
  switch (m) {
    case CKM_ECDSA: return SignatureScheme{Scheme::Ecdsa, std::nullopt};
    case CKM_ECDSA_SHA1: case CKM_ECDSA_SHA224: case CKM_ECDSA_SHA256: case CKM_ECDSA_SHA384: case CKM_ECDSA_SHA512:
      return SignatureScheme{Scheme::Ecdsa, h};
    case CKM_RSA_PKCS: return SignatureScheme{Scheme::RsaPkcs1, std::nullopt};
    case CKM_SHA1_RSA_PKCS: case CKM_SHA224_RSA_PKCS: case CKM_SHA256_RSA_PKCS: case CKM_SHA384_RSA_PKCS:
    case CKM_SHA512_RSA_PKCS:
      return SignatureScheme{Scheme::RsaPkcs1, h};
    case CKM_RSA_PKCS_PSS: return SignatureScheme{Scheme::RsaPss, std::nullopt};
    case CKM_SHA1_RSA_PKCS_PSS: case CKM_SHA224_RSA_PKCS_PSS: case CKM_SHA256_RSA_PKCS_PSS:
    case CKM_SHA384_RSA_PKCS_PSS: case CKM_SHA512_RSA_PKCS_PSS:
      return SignatureScheme{Scheme::RsaPss, h};
    case CKM_RSA_X_509: return SignatureScheme{Scheme::RsaRaw, std::nullopt};
    default: return std::nullopt;
  }
}

}  // namespace sx::token
