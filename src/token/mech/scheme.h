// How each signature mechanism is carried out: the encoding family and the
// hash done on the host first (the SHA*-with-X mechanisms).
#pragma once

#include <optional>

#include "token/mech/ck.h"

namespace sx::token {

enum class Scheme : uint8_t {
  Ecdsa,     // normalise, ECDSASign (chip), DER -> r||s
  RsaPkcs1,  // EMSA-PKCS1-v1_5 on host, raw private op on chip
  RsaPss,    // EMSA-PSS on host, raw private op on chip
  RsaRaw,    // CKM_RSA_X_509: input zero-extended to k bytes, raw private op
};

struct SignatureScheme {
  Scheme scheme;
  std::optional<CK_MECHANISM_TYPE> prehash;  // CKM_SHA_1..CKM_SHA512, hashed on the host
};
std::optional<SignatureScheme> signature_scheme(CK_MECHANISM_TYPE m);

// Life cycle shared by the operations: Ready after init, Updating after the
// first C_*Update, Done once the result was produced or an error ended it.
enum class OpState : uint8_t { Empty, Ready, Updating, Done };

}  // namespace sx::token
