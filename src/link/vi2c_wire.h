// Wire format of the virtual I2C bus (vi2c): one I2C transaction = one
// request and one response on a Unix stream socket. Header-only and free of
// other project headers so the LD_PRELOAD shim (tools/vi2c_preload) can use it.
//
// Request  : OP(1) ARG(2, big-endian) [DATA(ARG) for OP_WRITE]
//   OP_WRITE    0x01  ARG = N (1..kMaxData), followed by N data bytes
//   OP_READ     0x02  ARG = N (1..kMaxData) bytes to read
//   OP_SET_ADDR 0x03  ARG = 7-bit slave address (0x00..0x7F) for later transactions
// Response : STATUS(1) LEN(2, big-endian) PAYLOAD(LEN)
//   ST_OK        0x00  OP_READ: exactly N data bytes; otherwise LEN = 0
//   ST_NACK      0x01  the slave did not acknowledge (wrong address, or busy);
//                      PAYLOAD = text, LEN <= kMaxText
//   ST_IO        0x02  bus error; PAYLOAD = text
//   ST_BAD       0x03  malformed request (the server then closes the connection)
// A new connection starts with slave address 0x48. Transactions to an address
// other than the server's are NACKed, as on a real bus.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sx::link::vi2c {

inline constexpr uint8_t OP_WRITE = 0x01;
inline constexpr uint8_t OP_READ = 0x02;
inline constexpr uint8_t OP_SET_ADDR = 0x03;

inline constexpr uint8_t ST_OK = 0x00;
inline constexpr uint8_t ST_NACK = 0x01;
inline constexpr uint8_t ST_IO = 0x02;
inline constexpr uint8_t ST_BAD = 0x03;

inline constexpr size_t kHeader = 3;
inline constexpr size_t kMaxData = 4096;  // > any T=1 frame (3 + 254 + 2)
inline constexpr size_t kMaxText = 255;
inline constexpr uint8_t kDefaultAddr = 0x48;

}  // namespace sx::link::vi2c
