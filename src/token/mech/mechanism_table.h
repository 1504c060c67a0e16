// The mechanisms the token offers, as data: one row per CK_MECHANISM_TYPE
// carries everything about it (the idea of tpm2-pkcs11's `mdetail` table):
// key type, key-size range in bits (PKCS#11 2.40: EC = order/field size,
// RSA = modulus bits; SunPKCS11 enforces these in bits), flags, whether
// multi-part C_*Update is allowed, a validator for the parameter *shape*
// (checks that need the key, such as the PSS salt length, happen at op init),
// the scheme (encoding family), the hash done on the host first, the chip
// operation, and for the hash mechanisms their digest, MGF1 id and DigestInfo.
#pragma once

#include <openssl/evp.h>

#include <span>
#include <vector>

#include "crypto/digest.h"
#include "se05x/types.h"
#include "token/mech/ck.h"

namespace sx::token {

// How a mechanism is carried out (the encoding family around the chip operation).
enum class Scheme : uint8_t {
  None,      // key-pair generation
  Ecdsa,     // normalise, ECDSASign (chip), DER -> r||s
  RsaPkcs1,  // EMSA/EME-PKCS1-v1_5 on host, raw private op on chip
  RsaPss,    // EMSA-PSS on host, raw private op on chip
  RsaOaep,   // EME-OAEP on host, raw private op on chip
  RsaRaw,    // CKM_RSA_X_509: input zero-extended to k bytes, raw private op
  Ecdh,      // ECDHGenerateSharedSecret (chip)
  Digest,    // host hash only
};

// Schemes C_Sign/C_Verify carry out.
constexpr bool is_signature(Scheme s) {
  return s == Scheme::Ecdsa || s == Scheme::RsaPkcs1 || s == Scheme::RsaPss || s == Scheme::RsaRaw;
}

// The private-key primitive a mechanism needs from the SE05x (token/mech/chip_ops.h).
enum class ChipOp : uint8_t { None, GenerateKeyPair, EcdsaSign, RsaPrivateRaw, EcdhSharedSecret };

// Facts of a hash mechanism (CKM_SHA_1 .. CKM_SHA512).
struct HashFacts {
  crypto::Digest digest;
  CK_RSA_PKCS_MGF_TYPE mgf;  // the CKG_MGF1_* of the same hash
  ByteView digest_info;      // DER DigestInfo prefix (RFC 8017 9.2 note 1)
};

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
  Scheme scheme;
  ChipOp chip_op;
  CK_MECHANISM_TYPE prehash;  // hash mechanism run on the host first; 0 = none
  const HashFacts* hash;      // hash mechanisms only (else nullptr)
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

// The facts of a hash mechanism; nullptr for anything else.
const HashFacts* hash_facts(CK_MECHANISM_TYPE hash);
// The digest of a hash mechanism / of an MGF1 id, fetched on the crypto
// boundary's context; nullptr when unknown.
const EVP_MD* md_for_hash(CK_MECHANISM_TYPE hash);
const EVP_MD* md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
// DER DigestInfo prefix of a hash mechanism; empty if unknown.
ByteView digest_info_prefix(CK_MECHANISM_TYPE hash);

// Full check used by every C_*Init: the mechanism is known and supported
// (CKR_MECHANISM_INVALID), offers `usage` (one CKF_* flag, else
// CKR_MECHANISM_INVALID), its parameter shape is right
// (CKR_MECHANISM_PARAM_INVALID), the key type matches (CKR_KEY_TYPE_INCONSISTENT)
// and the key size is in range (CKR_KEY_SIZE_RANGE). key_bits = 0 skips the size check.
CK_RV check_mechanism(const ChipCapabilities& caps, const CK_MECHANISM& m, CK_FLAGS usage, CK_KEY_TYPE key_type,
                      CK_ULONG key_bits);

}  // namespace sx::token
