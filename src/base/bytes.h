// Byte buffers and the few helpers every layer needs (hex, big-endian ints).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sx {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

std::string to_hex(ByteView b, bool spaced = false);
// Accepts upper/lower case, optional spaces/colons between bytes; nullopt on bad input.
std::optional<Bytes> from_hex(std::string_view hex);
// For tests and literals: aborts on malformed input.
Bytes hex(std::string_view hex);

inline void put_u16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void put_u32(Bytes& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
inline uint16_t get_u16(ByteView b, size_t at = 0) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
inline uint32_t get_u32(ByteView b, size_t at = 0) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | b[at + 3];
}
inline void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// Overwrites memory that held secrets in a way the optimiser cannot drop.
// The bit length of a big-endian unsigned integer (an RSA modulus): 0 for zero.
size_t bit_length(ByteView big_endian);

void secure_wipe(void* p, size_t n);
inline void secure_wipe(Bytes& b) {
  secure_wipe(b.data(), b.size());
  b.clear();
}

}  // namespace sx
