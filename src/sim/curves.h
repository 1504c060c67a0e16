// The EC curves the simulated applet knows: SE05x curve ID <-> OpenSSL group,
// and the standard domain parameters SetECCurveParam must match.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace sx::sim {

struct CurveInfo {
  uint8_t id;          // se05x::Curve value
  const char* group;   // OpenSSL group name
  uint16_t bits;       // field size in bits
  size_t bytes() const { return (bits + 7u) / 8u; }
};

// Highest curve ID reported by ReadECCurveList (entry i = curve i+1).
inline constexpr uint8_t kCurveListLen = 0x11;

// nullptr for IDs this simulator does not implement (e.g. TPM BN-P256, Edwards/Montgomery).
const CurveInfo* find_curve(uint8_t id);

// Checks a SetECCurveParam value (param = se05x::CurveParam) against the real curve.
bool curve_param_matches(const CurveInfo& c, uint8_t param, ByteView value);

// All five parameter bits of se05x::CurveParam.
inline constexpr uint8_t kAllCurveParams = 0x1F;

}  // namespace sx::sim
