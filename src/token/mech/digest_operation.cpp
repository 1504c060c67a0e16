#include "token/mech/digest_operation.h"

#include <algorithm>

namespace sx::token {

namespace {

// Saved-state layout (docs/pkcs11-module.md "Operation state"): "SXD1", the
// mechanism (4 bytes, big-endian), 1 when update() was called (C_Digest is
// then refused as after any C_DigestUpdate), the input length (4 bytes) and
// the input.
constexpr uint8_t kMagic[4] = {'S', 'X', 'D', '1'};
constexpr size_t kHeader = sizeof kMagic + 4 + 1 + 4;

void put32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}
uint32_t get32(ByteView b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

CK_RV DigestOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m) {
  in_ = InputCollector{};
  secure_wipe(fed_);
  fed_.clear();
  saveable_ = true;
  const CK_RV rv = check_mechanism(caps, m, CKF_DIGEST, kNoKey, 0);
  if (rv != CKR_OK) return rv;
  const EVP_MD* md = md_for_hash(m.mechanism);
  if (!md) return CKR_MECHANISM_INVALID;
  mechanism_ = m.mechanism;
  length_ = static_cast<CK_ULONG>(crypto::md_size(md));
  return in_.begin(m.mechanism);
}

CK_RV DigestOperation::update(ByteView part) {
  const CK_RV rv = in_.update(part);
  if (rv != CKR_OK || !saveable_) return rv;
  if (part.size() > kMaxSavedInput - fed_.size()) {
    saveable_ = false;
    secure_wipe(fed_);
    fed_ = Bytes{};
    return rv;
  }
  fed_.insert(fed_.end(), part.begin(), part.end());
  return rv;
}

CK_RV DigestOperation::save(Bytes& out) const {
  if (!active()) return CKR_OPERATION_NOT_INITIALIZED;
  if (!saveable_) return CKR_STATE_UNSAVEABLE;
  out.clear();
  out.reserve(kHeader + fed_.size());
  out.insert(out.end(), std::begin(kMagic), std::end(kMagic));
  put32(out, static_cast<uint32_t>(mechanism_));
  out.push_back(in_.state() == OpState::Updating ? 1 : 0);
  put32(out, static_cast<uint32_t>(fed_.size()));
  out.insert(out.end(), fed_.begin(), fed_.end());
  return CKR_OK;
}

CK_RV DigestOperation::restore(const ChipCapabilities& caps, ByteView state, std::unique_ptr<DigestOperation>& out) {
  if (state.size() < kHeader || !std::equal(std::begin(kMagic), std::end(kMagic), state.begin()))
    return CKR_SAVED_STATE_INVALID;
  const uint8_t updating = state[8];
  const size_t len = get32(state, 9);
  if (updating > 1 || len > kMaxSavedInput || len != state.size() - kHeader || (len != 0 && updating == 0))
    return CKR_SAVED_STATE_INVALID;
  CK_MECHANISM m{get32(state, 4), nullptr, 0};
  auto op = std::make_unique<DigestOperation>();
  if (op->init(caps, m) != CKR_OK) return CKR_SAVED_STATE_INVALID;
  // An update of nothing still moves the operation to the multi-part state.
  if (updating != 0 && op->update(state.subspan(kHeader)) != CKR_OK) return CKR_SAVED_STATE_INVALID;
  out = std::move(op);
  return CKR_OK;
}

}  // namespace sx::token
