#include "token/mech/signature_setup.h"

#include "token/mech/ecdsa_codec.h"
#include "token/mech/rsa_padding.h"

namespace sx::token {

CK_RV state_error(OpState s) {
  return s == OpState::Updating ? CKR_OPERATION_ACTIVE : CKR_OPERATION_NOT_INITIALIZED;
}

CK_RV setup_signature(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, CK_FLAGS usage,
                      SignatureSetup& out) {
  const CK_RV rv = check_mechanism(caps, m, usage, key.key_type, key.bits);
  if (rv != CKR_OK) return rv;
  const MechanismRow* row = find_mechanism(m.mechanism);
  if (!row || !is_signature(row->scheme)) return CKR_MECHANISM_INVALID;
  if (!key.public_key) return CKR_GENERAL_ERROR;  // the key model must always provide it
  if (row->scheme == Scheme::Ecdsa) {
    // Orders whose byte length no chip digest length can carry (see ecdsa_normalise)
    // are refused here, where CKR_KEY_SIZE_RANGE is a legal answer.
    Bytes probe;
    if (ecdsa_normalise(Bytes{1}, key.order_bits, probe) == CKR_KEY_SIZE_RANGE) return CKR_KEY_SIZE_RANGE;
  }
  out.mechanism = m.mechanism;
  out.row = row;
  out.key = key;
  if (row->scheme == Scheme::RsaPss) {
    const CK_RV prv = parse_pss_params(m, out.pss);
    if (prv != CKR_OK) return prv;
    if (out.pss.salt_len > pss_max_salt(key.bits, out.pss.md)) return CKR_MECHANISM_PARAM_INVALID;
  }
  out.signature_len = static_cast<CK_ULONG>(key.key_type == CKK_EC ? 2 * key.ec_half_bytes() : key.modulus_bytes());
  return CKR_OK;
}

CK_RV InputCollector::begin(CK_MECHANISM_TYPE prehash) {
  prehashed_ = prehash != 0;
  md_ = prehashed_ ? md_for_hash(prehash) : nullptr;
  if (prehashed_ && (!md_ || !hasher_.init(md_))) return fail(CKR_GENERAL_ERROR);
  state_ = OpState::Ready;
  return CKR_OK;
}

CK_RV InputCollector::single(ByteView data, Bytes& tbs) {
  if (state_ != OpState::Ready) return state_error(state_);
  state_ = OpState::Done;  // C_Sign/C_Verify always end the operation
  if (!prehashed_) {
    tbs.assign(data.begin(), data.end());
    return CKR_OK;
  }
  auto h = crypto::hash(md_, data);
  if (!h) return CKR_GENERAL_ERROR;
  tbs = std::move(*h);
  return CKR_OK;
}

CK_RV InputCollector::update(ByteView part) {
  if (state_ != OpState::Ready && state_ != OpState::Updating) return CKR_OPERATION_NOT_INITIALIZED;
  if (!prehashed_) return fail(CKR_FUNCTION_NOT_SUPPORTED);
  if (!hasher_.update(part)) return fail(CKR_GENERAL_ERROR);
  state_ = OpState::Updating;
  return CKR_OK;
}

CK_RV InputCollector::final(Bytes& tbs) {
  if (state_ != OpState::Ready && state_ != OpState::Updating) return CKR_OPERATION_NOT_INITIALIZED;
  if (!prehashed_) return fail(CKR_FUNCTION_NOT_SUPPORTED);
  state_ = OpState::Done;
  auto h = hasher_.finish();
  if (!h) return CKR_GENERAL_ERROR;
  tbs = std::move(*h);
  return CKR_OK;
}

}  // namespace sx::token
