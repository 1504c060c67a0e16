#include "token/mech/sign_operation.h"

#include <openssl/crypto.h>

#include "token/mech/chip_ops.h"
#include "token/mech/ecdsa_codec.h"
#include "token/mech/host_crypto.h"
#include "token/mech/rsa_padding.h"

namespace sx::token {

CK_RV SignOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, SignOptions opt) {
  in_ = InputCollector{};
  SignatureSetup s;
  CK_RV rv = setup_signature(caps, m, key, CKF_SIGN, s);
  if (rv != CKR_OK) return rv;
  if (key.object_id == 0) return CKR_KEY_FUNCTION_NOT_PERMITTED;  // no private half on the chip
  setup_ = std::move(s);
  opt_ = opt;
  return in_.begin(setup_.row->prehash);
}

CK_RV SignOperation::sign(se05x::Client& chip, ByteView data, Bytes& signature) {
  Bytes tbs;
  const CK_RV rv = in_.single(data, tbs);
  if (rv != CKR_OK) return rv;
  return sign_tbs(chip, tbs, signature);
}

CK_RV SignOperation::update(ByteView part) { return in_.update(part); }

CK_RV SignOperation::final(se05x::Client& chip, Bytes& signature) {
  Bytes tbs;
  const CK_RV rv = in_.final(tbs);
  if (rv != CKR_OK) return rv;
  return sign_tbs(chip, tbs, signature);
}

CK_RV SignOperation::sign_tbs(se05x::Client& chip, ByteView tbs, Bytes& signature) {
  const KeyRef& key = setup_.key;
  const size_t k = key.modulus_bytes();
  switch (setup_.row->scheme) {
    case Scheme::Ecdsa:
      return sign_ecdsa(chip, tbs, signature);
    case Scheme::RsaPkcs1: {
      Bytes t;
      if (setup_.row->prehash) append(t, digest_info_prefix(setup_.row->prehash));
      append(t, tbs);
      Bytes em;
      const CK_RV rv = emsa_pkcs1_v15_encode(t, k, em);
      if (rv != CKR_OK) return rv;
      return sign_rsa_block(chip, em, signature);
    }
    case Scheme::RsaPss: {
      const PssParams& p = setup_.pss;
      if (tbs.size() != crypto::md_size(p.md)) return CKR_DATA_LEN_RANGE;
      // Salt from OpenSSL's DRBG (seeded by the kernel): it need not be secret
      // or chip-made, and a GetRandom APDU would add an I2C round trip under
      // the chip lock to every signature.
      Bytes salt(p.salt_len);
      if (!salt.empty() && !crypto::random_bytes(salt.data(), salt.size())) return CKR_GENERAL_ERROR;
      Bytes em;
      if (!emsa_pss_encode(tbs, salt, key.bits, p, em)) return CKR_GENERAL_ERROR;
      const CK_RV rv = sign_rsa_block(chip, em, signature);
      if (rv == CKR_OK && opt_.check_signature && !host::rsa_pss_verify(key, tbs, signature, p)) {
        secure_wipe(signature);
        return CKR_DEVICE_ERROR;
      }
      return rv;
    }
    case Scheme::RsaRaw: {
      if (tbs.size() > k) return CKR_DATA_LEN_RANGE;
      Bytes block(k - tbs.size(), 0x00);
      append(block, tbs);
      Bytes ignored;
      if (!host::rsa_public_raw(key, block, ignored)) return CKR_DATA_INVALID;  // value >= n
      return sign_rsa_block(chip, block, signature);
    }
    default:  // not a signature scheme (setup_signature refuses those)
      break;
  }
  return CKR_GENERAL_ERROR;
}

CK_RV SignOperation::sign_ecdsa(se05x::Client& chip, ByteView tbs, Bytes& signature) {
  Bytes digest, der;
  CK_RV rv = ecdsa_normalise(tbs, setup_.key.order_bits, digest);
  if (rv != CKR_OK) return rv;
  rv = chip::ecdsa_sign(chip, setup_.key, digest, der, signature);
  if (rv != CKR_OK) return rv;
  if (opt_.check_signature && opt_.check_ecdsa && !host::ecdsa_verify_der(setup_.key, digest, der)) {
    signature.clear();
    return CKR_DEVICE_ERROR;
  }
  return CKR_OK;
}

// Raw private op; with checking, s^e mod n must give the block back.
CK_RV SignOperation::sign_rsa_block(se05x::Client& chip, ByteView block, Bytes& signature) {
  const CK_RV rv = chip::rsa_private_raw(chip, setup_.key, block, signature);
  if (rv != CKR_OK) return rv;
  if (opt_.check_signature && setup_.row->scheme != Scheme::RsaPss) {
    Bytes back;
    if (!host::rsa_public_raw(setup_.key, signature, back) || back.size() != block.size() ||
        CRYPTO_memcmp(back.data(), block.data(), block.size()) != 0) {
      secure_wipe(signature);
      return CKR_DEVICE_ERROR;
    }
  }
  return CKR_OK;
}

}  // namespace sx::token
