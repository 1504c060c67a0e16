// DER SubjectPublicKeyInfo of a token key, built by hand. Operation keys are
// made from it with d2i_PUBKEY (OpenSSL's provider decoders) because
// building them from parameters (EVP_PKEY_fromdata) fails in processes where
// an ENGINE is the default for EC/RSA -- e.g. `openssl req -engine pkcs11`
// loading this module through libp11.
#pragma once

#include "base/bytes.h"
#include "token/object.h"

namespace sx::p11 {

// Empty when the object has no usable public part.
Bytes spki_of(const token::Object& o);

}  // namespace sx::p11
