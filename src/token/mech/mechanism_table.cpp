#include "token/mech/mechanism_table.h"

#include <array>

#include "token/mech/params.h"

namespace sx::token {

namespace {

// Curves we serve: NIST P-256/P-384/P-521 (and 256..512-bit Brainpool /
// secp256k1 keys also fit this range). Field/order size in bits.
constexpr CK_ULONG kEcMin = 256, kEcMax = 521;
constexpr CK_ULONG kRsaMin = 2048, kRsaMax = 4096;

constexpr CK_FLAGS kEcCurveFlags = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
// The private-key half runs on the chip; verify/encrypt run on the host with
// the public key, but the flag describes the mechanism as a whole.
constexpr CK_FLAGS kEcSign = CKF_HW | CKF_SIGN | CKF_VERIFY | kEcCurveFlags;
constexpr CK_FLAGS kRsaSign = CKF_HW | CKF_SIGN | CKF_VERIFY;
// SunPKCS11 only enables RSA Cipher when CKF_ENCRYPT is set, even to decrypt.
constexpr CK_FLAGS kRsaCrypt = CKF_HW | CKF_ENCRYPT | CKF_DECRYPT;

constexpr MechanismRow ec(CK_MECHANISM_TYPE t, const char* n, CK_FLAGS f, bool multi, ParamValidator v,
                          bool ecdh = false) {
  return {t, n, CKK_EC, kEcMin, kEcMax, f, multi, false, ecdh, v};
}
constexpr MechanismRow rsa(CK_MECHANISM_TYPE t, const char* n, CK_FLAGS f, bool multi, ParamValidator v) {
  return {t, n, CKK_RSA, kRsaMin, kRsaMax, f, multi, true, false, v};
}
constexpr MechanismRow dig(CK_MECHANISM_TYPE t, const char* n) {
  return {t, n, kNoKey, 0, 0, CKF_DIGEST, true, false, false, &validate_no_param};
}

const std::array kTable = {
    ec(CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN", CKF_HW | CKF_GENERATE_KEY_PAIR | kEcCurveFlags, false,
       &validate_no_param),
    rsa(CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN", CKF_HW | CKF_GENERATE_KEY_PAIR, false,
        &validate_no_param),

    ec(CKM_ECDSA, "CKM_ECDSA", kEcSign, false, &validate_no_param),
    ec(CKM_ECDSA_SHA1, "CKM_ECDSA_SHA1", kEcSign, true, &validate_no_param),
    ec(CKM_ECDSA_SHA224, "CKM_ECDSA_SHA224", kEcSign, true, &validate_no_param),
    ec(CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256", kEcSign, true, &validate_no_param),
    ec(CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", kEcSign, true, &validate_no_param),
    ec(CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512", kEcSign, true, &validate_no_param),

    rsa(CKM_RSA_PKCS, "CKM_RSA_PKCS", kRsaSign | kRsaCrypt, false, &validate_no_param),
    rsa(CKM_SHA1_RSA_PKCS, "CKM_SHA1_RSA_PKCS", kRsaSign, true, &validate_no_param),
    rsa(CKM_SHA224_RSA_PKCS, "CKM_SHA224_RSA_PKCS", kRsaSign, true, &validate_no_param),
    rsa(CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", kRsaSign, true, &validate_no_param),
    rsa(CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS", kRsaSign, true, &validate_no_param),
    rsa(CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS", kRsaSign, true, &validate_no_param),

    rsa(CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS", kRsaSign, false, &validate_pss_param),
    rsa(CKM_SHA1_RSA_PKCS_PSS, "CKM_SHA1_RSA_PKCS_PSS", kRsaSign, true, &validate_pss_param),
    rsa(CKM_SHA224_RSA_PKCS_PSS, "CKM_SHA224_RSA_PKCS_PSS", kRsaSign, true, &validate_pss_param),
    rsa(CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS", kRsaSign, true, &validate_pss_param),
    rsa(CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS", kRsaSign, true, &validate_pss_param),
    rsa(CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS", kRsaSign, true, &validate_pss_param),

    rsa(CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP", kRsaCrypt, false, &validate_oaep_param),
    rsa(CKM_RSA_X_509, "CKM_RSA_X_509", kRsaSign | kRsaCrypt, false, &validate_no_param),

    ec(CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE", CKF_HW | CKF_DERIVE | kEcCurveFlags, false, &validate_ecdh1_param,
       true),

    dig(CKM_SHA_1, "CKM_SHA_1"),
    dig(CKM_SHA224, "CKM_SHA224"),
    dig(CKM_SHA256, "CKM_SHA256"),
    dig(CKM_SHA384, "CKM_SHA384"),
    dig(CKM_SHA512, "CKM_SHA512"),
};

bool available(const MechanismRow& r, const ChipCapabilities& caps) {
  return (!r.needs_rsa || caps.rsa) && (!r.needs_ecdh || caps.ecdh) && (r.key_type != CKK_EC || caps.ec);
}

constexpr uint16_t kConfigEc = 0x0002, kConfigRsaPlain = 0x0020, kConfigRsaCrt = 0x0040;

CK_ULONG min_bits(const MechanismRow& r, const ChipCapabilities& caps) {
  return (r.key_type == CKK_RSA && caps.rsa_1024) ? 1024 : r.min_bits;
}

}  // namespace

ChipCapabilities capabilities_from_version(const se05x::VersionInfo& v) {
  ChipCapabilities c;
  if (v.applet_config == 0) return c;
  c.rsa = (v.applet_config & (kConfigRsaPlain | kConfigRsaCrt)) != 0;
  c.ec = (v.applet_config & kConfigEc) != 0;
  c.ecdh = c.ec;
  return c;
}

std::span<const MechanismRow> all_mechanisms() { return kTable; }

const MechanismRow* find_mechanism(CK_MECHANISM_TYPE type) {
  for (const auto& r : kTable)
    if (r.type == type) return &r;
  return nullptr;
}

std::vector<const MechanismRow*> supported_mechanisms(const ChipCapabilities& caps) {
  std::vector<const MechanismRow*> out;
  for (const auto& r : kTable)
    if (available(r, caps)) out.push_back(&r);
  return out;
}

CK_RV mechanism_info(const ChipCapabilities& caps, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO& info) {
  const MechanismRow* r = find_mechanism(type);
  if (!r || !available(*r, caps)) return CKR_MECHANISM_INVALID;
  info.ulMinKeySize = min_bits(*r, caps);
  info.ulMaxKeySize = r->max_bits;
  info.flags = r->flags;
  return CKR_OK;
}

CK_RV check_mechanism(const ChipCapabilities& caps, const CK_MECHANISM& m, CK_FLAGS usage, CK_KEY_TYPE key_type,
                      CK_ULONG key_bits) {
  const MechanismRow* r = find_mechanism(m.mechanism);
  if (!r || !available(*r, caps) || (r->flags & usage) != usage) return CKR_MECHANISM_INVALID;
  if (r->validate_param) {
    const CK_RV rv = r->validate_param(m);
    if (rv != CKR_OK) return rv;
  }
  if (r->key_type != kNoKey && r->key_type != key_type) return CKR_KEY_TYPE_INCONSISTENT;
  if (key_bits != 0 && r->key_type != kNoKey && (key_bits < min_bits(*r, caps) || key_bits > r->max_bits))
    return CKR_KEY_SIZE_RANGE;
  return CKR_OK;
}

}  // namespace sx::token
