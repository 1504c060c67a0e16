// Modelled SE050 time per APDU: chip processing (table of estimates, docs/simulator.md)
// plus I2C wire time of the T=1 frames for the C-APDU and R-APDU.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sx::sim {

enum class Op : uint8_t {
  Misc,         // version, queries, exists, type, size, curve ops, ...
  Select,
  Read,         // ReadObject: size = bytes returned
  WriteBinary,  // size = bytes written
  WriteKey,     // key import (one APDU)
  Delete,
  EcKeygen,     // bits = curve bits
  EcSign,
  EcVerify,
  Ecdh,
  RsaKeygen,    // bits = key bits
  RsaPrivate,   // sign / decrypt
  RsaPublic,    // verify / encrypt
  Digest,       // size = input bytes
  Random,       // size = output bytes
};

struct OpParams {
  Op op = Op::Misc;
  uint32_t bits = 0;
  uint32_t size = 0;
};

using Micros = std::chrono::microseconds;

// Chip processing time (estimates).
Micros chip_time(const OpParams& p);
// I2C time for one APDU exchange with T=1 framing at `i2c_hz`.
Micros wire_time(size_t capdu_len, size_t rapdu_len, uint32_t i2c_hz);
// Chip time of PlatformSCP03 secure messaging for one wrapped exchange (unwrap the command,
// wrap the answer), estimates by AES block (docs/simulator.md, "Latency model").
Micros scp_time(size_t capdu_len, size_t rapdu_len);
// chip_time + wire_time. `command` is informational (stats key); the op decides.
Micros modelled_time(std::string_view command, size_t capdu_len, size_t rapdu_len, const OpParams& p,
                     uint32_t i2c_hz);

}  // namespace sx::sim
