#include "token/mech/ecdsa_codec.h"

#include <algorithm>

#include "crypto/digest.h"

namespace sx::token {

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
