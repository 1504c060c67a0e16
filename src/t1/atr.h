// The 35-byte T=1oI2C ATR (docs/se05x-protocol.md §1.10): PVER, VID, DLLP, PLID, PLP, historical bytes.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::t1 {

struct Atr {
  uint8_t pver = 0;
  std::array<uint8_t, 5> vid{};
  // DLLP (data-link layer parameters)
  uint16_t bwt_ms = 0;  // block waiting time
  uint16_t ifsc = 0;    // max INF the SE accepts
  // Physical layer
  uint8_t plid = 0;  // 2 = I2C
  // PLP (physical layer parameters, I2C)
  uint16_t mcf_khz = 0;  // max clock frequency
  uint8_t config = 0;
  uint8_t mpot_ms = 0;  // minimum polling time
  std::array<uint8_t, 3> rfu{};
  uint16_t segt_us = 0;  // guard time
  uint16_t wut = 0;      // wake-up time
  Bytes historical;
};

// Field-by-field parse with bounds checks. DLLP shorter than 4 or PLP shorter than 11 bytes,
// or any length running past the end → Errc::Malformed. Longer DLLP/PLP blocks are accepted
// (extra bytes skipped); bytes after the historical bytes are ignored.
Result<Atr> parse_atr(ByteView atr);

// The 35-byte ATR of docs/se05x-protocol.md §1.10 ("JCOP4 ATPO").
Bytes default_atr();

}  // namespace sx::t1
