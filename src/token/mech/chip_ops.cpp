#include "token/mech/chip_ops.h"

#include "token/mech/ecdsa_codec.h"

namespace sx::token {

CK_RV rv_from_chip_error(const Error& e) {
  if (e.code == Errc::StatusWord && e.sw == se05x::sw::kCommandNotAllowed) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  // The same 6986 through the user-session layer (device/user_session.h).
  if (e.code == Errc::AccessDenied) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  return CKR_DEVICE_ERROR;
}

namespace chip {

namespace {

// A key operation the chip refused: the key may be gone -- another tool deleted it
// after the object index this process opened from listed it (docs/token-store.md
// §2.4). Which SW a real SE050 gives for a missing object is [U], so the chip is
// asked (one APDU, on this failure path only). Gone: CKR_FUNCTION_FAILED, which the
// module takes as "list the chip again" (docs/pkcs11-module.md §9c).
CK_RV refused(se05x::Client& c, uint32_t id, const Error& e) {
  if (e.code == Errc::StatusWord) {
    auto exists = c.check_object_exists(id);
    if (exists.ok() && !*exists) return CKR_FUNCTION_FAILED;
  }
  return rv_from_chip_error(e);
}

CK_RV left_pad(Bytes& v, size_t want) {
  if (v.size() > want) {
    secure_wipe(v);
    return CKR_DEVICE_ERROR;
  }
  if (v.size() < want) {
    // A new buffer, the old one wiped: an insert that reallocates would free
    // secret bytes (an ECDH Z, an RSA plaintext) without wiping them.
    Bytes padded(want - v.size(), 0x00);
    append(padded, v);
    secure_wipe(v);
    v = std::move(padded);
  }
  return CKR_OK;
}

}  // namespace

CK_RV rsa_private_raw(se05x::Client& c, const KeyRef& key, ByteView block, Bytes& out) {
  const size_t k = key.modulus_bytes();
  if (key.key_type != CKK_RSA || block.size() != k) return CKR_GENERAL_ERROR;
  auto r = c.rsa_decrypt(key.object_id, se05x::RsaEncAlgo::NoPad, block);
  if (!r.ok()) return refused(c, key.object_id, r.error());
  out = std::move(r.value());
  return left_pad(out, k);
}

CK_RV ecdsa_sign(se05x::Client& c, const KeyRef& key, ByteView digest, Bytes& der, Bytes& raw) {
  if (key.key_type != CKK_EC) return CKR_GENERAL_ERROR;
  auto r = c.ecdsa_sign(key.object_id, digest);
  if (!r.ok()) return refused(c, key.object_id, r.error());
  der = std::move(r.value());
  if (!ecdsa_der_to_raw(der, key.ec_half_bytes(), raw)) return CKR_DEVICE_ERROR;
  return CKR_OK;
}

CK_RV ecdh(se05x::Client& c, const KeyRef& key, ByteView point, Bytes& secret) {
  if (key.key_type != CKK_EC) return CKR_GENERAL_ERROR;
  auto r = c.ecdh(key.object_id, point);
  if (!r.ok()) return refused(c, key.object_id, r.error());
  secret = std::move(r.value());
  if (secret.empty()) return CKR_DEVICE_ERROR;
  return left_pad(secret, (key.bits + 7u) / 8u);
}

}  // namespace chip
}  // namespace sx::token
