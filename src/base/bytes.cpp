#include "base/bytes.h"

#include <cstdlib>
#include <openssl/crypto.h>

namespace sx {

std::string to_hex(ByteView b, bool spaced) {
  static const char* digits = "0123456789ABCDEF";
  std::string s;
  s.reserve(b.size() * 3);
  for (size_t i = 0; i < b.size(); ++i) {
    if (spaced && i) s += ' ';
    s += digits[b[i] >> 4];
    s += digits[b[i] & 15];
  }
  return s;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Bytes> from_hex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == ':' || c == '\n' || c == '\t') {
      if (hi >= 0) return std::nullopt;  // a separator splits a byte
      continue;
    }
    int n = nibble(c);
    if (n < 0) return std::nullopt;
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | n));
      hi = -1;
    }
  }
  if (hi >= 0) return std::nullopt;
  return out;
}

Bytes hex(std::string_view h) {
  auto b = from_hex(h);
  if (!b) std::abort();
  return *b;
}

size_t bit_length(ByteView n) {
  size_t i = 0;
  while (i < n.size() && n[i] == 0) ++i;
  if (i == n.size()) return 0;
  size_t bits = (n.size() - i - 1) * 8;
  for (unsigned top = n[i]; top != 0; top >>= 1) ++bits;
  return bits;
}

void secure_wipe(void* p, size_t n) {
  if (p && n) OPENSSL_cleanse(p, n);
}

}  // namespace sx
