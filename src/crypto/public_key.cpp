#include "crypto/public_key.h"

#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "crypto/ec.h"
#include "crypto/libctx.h"

namespace sx::crypto {

namespace {

// DER tag-length-value with a definite length (up to 64 KiB of content).
Bytes der_tlv(uint8_t tag, ByteView content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n >= 0x100) {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
  } else if (n >= 0x80) {
    out.push_back(0x81);
  }
  out.push_back(static_cast<uint8_t>(n & 0xFF));
  append(out, content);
  return out;
}

// DER INTEGER of a big-endian unsigned value (minimal, positive).
Bytes der_uint(ByteView v) {
  ByteView digits = ossl::strip_zeros(v);
  Bytes c;
  if (digits.empty() || (digits[0] & 0x80) != 0) c.push_back(0);
  append(c, digits);
  return der_tlv(0x02, c);
}

Bytes der_bit_string(ByteView v) {
  Bytes c{0x00};  // no unused bits
  append(c, v);
  return der_tlv(0x03, c);
}

Result<Bytes> der_oid(int nid) { return ec_params_der(nid); }

Result<Bytes> spki(ByteView algorithm, ByteView key_bits) {
  if (key_bits.size() > 0x8000) return make_error(Errc::InvalidArgument, "public key too large");
  Bytes body = der_tlv(0x30, algorithm);
  append(body, der_bit_string(key_bits));
  return der_tlv(0x30, body);
}

}  // namespace

Result<Bytes> ec_spki_der(int nid, ByteView point) {
  if (point.empty()) return make_error(Errc::InvalidArgument, "empty EC point");
  SX_ASSIGN(Bytes alg, der_oid(NID_X9_62_id_ecPublicKey));
  SX_ASSIGN(Bytes curve, der_oid(nid));
  append(alg, curve);
  return spki(alg, point);
}

Result<Bytes> rsa_spki_der(ByteView modulus, ByteView exponent) {
  if (modulus.size() > 0x4000 || exponent.size() > 0x4000)
    return make_error(Errc::InvalidArgument, "RSA component too large");
  SX_ASSIGN(Bytes alg, der_oid(NID_rsaEncryption));
  append(alg, Bytes{0x05, 0x00});  // parameters: NULL
  Bytes key = der_uint(modulus);
  append(key, der_uint(exponent));
  return spki(alg, der_tlv(0x30, key));
}

Result<Bytes> spki_der(const EVP_PKEY* key) {
  Bytes out = ossl::der_of(key, i2d_PUBKEY);
  if (out.empty()) return ossl::crypto_error("encoding SubjectPublicKeyInfo");
  return out;
}

Result<ossl::Pkey> public_key_from_spki(ByteView der) {
  const unsigned char* p = der.data();
  ossl::Pkey key(d2i_PUBKEY_ex(nullptr, &p, static_cast<long>(der.size()), libctx(), kPropq));
  if (!key) {
    ossl::last_error();  // leave no stale error for the next OpenSSL caller on this thread
    return make_error(Errc::InvalidArgument, "not a SubjectPublicKeyInfo");
  }
  if (p != der.data() + der.size()) return make_error(Errc::InvalidArgument, "trailing bytes after SubjectPublicKeyInfo");
  return key;
}

Result<ossl::Pkey> ec_public_key(int nid, size_t field_bytes, ByteView point) {
  if (point.size() != 1 + 2 * field_bytes || point[0] != 0x04)
    return make_error(Errc::Malformed, "EC public key is not an uncompressed point of the curve's size");
  SX_ASSIGN(Bytes der, ec_spki_der(nid, point));
  auto key = public_key_from_spki(der);
  // The decoder refuses points off the curve; say so in the same words as
  // the explicit check (the quick check: all SE05x Weierstrass curves have
  // cofactor 1, so on the curve means in the group).
  if (!key.ok()) return make_error(Errc::Malformed, "EC public key is not a point on the curve");
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(libctx(), key->get(), kPropq));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    ossl::last_error();
    return make_error(Errc::Malformed, "EC public key is not a point on the curve");
  }
  return key;
}

Result<ossl::Pkey> rsa_public_key(ByteView modulus, ByteView exponent) {
  if (ossl::strip_zeros(modulus).empty() || ossl::strip_zeros(exponent).empty())
    return make_error(Errc::Malformed, "RSA public key with empty modulus or exponent");
  SX_ASSIGN(Bytes der, rsa_spki_der(modulus, exponent));
  auto key = public_key_from_spki(der);
  if (!key.ok()) return make_error(Errc::Malformed, "RSA public key rejected by OpenSSL");
  return key;
}

Result<bool> verify_message(const EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature, bool pss) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const char* md_name = md ? EVP_MD_get0_name(md) : nullptr;
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, md_name, libctx(), kPropq, const_cast<EVP_PKEY*>(key),
                                      nullptr) != 1)
    return ossl::crypto_error("signature verification set-up");
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
    return ossl::crypto_error("PSS parameters");
  const int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size());
  if (rc < 0) return ossl::crypto_error("signature verification");
  ossl::last_error();  // a plain mismatch leaves an error on the queue
  return rc == 1;
}

}  // namespace sx::crypto
