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

}  // namespace

CK_RV validate_no_param(const CK_MECHANISM& m) {
  return mechanism_has_no_param(m) ? CKR_OK : CKR_MECHANISM_PARAM_INVALID;
}

CK_RV parse_pss_params(const CK_MECHANISM& m, PssParams& out) {
  const auto* p = mechanism_param<CK_RSA_PKCS_PSS_PARAMS>(m);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  if (!hash_pair(p->hashAlg, p->mgf, out.md, out.mgf_md)) return CKR_MECHANISM_PARAM_INVALID;
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

CK_RV validate_pss_param(const CK_MECHANISM& m) {
  PssParams p;
  return parse_pss_params(m, p);
}

CK_RV parse_oaep_params(const CK_MECHANISM& m, OaepParams& out) {
  const auto* p = mechanism_param<CK_RSA_PKCS_OAEP_PARAMS>(m);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  if (!hash_pair(p->hashAlg, p->mgf, out.md, out.mgf_md)) return CKR_MECHANISM_PARAM_INVALID;
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

CK_RV validate_oaep_param(const CK_MECHANISM& m) {
  OaepParams p;
  return parse_oaep_params(m, p);
}

CK_RV parse_ecdh1_params(const CK_MECHANISM& m, Ecdh1Params& out) {
  const auto* p = mechanism_param<CK_ECDH1_DERIVE_PARAMS>(m);
  if (!p) return CKR_MECHANISM_PARAM_INVALID;
  if (p->kdf != CKD_NULL) return CKR_MECHANISM_PARAM_INVALID;
  // CKD_NULL: "pSharedData must be NULL and ulSharedDataLen must be zero".
  if (p->ulSharedDataLen != 0 || p->pSharedData != nullptr) return CKR_MECHANISM_PARAM_INVALID;
  if (p->ulPublicDataLen == 0 || p->pPublicData == nullptr || p->ulPublicDataLen > 1024)
    return CKR_MECHANISM_PARAM_INVALID;
  out.public_data.assign(p->pPublicData, p->pPublicData + p->ulPublicDataLen);
  return CKR_OK;
}

CK_RV validate_ecdh1_param(const CK_MECHANISM& m) {
  Ecdh1Params p;
  return parse_ecdh1_params(m, p);
}

}  // namespace sx::token
