// The signature operations of a session: what sign and verify share (mechanism and
// key checks at init, the single-/multi-part input with its host hash), signing on
// the chip and verifying on the host, and the ECDSA encodings both need (the digest
// fitted to the chip, DER <-> r||s). Declared in signature_setup.h, sign_operation.h,
// verify_operation.h and ecdsa_codec.h.
#include <openssl/crypto.h>

#include <algorithm>

#include "crypto/digest.h"

#include "token/mech/chip_ops.h"
#include "token/mech/ecdsa_codec.h"
#include "token/mech/host_crypto.h"
#include "token/mech/rsa_padding.h"
#include "token/mech/sign_operation.h"
#include "token/mech/signature_setup.h"
#include "token/mech/verify_operation.h"

namespace sx::token {

// --- shared: setup and input

CK_RV state_error(OpState s) {
  return s == OpState::Updating ? CKR_OPERATION_ACTIVE : CKR_OPERATION_NOT_INITIALIZED;
}

CK_RV setup_signature(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, CK_FLAGS usage,
                      SignatureSetup& out) {
  const CK_RV rv = check_mechanism(caps, m, usage, key.key_type, key.bits);
  if (rv != CKR_OK) return rv;
  const MechanismRow* row = find_mechanism(m.mechanism);
  if (!row || !is_signature(row->scheme)) return CKR_MECHANISM_INVALID;
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
    // The parameters are fine, the key is too small for them (SHA-512 with a 64-byte
    // salt needs 1040 bits): the answer SoftHSM2 gives too.
    if (out.pss.salt_len > pss_max_salt(key.bits, out.pss.md)) return CKR_KEY_SIZE_RANGE;
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

// --- C_Sign*: the private half on the chip

CK_RV SignOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key, SignOptions opt) {
  in_ = InputCollector{};
  SignatureSetup s;
  CK_RV rv = setup_signature(caps, m, key, CKF_SIGN, s);
  if (rv != CKR_OK) return rv;
  if (key.object_id == 0) return CKR_KEY_FUNCTION_NOT_PERMITTED;  // no private half on the chip
  // The check of the chip's signature runs on the host with the public key; an EC key
  // from the object index comes without it when no check is asked for (key_ref.h).
  const bool checks = opt.check_signature && (key.key_type != CKK_EC || opt.check_ecdsa);
  if (checks && !key.public_key) return CKR_GENERAL_ERROR;
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

// --- C_Verify*: on the host, against the public key

CK_RV VerifyOperation::init(const ChipCapabilities& caps, const CK_MECHANISM& m, const KeyRef& key) {
  in_ = InputCollector{};
  SignatureSetup s;
  const CK_RV rv = setup_signature(caps, m, key, CKF_VERIFY, s);
  if (rv != CKR_OK) return rv;
  if (!key.public_key) return CKR_GENERAL_ERROR;  // the key model provides it for verification
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

// --- ECDSA encodings (ecdsa_codec.h)
namespace {

// Digest lengths ECDSASign accepts: those of the SHA digests (docs/se05x-protocol.md §4.6.9).
bool chip_length(size_t n) { return crypto::digest_of_size(n).has_value(); }

struct Reader {
  ByteView b;
  size_t at = 0;
  bool byte(uint8_t& v) {
    if (at >= b.size()) return false;
    v = b[at++];
    return true;
  }
  // Definite, minimal length of at most two bytes.
  bool length(size_t& len) {
    uint8_t first = 0;
    if (!byte(first)) return false;
    if (first < 0x80) {
      len = first;
    } else if (first == 0x81) {
      uint8_t v = 0;
      if (!byte(v) || v < 0x80) return false;
      len = v;
    } else if (first == 0x82) {
      uint8_t hi = 0, lo = 0;
      if (!byte(hi) || !byte(lo)) return false;
      len = (size_t{hi} << 8) | lo;
      if (len < 0x100) return false;
    } else {
      return false;
    }
    return len <= b.size() - at;
  }
  bool integer(size_t half, ByteView& value) {
    uint8_t tag = 0;
    size_t len = 0;
    if (!byte(tag) || tag != 0x02 || !length(len) || len == 0) return false;
    ByteView v = b.subspan(at, len);
    at += len;
    if (v[0] & 0x80) return false;                             // negative
    if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) return false;  // non-minimal
    if (v[0] == 0) v = v.subspan(1);
    if (v.empty() || v.size() > half) return false;  // zero or too large
    value = v;
    return true;
  }
};

void put_length(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
  } else if (len <= 0xFF) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(len));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(len >> 8));
    out.push_back(static_cast<uint8_t>(len));
  }
}

void put_integer(Bytes& out, ByteView v) {
  while (!v.empty() && v[0] == 0) v = v.subspan(1);
  const bool pad = v.empty() || (v[0] & 0x80);
  out.push_back(0x02);
  put_length(out, v.size() + (pad ? 1 : 0));
  if (pad) out.push_back(0x00);
  append(out, v);
}

}  // namespace

CK_RV ecdsa_normalise(ByteView input, uint32_t order_bits, Bytes& out) {
  if (input.empty()) return CKR_DATA_LEN_RANGE;
  if (order_bits == 0) return CKR_KEY_SIZE_RANGE;
  const size_t ob = (order_bits + 7u) / 8u;
  size_t target = 0;
  if (chip_length(ob)) target = ob;
  else if (ob > 64) target = 64;
  else return CKR_KEY_SIZE_RANGE;

  Bytes e;
  if (input.size() * 8 > order_bits) {
    // Leftmost order_bits bits: the first ob bytes shifted right by the excess.
    e.assign(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(std::min(ob, input.size())));
    const unsigned shift = static_cast<unsigned>(e.size() * 8 - order_bits);
    if (shift > 0) {
      for (size_t i = e.size(); i-- > 0;) {
        const unsigned prev = i > 0 ? e[i - 1] : 0u;
        e[i] = static_cast<uint8_t>((e[i] >> shift) | (prev << (8 - shift)));
      }
    }
  } else {
    e.assign(input.begin(), input.end());
  }
  size_t lead = 0;
  while (lead < e.size() && e[lead] == 0) ++lead;
  if (e.size() - lead > target) return CKR_DATA_LEN_RANGE;
  out.assign(target - (e.size() - lead), 0x00);
  out.insert(out.end(), e.begin() + static_cast<std::ptrdiff_t>(lead), e.end());
  return CKR_OK;
}

bool ecdsa_der_to_raw(ByteView der, size_t half, Bytes& out) {
  if (half == 0) return false;
  Reader r{der};
  uint8_t tag = 0;
  size_t len = 0;
  if (!r.byte(tag) || tag != 0x30 || !r.length(len) || r.at + len != der.size()) return false;
  ByteView rv, sv;
  if (!r.integer(half, rv) || !r.integer(half, sv) || r.at != der.size()) return false;
  out.assign(2 * half, 0x00);
  std::copy(rv.begin(), rv.end(), out.begin() + static_cast<std::ptrdiff_t>(half - rv.size()));
  std::copy(sv.begin(), sv.end(), out.end() - static_cast<std::ptrdiff_t>(sv.size()));
  return true;
}

bool ecdsa_raw_to_der(ByteView raw, Bytes& out) {
  if (raw.empty() || raw.size() % 2 != 0) return false;
  const size_t half = raw.size() / 2;
  Bytes body;
  put_integer(body, raw.first(half));
  put_integer(body, raw.subspan(half));
  out.clear();
  out.push_back(0x30);
  put_length(out, body.size());
  append(out, body);
  return true;
}

}  // namespace sx::token
