// CRC-16/X-25 as used by T=1oI2C (UM11225), covering NAD..last INF byte.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace sx::t1 {

// Reflected poly 0x8408, init 0xFFFF, final XOR 0xFFFF. crc16_x25("123456789") == 0x906E.
uint16_t crc16_x25(ByteView data);

// The wire carries the CRC least-significant byte first.
inline void put_crc_le(Bytes& out, uint16_t crc) {
  out.push_back(static_cast<uint8_t>(crc));
  out.push_back(static_cast<uint8_t>(crc >> 8));
}
inline uint16_t get_crc_le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

}  // namespace sx::t1
