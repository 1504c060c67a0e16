#include "token/mech/params.h"

#include "token/mech/mechanism_table.h"

namespace sx::token {

namespace {

// The message hash and MGF1 hash of PSS / OAEP parameters, from the mechanism rows.
bool hash_pair(CK_MECHANISM_TYPE hash, CK_RSA_PKCS_MGF_TYPE mgf, const EVP_MD*& md, const EVP_MD*& mgf_md) {
  md = md_for_hash(hash);
  mgf_md = md_for_mgf(mgf);
  return md && mgf_md;
}

// PSS and OAEP parameters: present, with a known message hash and MGF1 hash
// (stored into out.md / out.mgf_md). Null when not.
template <class Param, class Out>
const Param* rsa_hashed_param(const CK_MECHANISM& m, Out& out) {
  const auto* p = mechanism_param<Param>(m);
  if (!p || !hash_pair(p->hashAlg, p->mgf, out.md, out.mgf_md)) return nullptr;
  return p;
}

// The validators parse into a scratch value and keep only the verdict.
template <class Params>
CK_RV parse_verdict(const CK_MECHANISM& m, CK_RV (*parse)(const CK_MECHANISM&, Params&)) {
  Params scratch;
  return parse(m, scratch);
}

}  // namespace

CK_RV validate_no_param(const CK_MECHANISM& m) {
  return mechanism_has_no_param(m) ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

CK_RV parse_pss_params(const CK_MECHANISM& m, PssParams& out) {
  const auto* p = rsa_hashed_param<CK_RSA_PKCS_PSS_PARAMS>(m, out);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  if (m.mechanism != CKM_RSA_PKCS_PSS) {
    const MechanismRow* row = find_mechanism(m.mechanism);
    if (!row || row->prehash == 0 || row->prehash != p->hashAlg) return CKR_MECHANISM_PARAM_INVALID;
  }
  // Bound before any size_t arithmetic (CK_ULONG may be 64-bit where size_t is not).
  if (p->sLen > 4096) return CKR_MECHANISM_PARAM_INVALID;
  out.hash = p->hashAlg;
  out.salt_len = static_cast<size_t>(p->sLen);
  return CKR_OK;
}

CK_RV parse_oaep_params(const CK_MECHANISM& m, OaepParams& out) {
  const auto* p = rsa_hashed_param<CK_RSA_PKCS_OAEP_PARAMS>(m, out);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  const bool has_label = p->ulSourceDataLen != 0;
  if (has_label && p->pSourceData == nullptr) return CKR_MECHANISM_PARAM_INVALID;
  if (p->source != CKZ_DATA_SPECIFIED && !(p->source == 0 && !has_label)) return CKR_MECHANISM_PARAM_INVALID;
  if (p->ulSourceDataLen > 65536) return CKR_MECHANISM_PARAM_INVALID;
  out.hash = p->hashAlg;
  out.label.clear();
  if (has_label) {
    const auto* b = static_cast<const uint8_t*>(p->pSourceData);
    out.label.assign(b, b + p->ulSourceDataLen);
  }
  return CKR_OK;
}

CK_RV parse_ecdh1_params(const CK_MECHANISM& m, Ecdh1Params& out) {
  const auto* p = mechanism_param<CK_ECDH1_DERIVE_PARAMS>(m);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  std::optional<crypto::Digest> digest;
  switch (p->kdf) {
    case CKD_NULL: break;
    case CKD_SHA1_KDF: digest = crypto::Digest::Sha1; break;
    case CKD_SHA224_KDF: digest = crypto::Digest::Sha224; break;
    case CKD_SHA256_KDF: digest = crypto::Digest::Sha256; break;
    case CKD_SHA384_KDF: digest = crypto::Digest::Sha384; break;
    case CKD_SHA512_KDF: digest = crypto::Digest::Sha512; break;
    default: return CKR_MECHANISM_PARAM_INVALID;
  }
  if (!digest) {
    // CKD_NULL: "pSharedData must be NULL and ulSharedDataLen must be zero".
    if (p->ulSharedDataLen != 0 || p->pSharedData != nullptr) return CKR_MECHANISM_PARAM_INVALID;
  } else if ((p->ulSharedDataLen != 0 && p->pSharedData == nullptr) || p->ulSharedDataLen > kMaxSharedData) {
    return CKR_MECHANISM_PARAM_INVALID;
  }
  if (p->ulPublicDataLen == 0 || p->pPublicData == nullptr || p->ulPublicDataLen > 1024)
    return CKR_MECHANISM_PARAM_INVALID;
  out.kdf = p->kdf;
  out.kdf_digest = digest;
  out.shared_data.clear();
  if (p->ulSharedDataLen != 0) out.shared_data.assign(p->pSharedData, p->pSharedData + p->ulSharedDataLen);
  out.public_data.assign(p->pPublicData, p->pPublicData + p->ulPublicDataLen);
  return CKR_OK;
}

CK_RV validate_pss_param(const CK_MECHANISM& m) { return parse_verdict(m, parse_pss_params); }
CK_RV validate_oaep_param(const CK_MECHANISM& m) { return parse_verdict(m, parse_oaep_params); }
CK_RV validate_ecdh1_param(const CK_MECHANISM& m) { return parse_verdict(m, parse_ecdh1_params); }

}  // namespace sx::token
