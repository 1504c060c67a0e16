#include "token/mech/derive_ecdh.h"

#include <algorithm>

#include "crypto/ec.h"
#include "crypto/kdf.h"
#include "se05x/curves.h"
#include "token/mech/chip_ops.h"

namespace sx::token {

CK_RV parse_peer_point(const KeyRef& key, ByteView public_data, Bytes& uncompressed) {
  const se05x::CurveInfo* ci = se05x::curve_info(key.curve);
  if (!ci || ci->nid == 0) return CKR_KEY_TYPE_INCONSISTENT;
  const size_t fb = (key.bits + 7u) / 8u;
  // A raw uncompressed point starts with 04 as a DER OCTET STRING does; its
  // exact length (1 + 2 * field bytes) tells them apart.
  std::optional<Bytes> inner;
  if (!(public_data.size() == 1 + 2 * fb && public_data[0] == 0x04)) inner = crypto::ec_point_from_der(public_data);
  auto point = crypto::ec_point_uncompressed(ci->nid, inner ? ByteView(*inner) : public_data);
  if (!point || point->size() != 1 + 2 * fb) return CKR_MECHANISM_PARAM_INVALID;
  uncompressed = std::move(*point);
  return CKR_OK;
}

CK_RV ecdh1_check(const ChipCapabilities& caps, const CK_MECHANISM& m) {
  const MechanismRow* row = find_mechanism(m.mechanism);
  if (!row || row->chip_op != ChipOp::EcdhSharedSecret) return CKR_MECHANISM_INVALID;
  return check_mechanism(caps, m, CKF_DERIVE, row->key_type, 0);
}

CK_RV ecdh1_check_key(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key) {
  if (CK_RV rv = ecdh1_check(caps, m); rv != CKR_OK) return rv;
  if (CK_RV rv = check_mechanism(caps, m, CKF_DERIVE, key.key_type, key.bits); rv != CKR_OK) return rv;
  return key.object_id == 0 ? CKR_KEY_FUNCTION_NOT_PERMITTED : CKR_OK;
}

CK_RV ecdh1_output_length(const Ecdh1Params& p, size_t z_len, std::optional<CK_ULONG> value_len, size_t& out_len) {
  if (!p.kdf_digest) {
    if (!value_len) {
      out_len = z_len;
      return CKR_OK;
    }
    if (*value_len == 0 || *value_len > z_len) return CKR_ATTRIBUTE_VALUE_INVALID;
  } else {
    if (!value_len) return CKR_TEMPLATE_INCOMPLETE;
    if (*value_len == 0 || *value_len > crypto::kX963MaxOutput) return CKR_ATTRIBUTE_VALUE_INVALID;
  }
  out_len = static_cast<size_t>(*value_len);  // bounded above: fits size_t on 32-bit targets
  return CKR_OK;
}

CK_RV ecdh1_plan(const CK_MECHANISM& m, const KeyRef& key, std::optional<CK_ULONG> value_len, Ecdh1Plan& plan) {
  if (CK_RV rv = parse_ecdh1_params(m, plan.params); rv != CKR_OK) return rv;
  if (CK_RV rv = parse_peer_point(key, plan.params.public_data, plan.point); rv != CKR_OK) return rv;
  return ecdh1_output_length(plan.params, (key.bits + 7u) / 8u, value_len, plan.out_len);
}

CK_RV ecdh1_run(se05x::Client& chip, const KeyRef& key, const Ecdh1Plan& plan, Bytes& out) {
  Bytes z;
  if (CK_RV rv = chip::ecdh(chip, key, plan.point, z); rv != CKR_OK) {
    secure_wipe(z);
    return rv;
  }
  CK_RV rv = CKR_OK;
  if (plan.out_len == 0 || (!plan.params.kdf_digest && plan.out_len > z.size())) {
    rv = CKR_GENERAL_ERROR;  // planned against the key's field size; the chip's Z has that size
  } else if (!plan.params.kdf_digest) {
    // Keep the trailing out_len bytes (the leading ones are cut off).
    out.assign(z.end() - static_cast<std::ptrdiff_t>(plan.out_len), z.end());
  } else {
    out.assign(plan.out_len, 0);
    auto st = crypto::x963_kdf(*plan.params.kdf_digest, z, plan.params.shared_data, out.data(), out.size());
    if (!st) {
      secure_wipe(out);
      out.clear();
      rv = CKR_FUNCTION_FAILED;
    }
  }
  secure_wipe(z);
  return rv;
}

CK_RV ecdh1_derive(se05x::Client& chip, const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key,
                   Bytes& out, std::optional<CK_ULONG> value_len) {
  if (CK_RV rv = ecdh1_check_key(caps, m, key); rv != CKR_OK) return rv;
  Ecdh1Plan plan;
  if (CK_RV rv = ecdh1_plan(m, key, value_len, plan); rv != CKR_OK) return rv;
  return ecdh1_run(chip, key, plan, out);
}

}  // namespace sx::token
