#include "token/mech/decrypt_operation.h"

#include <algorithm>

#include "token/mech/chip_ops.h"
#include "token/mech/host_crypto.h"
#include "token/mech/rsa_padding.h"

namespace sx::token {

namespace {

// The rows with CKF_ENCRYPT / CKF_DECRYPT: RSA PKCS#1 v1.5, OAEP and raw.
CK_RV setup_rsa_crypt(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, CK_FLAGS usage,
                      OaepParams& oaep, Scheme& scheme) {
  const MechanismRow* row = find_mechanism(m.mechanism);
  if (!row || (row->flags & usage) != usage || row->chip_op != ChipOp::RsaPrivateRaw) return CKR_MECHANISM_INVALID;
  scheme = row->scheme;
  const CK_RV rv = check_mechanism(caps, m, usage, key.key_type, key.bits);
  if (rv != CKR_OK) return rv;
  if (!key.public_key || key.modulus.empty()) return CKR_GENERAL_ERROR;
  if (scheme == Scheme::RsaOaep) {
    const CK_RV prv = parse_oaep_params(m, oaep);
    if (prv != CKR_OK) return prv;
    if (key.modulus_bytes() < 2 * crypto::md_size(oaep.md) + 2) return CKR_MECHANISM_PARAM_INVALID;
  }
  return CKR_OK;
}

// Big-endian k-byte value < modulus (also k bytes once left-padded).
bool below_modulus(ByteView c, ByteView modulus) {
  Bytes n(c.size() - std::min(c.size(), modulus.size()), 0x00);
  append(n, modulus);
  if (n.size() != c.size()) return false;
  return std::lexicographical_compare(c.begin(), c.end(), n.begin(), n.end());
}

}  // namespace

void DecryptOperation::clear() {
  secure_wipe(cached_out_);
  cached_in_.clear();
  cached_ = false;
}

CK_RV DecryptOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key) {
  clear();
  state_ = OpState::Empty;
  OaepParams oaep;
  Scheme scheme = Scheme::None;
  const CK_RV rv = setup_rsa_crypt(caps, m, key, CKF_DECRYPT, oaep, scheme);
  if (rv != CKR_OK) return rv;
  if (key.object_id == 0) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  scheme_ = scheme;
  oaep_ = std::move(oaep);
  key_ = key;
  state_ = OpState::Ready;
  return CKR_OK;
}

CK_ULONG DecryptOperation::max_output_length() const {
  const size_t k = key_.modulus_bytes();
  switch (scheme_) {
    case Scheme::RsaPkcs1: return static_cast<CK_ULONG>(k - 11);
    case Scheme::RsaOaep: return static_cast<CK_ULONG>(k - 2 * crypto::md_size(oaep_.md) - 2);
    default: return static_cast<CK_ULONG>(k);
  }
}

CK_RV DecryptOperation::decrypt(se05x::Client& chip, ByteView ciphertext, Bytes& plaintext) {
  if (state_ != OpState::Ready) return CKR_OPERATION_NOT_INITIALIZED;
  if (cached_ && ByteView(cached_in_).size() == ciphertext.size() &&
      std::equal(ciphertext.begin(), ciphertext.end(), cached_in_.begin())) {
    plaintext = cached_out_;
    return CKR_OK;
  }
  clear();
  const size_t k = key_.modulus_bytes();
  if (ciphertext.size() != k) return CKR_ENCRYPTED_DATA_LEN_RANGE;
  if (!below_modulus(ciphertext, key_.modulus)) return CKR_ENCRYPTED_DATA_INVALID;
  Bytes em;
  const CK_RV rv = chip::rsa_private_raw(chip, key_, ciphertext, em);
  if (rv != CKR_OK) return rv;
  Bytes out;
  bool good = true;
  switch (scheme_) {
    case Scheme::RsaPkcs1: good = eme_pkcs1_v15_decode(em, out); break;
    case Scheme::RsaOaep: good = eme_oaep_decode(em, oaep_, out); break;
    default: out = em; break;
  }
  secure_wipe(em);
  if (!good) return CKR_ENCRYPTED_DATA_INVALID;
  cached_in_.assign(ciphertext.begin(), ciphertext.end());
  cached_out_ = out;
  cached_ = true;
  plaintext = std::move(out);
  return CKR_OK;
}

CK_RV EncryptOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key) {
  state_ = OpState::Empty;
  OaepParams oaep;
  Scheme scheme = Scheme::None;
  const CK_RV rv = setup_rsa_crypt(caps, m, key, CKF_ENCRYPT, oaep, scheme);
  if (rv != CKR_OK) return rv;
  scheme_ = scheme;
  oaep_ = std::move(oaep);
  key_ = key;
  state_ = OpState::Ready;
  return CKR_OK;
}

CK_RV EncryptOperation::encrypt(ByteView data, Bytes& ciphertext) {
  if (state_ != OpState::Ready) return CKR_OPERATION_NOT_INITIALIZED;
  state_ = OpState::Done;
  const host::RsaPad pad = scheme_ == Scheme::RsaPkcs1  ? host::RsaPad::Pkcs1
                           : scheme_ == Scheme::RsaOaep ? host::RsaPad::Oaep
                                                        : host::RsaPad::Raw;
  return host::rsa_encrypt(key_, pad, &oaep_, data, ciphertext);
}

}  // namespace sx::token
