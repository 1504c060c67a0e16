// The mechanisms the token offers, as data: one row per CK_MECHANISM_TYPE with
// its key type, key-size range in bits (PKCS#11 2.40: EC = order/field size,
// RSA = modulus bits; SunPKCS11 enforces these in bits), flags, whether
// multi-part C_*Update is allowed, and a validator for the parameter *shape*
// (checks that need the key, such as the PSS salt length, happen at op init).
#pragma once

#include <span>
#include <vector>

#include "se05x/types.h"
#include "token/mech/ck.h"

namespace sx::token {

// Parameter check that needs no key: CKR_OK or CKR_MECHANISM_PARAM_INVALID.
using ParamValidator = CK_RV (*)(const CK_MECHANISM& m);

// Marker key type of host digests (no key).
inline constexpr CK_KEY_TYPE kNoKey = CK_UNAVAILABLE_INFORMATION;

struct MechanismRow {
  CK_MECHANISM_TYPE type;
  const char* name;
  CK_KEY_TYPE key_type;  // CKK_EC, CKK_RSA or kNoKey
  CK_ULONG min_bits;     // 0 = no limit (digests)
  CK_ULONG max_bits;
  CK_FLAGS flags;
  bool multipart;        // C_SignUpdate/C_VerifyUpdate/C_DigestUpdate allowed
  bool needs_rsa;        // unavailable on variants without RSA (SE050E)
  bool needs_ecdh;       // unavailable in the applet's FIPS configuration
  // (EC rows also need ChipCapabilities::ec.)
  ParamValidator validate_param;
};

// What the chip in use can do (from the applet version/config; the
// simulator's Variant::rsa says the same thing).
struct ChipCapabilities {
  bool rsa = true;   // false on SE050E (applet 7.2 without RSA)
  bool ec = true;    // ECDSA/ECDH available
  bool ecdh = true;  // false with the FIPS applet configuration
  bool rsa_1024 = false;  // advertise RSA-1024 as well (off: 2048..4096 only)
};

// From the SELECT / GetVersion reply: RSA when AppletConfig has RSA_PLAIN
// (0x0020) or RSA_CRT (0x0040), EC mechanisms need ECDSA/ECDH (0x0002). A
// reply without AppletConfig (applet_config == 0) assumes everything. The FIPS
// configuration (no ECDH) is not visible in AppletConfig [U]: set ecdh by hand.
ChipCapabilities capabilities_from_version(const se05x::VersionInfo& v);

std::span<const MechanismRow> all_mechanisms();
// nullptr when the token does not know the mechanism.
const MechanismRow* find_mechanism(CK_MECHANISM_TYPE type);
// Rows the given chip supports, in table order (C_GetMechanismList).
std::vector<const MechanismRow*> supported_mechanisms(const ChipCapabilities& caps);
// CKR_MECHANISM_INVALID when the chip lacks it, else CKR_OK and `info`.
CK_RV mechanism_info(const ChipCapabilities& caps, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO& info);

// Full check used by every C_*Init: the mechanism is known and supported
// (CKR_MECHANISM_INVALID), offers `usage` (one CKF_* flag, else
// CKR_MECHANISM_INVALID), its parameter shape is right
// (CKR_MECHANISM_PARAM_INVALID), the key type matches (CKR_KEY_TYPE_INCONSISTENT)
// and the key size is in range (CKR_KEY_SIZE_RANGE). key_bits = 0 skips the size check.
CK_RV check_mechanism(const ChipCapabilities& caps, const CK_MECHANISM& m, CK_FLAGS usage, CK_KEY_TYPE key_type,
                      CK_ULONG key_bits);

}  // namespace sx::token
