// PCB encodings of T=1oI2C (UM11225 flavour) (docs/se05x-protocol.md §1.2).
#pragma once

#include <cstdint>

namespace sx::t1 {

enum class BlockKind : uint8_t { I, R, S };

// R-block error bits (b2 b1).
enum class RError : uint8_t { Ack = 0, Crc = 1, Other = 2, Undefined = 3 };

// S-block codes; request PCB = 0xC0 | code, response PCB = 0xE0 | code.
enum class SCode : uint8_t {
  Resynch = 0x00,
  Ifs = 0x01,
  Abort = 0x02,
  Wtx = 0x03,
  EndApduSession = 0x05,
  ChipReset = 0x06,
  GetAtr = 0x07,
  InterfaceReset = 0x0F,
  DeepPowerDown = 0x1F,
};

constexpr BlockKind block_kind(uint8_t pcb) {
  if ((pcb & 0x80) == 0) return BlockKind::I;
  return (pcb & 0x40) ? BlockKind::S : BlockKind::R;
}

// --- I-block: (N(S) << 6) | (M << 5)
constexpr uint8_t pcb_i(uint8_t ns, bool more) {
  return static_cast<uint8_t>(((ns & 1) << 6) | (more ? 0x20 : 0));
}
constexpr uint8_t i_ns(uint8_t pcb) { return static_cast<uint8_t>((pcb >> 6) & 1); }
constexpr bool i_more(uint8_t pcb) { return (pcb & 0x20) != 0; }

// --- R-block: 0x80 | (N(R) << 4) | err
constexpr uint8_t pcb_r(uint8_t nr, RError err) {
  return static_cast<uint8_t>(0x80 | ((nr & 1) << 4) | static_cast<uint8_t>(err));
}
constexpr uint8_t r_nr(uint8_t pcb) { return static_cast<uint8_t>((pcb >> 4) & 1); }
constexpr RError r_error(uint8_t pcb) { return static_cast<RError>(pcb & 3); }

// --- S-block
constexpr uint8_t pcb_s(SCode code, bool response) {
  return static_cast<uint8_t>((response ? 0xE0 : 0xC0) | static_cast<uint8_t>(code));
}
constexpr bool s_is_response(uint8_t pcb) { return (pcb & 0x20) != 0; }
constexpr uint8_t s_code_bits(uint8_t pcb) { return static_cast<uint8_t>(pcb & 0x1F); }

constexpr bool is_known_s_code(uint8_t code) {
  switch (code) {
    case 0x00: case 0x01: case 0x02: case 0x03: case 0x05:
    case 0x06: case 0x07: case 0x0F: case 0x1F:
      return true;
    default:
      return false;
  }
}

// True when every bit the encoding leaves at zero is zero and an S code is known.
constexpr bool pcb_valid(uint8_t pcb) {
  switch (block_kind(pcb)) {
    case BlockKind::I: return (pcb & 0x1F) == 0;
    case BlockKind::R: return (pcb & 0x2C) == 0;
    case BlockKind::S: return is_known_s_code(s_code_bits(pcb));
  }
  return false;
}

constexpr bool is_s(uint8_t pcb, SCode code, bool response) { return pcb == pcb_s(code, response); }

}  // namespace sx::t1
