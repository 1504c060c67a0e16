// Mechanism parameters: strict parsing of CK_RSA_PKCS_PSS_PARAMS,
// CK_RSA_PKCS_OAEP_PARAMS and CK_ECDH1_DERIVE_PARAMS into owned values.
// Every failure is CKR_MECHANISM_PARAM_INVALID.
#pragma once

#include <openssl/evp.h>

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
  Bytes public_data;  // as given: raw point or DER OCTET STRING (see derive_ecdh.h)
};
// kdf must be CKD_NULL with no shared data; public data non-empty.
CK_RV parse_ecdh1_params(const CK_MECHANISM& m, Ecdh1Params& out);
CK_RV validate_ecdh1_param(const CK_MECHANISM& m);

}  // namespace sx::token
