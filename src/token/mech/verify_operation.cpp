#include "token/mech/verify_operation.h"

#include "token/mech/ecdsa_codec.h"
#include "token/mech/host_crypto.h"
#include "token/mech/rsa_padding.h"

namespace sx::token {

CK_RV VerifyOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key) {
  in_ = InputCollector{};
  SignatureSetup s;
  const CK_RV rv = setup_signature(caps, m, key, CKF_VERIFY, s);
  if (rv != CKR_OK) return rv;
  setup_ = std::move(s);
  return in_.begin(setup_.row->prehash);
}

CK_RV VerifyOperation::verify(ByteView data, ByteView signature) {
  Bytes tbs;
  const CK_RV rv = in_.single(data, tbs);
  if (rv != CKR_OK) return rv;
  return verify_tbs(tbs, signature);
}

CK_RV VerifyOperation::update(ByteView part) { return in_.update(part); }

CK_RV VerifyOperation::final(ByteView signature) {
  Bytes tbs;
  const CK_RV rv = in_.final(tbs);
  if (rv != CKR_OK) return rv;
  return verify_tbs(tbs, signature);
}

CK_RV VerifyOperation::verify_tbs(ByteView tbs, ByteView signature) const {
  const KeyRef& key = setup_.key;
  const size_t k = key.modulus_bytes();
  switch (setup_.row->scheme) {
    case Scheme::Ecdsa: {
      if (tbs.empty()) return CKR_DATA_LEN_RANGE;  // as for signing
      if (signature.size() != setup_.signature_len) return CKR_SIGNATURE_LEN_RANGE;
      Bytes der;
      if (!ecdsa_raw_to_der(signature, der)) return CKR_SIGNATURE_LEN_RANGE;
      // OpenSSL truncates the raw input exactly as FIPS 186-4 says.
      return host::ecdsa_verify_der(key, tbs, der) ? CKR_OK : CKR_SIGNATURE_INVALID;
    }
    case Scheme::RsaPss: {
      if (tbs.size() != crypto::md_size(setup_.pss.md)) return CKR_DATA_LEN_RANGE;
      if (signature.size() != setup_.signature_len) return CKR_SIGNATURE_LEN_RANGE;
      return host::rsa_pss_verify(key, tbs, signature, setup_.pss) ? CKR_OK : CKR_SIGNATURE_INVALID;
    }
    case Scheme::RsaPkcs1:
    case Scheme::RsaRaw: {
      // Encode-and-compare (RFC 8017 8.2.2): no parsing of the recovered block.
      Bytes expected;
      if (setup_.row->scheme == Scheme::RsaPkcs1) {
        Bytes t;
        if (setup_.row->prehash) append(t, digest_info_prefix(setup_.row->prehash));
        append(t, tbs);
        const CK_RV rv = emsa_pkcs1_v15_encode(t, k, expected);
        if (rv != CKR_OK) return rv;
      } else {
        if (tbs.size() > k) return CKR_DATA_LEN_RANGE;
        expected.assign(k - tbs.size(), 0x00);
        append(expected, tbs);
      }
      if (signature.size() != setup_.signature_len) return CKR_SIGNATURE_LEN_RANGE;
      Bytes recovered;
      if (!host::rsa_public_raw(key, signature, recovered)) return CKR_SIGNATURE_INVALID;
      return recovered == expected ? CKR_OK : CKR_SIGNATURE_INVALID;
    }
    default:  // not a signature scheme (setup_signature refuses those)
      break;
  }
  return CKR_GENERAL_ERROR;
}

}  // namespace sx::token
