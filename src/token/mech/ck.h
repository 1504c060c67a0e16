// PKCS#11 types for the token layer (Debian's p11-kit header, v2.40, standard
// names) and the few helpers every operation file needs.
#pragma once

#include <p11-kit/pkcs11.h>

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::token {

// Chip/transport failure -> CK_RV. A policy refusal of the applet (SW 6986)
// is the key's business (CKR_KEY_FUNCTION_NOT_PERMITTED); everything else the
// chip or the link did wrong is CKR_DEVICE_ERROR.
CK_RV rv_from_chip_error(const Error& e);

// Reads a CK_MECHANISM's parameter as T: only when the length is exactly
// sizeof(T) and the pointer is non-null (32/64-bit safe: sizeof is per ABI).
template <class T>
const T* mechanism_param(const CK_MECHANISM& m) {
  if (m.pParameter == nullptr || m.ulParameterLen != sizeof(T)) return nullptr;
  return static_cast<const T*>(m.pParameter);
}
inline bool mechanism_has_no_param(const CK_MECHANISM& m) {
  return m.ulParameterLen == 0;  // some callers pass a non-null pointer with length 0
}

// Life cycle shared by the operations: Ready after init, Updating after the
// first C_*Update, Done once the result was produced or an error ended it.
enum class OpState : uint8_t { Empty, Ready, Updating, Done };

}  // namespace sx::token
