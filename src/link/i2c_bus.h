// One I2C slave seen from the master: each call is one bus transaction
// (START, address, data, STOP). The real chip is reached through i2c-dev
// (link/linux_i2c.h); the simulator's T=1 card side implements the same
// interface, so the host stack cannot tell the two apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"

namespace sx::link {

class I2cBus {
 public:
  virtual ~I2cBus() = default;
  // Writes the whole buffer in one transaction. Errc::Nack when the slave does
  // not acknowledge its address (busy); other errors are Errc::Io.
  virtual Status write(std::span<const uint8_t> data) = 0;
  // Reads exactly out.size() bytes in one transaction. Errc::Nack while the
  // slave has nothing to send (the SE050 NACKs its address while it works).
  virtual Status read(std::span<uint8_t> out) = 0;
  virtual std::string describe() const = 0;
};

}  // namespace sx::link
