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

// Hash facts, one per SHA mechanism. DigestInfo prefixes: SHA-1
// 30 21 30 09 06 05 2b 0e 03 02 1a 05 00 04 14; SHA-2 family
// 30 L 30 0d 06 09 60 86 48 01 65 03 04 02 <n> 05 00 04 <hLen>.
constexpr uint8_t kSha1Info[] = {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
#define SX_SHA2_INFO(total, n, hlen) \
  {0x30, total, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n, 0x05, 0x00, 0x04, hlen}
constexpr uint8_t kSha224Info[] = SX_SHA2_INFO(0x2d, 0x04, 0x1c);
constexpr uint8_t kSha256Info[] = SX_SHA2_INFO(0x31, 0x01, 0x20);
constexpr uint8_t kSha384Info[] = SX_SHA2_INFO(0x41, 0x02, 0x30);
constexpr uint8_t kSha512Info[] = SX_SHA2_INFO(0x51, 0x03, 0x40);
#undef SX_SHA2_INFO

using D = crypto::Digest;
constexpr HashFacts kSha1{D::Sha1, CKG_MGF1_SHA1, kSha1Info};
constexpr HashFacts kSha224{D::Sha224, CKG_MGF1_SHA224, kSha224Info};
constexpr HashFacts kSha256{D::Sha256, CKG_MGF1_SHA256, kSha256Info};
constexpr HashFacts kSha384{D::Sha384, CKG_MGF1_SHA384, kSha384Info};
constexpr HashFacts kSha512{D::Sha512, CKG_MGF1_SHA512, kSha512Info};

// Multi-part C_*Update exactly when the host hashes first.
constexpr MechanismRow ec(CK_MECHANISM_TYPE t, const char* n, CK_FLAGS f, Scheme s, ChipOp op,
                          CK_MECHANISM_TYPE prehash, ParamValidator v, bool ecdh = false) {
  return {t, n, CKK_EC, kEcMin, kEcMax, f, prehash != 0, false, ecdh, v, s, op, prehash, nullptr};
}
constexpr MechanismRow rsa(CK_MECHANISM_TYPE t, const char* n, CK_FLAGS f, Scheme s, CK_MECHANISM_TYPE prehash,
                           ParamValidator v, ChipOp op = ChipOp::RsaPrivateRaw) {
  return {t, n, CKK_RSA, kRsaMin, kRsaMax, f, prehash != 0, true, false, v, s, op, prehash, nullptr};
}
constexpr MechanismRow dig(CK_MECHANISM_TYPE t, const char* n, const HashFacts& h) {
  return {t, n, kNoKey, 0, 0, CKF_DIGEST, true, false, false, &validate_no_param, Scheme::Digest, ChipOp::None, t, &h};
}
constexpr ChipOp kSign = ChipOp::EcdsaSign;
constexpr ParamValidator kNone = &validate_no_param, kPss = &validate_pss_param;

const std::array kTable = {
    ec(CKM_EC_KEY_PAIR_GEN, "CKM_EC_KEY_PAIR_GEN", CKF_HW | CKF_GENERATE_KEY_PAIR | kEcCurveFlags, Scheme::None,
       ChipOp::GenerateKeyPair, 0, kNone),
    rsa(CKM_RSA_PKCS_KEY_PAIR_GEN, "CKM_RSA_PKCS_KEY_PAIR_GEN", CKF_HW | CKF_GENERATE_KEY_PAIR, Scheme::None, 0,
        kNone, ChipOp::GenerateKeyPair),

    ec(CKM_ECDSA, "CKM_ECDSA", kEcSign, Scheme::Ecdsa, kSign, 0, kNone),
    ec(CKM_ECDSA_SHA1, "CKM_ECDSA_SHA1", kEcSign, Scheme::Ecdsa, kSign, CKM_SHA_1, kNone),
    ec(CKM_ECDSA_SHA224, "CKM_ECDSA_SHA224", kEcSign, Scheme::Ecdsa, kSign, CKM_SHA224, kNone),
    ec(CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256", kEcSign, Scheme::Ecdsa, kSign, CKM_SHA256, kNone),
    ec(CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", kEcSign, Scheme::Ecdsa, kSign, CKM_SHA384, kNone),
    ec(CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512", kEcSign, Scheme::Ecdsa, kSign, CKM_SHA512, kNone),

    rsa(CKM_RSA_PKCS, "CKM_RSA_PKCS", kRsaSign | kRsaCrypt, Scheme::RsaPkcs1, 0, kNone),
    rsa(CKM_SHA1_RSA_PKCS, "CKM_SHA1_RSA_PKCS", kRsaSign, Scheme::RsaPkcs1, CKM_SHA_1, kNone),
    rsa(CKM_SHA224_RSA_PKCS, "CKM_SHA224_RSA_PKCS", kRsaSign, Scheme::RsaPkcs1, CKM_SHA224, kNone),
    rsa(CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", kRsaSign, Scheme::RsaPkcs1, CKM_SHA256, kNone),
    rsa(CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS", kRsaSign, Scheme::RsaPkcs1, CKM_SHA384, kNone),
    rsa(CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS", kRsaSign, Scheme::RsaPkcs1, CKM_SHA512, kNone),

    rsa(CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, 0, kPss),
    rsa(CKM_SHA1_RSA_PKCS_PSS, "CKM_SHA1_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, CKM_SHA_1, kPss),
    rsa(CKM_SHA224_RSA_PKCS_PSS, "CKM_SHA224_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, CKM_SHA224, kPss),
    rsa(CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, CKM_SHA256, kPss),
    rsa(CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, CKM_SHA384, kPss),
    rsa(CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS", kRsaSign, Scheme::RsaPss, CKM_SHA512, kPss),

    rsa(CKM_RSA_PKCS_OAEP, "CKM_RSA_PKCS_OAEP", kRsaCrypt, Scheme::RsaOaep, 0, &validate_oaep_param),
    rsa(CKM_RSA_X_509, "CKM_RSA_X_509", kRsaSign | kRsaCrypt, Scheme::RsaRaw, 0, kNone),

    ec(CKM_ECDH1_DERIVE, "CKM_ECDH1_DERIVE", CKF_HW | CKF_DERIVE | kEcCurveFlags, Scheme::Ecdh,
       ChipOp::EcdhSharedSecret, 0, &validate_ecdh1_param, true),

    dig(CKM_SHA_1, "CKM_SHA_1", kSha1),
    dig(CKM_SHA224, "CKM_SHA224", kSha224),
    dig(CKM_SHA256, "CKM_SHA256", kSha256),
    dig(CKM_SHA384, "CKM_SHA384", kSha384),
    dig(CKM_SHA512, "CKM_SHA512", kSha512),
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
  // Every SE05x with RSA takes 1024-bit keys (docs/se05x-protocol.md §5.5); only
  // 512 is left out (unsafe; pkcs11/templates.cpp refuses it).
  c.rsa_1024 = true;
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

const HashFacts* hash_facts(CK_MECHANISM_TYPE hash) {
  const MechanismRow* r = find_mechanism(hash);
  return r ? r->hash : nullptr;
}

const EVP_MD* md_for_hash(CK_MECHANISM_TYPE hash) {
  const HashFacts* h = hash_facts(hash);
  return h ? crypto::md(h->digest) : nullptr;
}

const EVP_MD* md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf) {
  for (const auto& r : kTable)
    if (r.hash && r.hash->mgf == mgf) return crypto::md(r.hash->digest);
  return nullptr;
}

ByteView digest_info_prefix(CK_MECHANISM_TYPE hash) {
  const HashFacts* h = hash_facts(hash);
  return h ? h->digest_info : ByteView{};
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
