// Mechanism parameters: strict parsing of CK_RSA_PKCS_PSS_PARAMS,
// CK_RSA_PKCS_OAEP_PARAMS and CK_ECDH1_DERIVE_PARAMS into owned values.
// Every failure is CKR_MECHANISM_PARAM_INVALID.
#pragma once

#include <openssl/evp.h>

#include <optional>

#include "crypto/digest.h"
#include "token/mech/ck.h"

namespace sx::token {

CK_RV validate_no_param(const CK_MECHANISM& m);

struct PssParams {
  CK_MECHANISM_TYPE hash = 0;  // CKM_SHA_1 .. CKM_SHA512
  const EVP_MD* md = nullptr;
  const EVP_MD* mgf_md = nullptr;  // MGF1 hash; may differ from md (PKCS#11 allows it)
  size_t salt_len = 0;
};
// For CKM_SHAx_RSA_PKCS_PSS the hashAlg must be SHAx. The salt length against
// the modulus is checked at init (needs the key).
CK_RV parse_pss_params(const CK_MECHANISM& m, PssParams& out);
CK_RV validate_pss_param(const CK_MECHANISM& m);

struct OaepParams {
  CK_MECHANISM_TYPE hash = 0;
  const EVP_MD* md = nullptr;
  const EVP_MD* mgf_md = nullptr;
  Bytes label;  // CKZ_DATA_SPECIFIED source data (may be empty)
};
// source must be CKZ_DATA_SPECIFIED; 0 is tolerated when no label is given
// (some callers leave it zeroed). Label pointer/length must agree.
CK_RV parse_oaep_params(const CK_MECHANISM& m, OaepParams& out);
CK_RV validate_oaep_param(const CK_MECHANISM& m);

struct Ecdh1Params {
  CK_ULONG kdf = CKD_NULL;  // CK_EC_KDF_TYPE (p11-kit names it ck_ec_kdf_t)
  // The hash of CKD_SHA*_KDF (ANSI X9.63 KDF over the shared secret); nullopt for CKD_NULL.
  std::optional<crypto::Digest> kdf_digest;
  Bytes shared_data;  // X9.63 SharedInfo (CKD_SHA*_KDF only; may be empty)
  Bytes public_data;  // as given: raw point or DER OCTET STRING (see derive_ecdh.h)
};
// kdf: CKD_NULL (no shared data: pointer NULL and length 0, 2.40 curr. mech.
// "CK_ECDH1_DERIVE_PARAMS") or CKD_SHA1/224/256/384/512_KDF (optional shared
// data, pointer and length agreeing, at most kMaxSharedData bytes); any other
// kdf is CKR_MECHANISM_PARAM_INVALID. Public data non-empty.
inline constexpr CK_ULONG kMaxSharedData = 4096;
CK_RV parse_ecdh1_params(const CK_MECHANISM& m, Ecdh1Params& out);
CK_RV validate_ecdh1_param(const CK_MECHANISM& m);

}  // namespace sx::token
