#include "t1/crc.h"

namespace sx::t1 {

uint16_t crc16_x25(ByteView data) {
  uint16_t crc = 0xFFFF;
  for (uint8_t b : data) {
    crc = static_cast<uint16_t>(crc ^ b);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0x8408) : static_cast<uint16_t>(crc >> 1);
    }
  }
  return static_cast<uint16_t>(crc ^ 0xFFFF);
}

}  // namespace sx::t1
