#include "pkcs11/spki.h"

namespace sx::p11 {

namespace {

Bytes tlv(uint8_t tag, ByteView content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xFF) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n & 0xFF));
  } else {
    return {};
  }
  append(out, content);
  return out;
}

// DER INTEGER of a big-endian unsigned value (minimal, positive).
Bytes der_uint(ByteView v) {
  size_t i = 0;
  while (i + 1 < v.size() && v[i] == 0) ++i;
  Bytes c;
  if (v.empty() || (v[i] & 0x80) != 0) c.push_back(0);
  c.insert(c.end(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  if (c.empty()) c.push_back(0);
  return tlv(0x02, c);
}

Bytes bit_string(ByteView v) {
  Bytes c{0x00};
  append(c, v);
  return tlv(0x03, c);
}

const Bytes kEcPublicKeyOid = {0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
const Bytes kRsaEncryptionAlg = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};

}  // namespace

Bytes spki_of(const token::Object& o) {
  if (o.key_type == token::KeyType::Ec) {
    if (o.ec_params.empty() || o.ec_point.empty()) return {};
    Bytes alg = kEcPublicKeyOid;
    append(alg, o.ec_params);
    Bytes body = tlv(0x30, alg);
    append(body, bit_string(o.ec_point));
    return tlv(0x30, body);
  }
  if (o.key_type == token::KeyType::Rsa) {
    if (o.modulus.empty() || o.public_exponent.empty()) return {};
    Bytes key = der_uint(o.modulus);
    append(key, der_uint(o.public_exponent));
    Bytes body = tlv(0x30, kRsaEncryptionAlg);
    append(body, bit_string(tlv(0x30, key)));
    return tlv(0x30, body);
  }
  return {};
}

}  // namespace sx::p11
