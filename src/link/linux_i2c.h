// The real chip: one SE050 behind Linux i2c-dev (/dev/i2c-N). One write()
// or read() syscall is one I2C transaction, exactly like NXP's i2c_a7.c.
// No retries or timing here: polling and back-off belong to the T=1 layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <sys/types.h>

#include "link/fd.h"
#include "link/i2c_bus.h"

namespace sx::link {

class LinuxI2c : public I2cBus {
 public:
  // Opens dev O_RDWR, selects the 7-bit slave address with I2C_SLAVE and
  // checks I2C_FUNCS has I2C_FUNC_I2C (plain read/write transactions).
  // Unlike NXP's MW, a failing I2C_SLAVE is fatal (a wrong address would
  // otherwise show up later as an endless stream of NACKs); EBUSY — a kernel
  // driver owns the address — gets its own message. force=true uses
  // I2C_SLAVE_FORCE instead (only for boards where a stub driver is bound).
  static Result<std::unique_ptr<LinuxI2c>> open(const std::string& dev, uint8_t addr, bool force = false);

  // ENXIO/EREMOTEIO/EAGAIN/ETIMEDOUT -> Errc::Nack (the SE NACKs its address
  // while busy); other errors and short transfers -> Errc::Io.
  Status write(std::span<const uint8_t> data) override;
  Status read(std::span<uint8_t> out) override;
  std::string describe() const override;

 private:
  LinuxI2c(Fd fd, std::string dev, uint8_t addr) : fd_(std::move(fd)), dev_(std::move(dev)), addr_(addr) {}
  Error error_from_errno(const char* op, int err) const;
  // Outcome of one read or write: errno failure, short transfer, or success.
  Status check_transfer(const char* op, ssize_t n, size_t want) const;

  Fd fd_;
  std::string dev_;
  uint8_t addr_;
};

}  // namespace sx::link
