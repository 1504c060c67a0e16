// The repository's fixed RSA-2048 test key (see sim/fixed_rsa_key.h), so the import
// test does not pay for an RSA key generation.
#pragma once

#include "sim/fixed_rsa_key.h"

namespace sx::token::test {

inline constexpr const char* kRsa2048Pkcs8Hex = sim::kFixedRsa2048Pkcs8Hex;

}  // namespace sx::token::test
