// The repository's one RSA-2048 test key (tests/support/rsa2048_test_key.pem): the
// simulator's factory RSA key in the test suite (SE05X_SIM_FACTORY_RSA_KEY) and the key
// tests import instead of generating one (generation costs seconds under qemu).
#pragma once

#include <string>

#include "base/bytes.h"

namespace sx::testing {

// Path of the PEM file (a compile definition of this library).
std::string test_rsa_key_path();

// Sets SE05X_SIM_FACTORY_RSA_KEY to the test key for this process and its children (a
// se05x-sim started later inherits it); a value already set is kept unless `overwrite`.
void use_test_rsa_factory_key(bool overwrite = false);

// The key as PKCS#8 DER (the bytes inside the PEM armour). Empty if the file is unreadable.
Bytes test_rsa_key_pkcs8();

// Its components, big-endian: n and d padded to 256 bytes, the CRT parts to 128, e minimal.
struct RsaKeyParts {
  Bytes n, e, d, p, q, dp, dq, qinv;
};
// All empty if the file is unreadable.
RsaKeyParts test_rsa_key_parts();

}  // namespace sx::testing
