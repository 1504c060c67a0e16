#include "link/linux_i2c.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "link/socket.h"

namespace sx::link {

namespace {
std::string addr_text(uint8_t a) {
  static const char* d = "0123456789abcdef";
  return std::string("0x") + d[a >> 4] + d[a & 0xF];
}
}  // namespace

Result<std::unique_ptr<LinuxI2c>> LinuxI2c::open(const std::string& dev, uint8_t addr, bool force) {
  if (addr > 0x7F) return make_error(Errc::InvalidArgument, "i2c: address " + addr_text(addr) + " is not 7-bit");
  int raw;
  do raw = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
  while (raw < 0 && errno == EINTR);
  if (raw < 0) return make_error(Errc::Io, errno_text("i2c: open " + dev, errno));
  Fd fd(raw);
  unsigned long req = force ? I2C_SLAVE_FORCE : I2C_SLAVE;
  if (::ioctl(fd.get(), req, static_cast<unsigned long>(addr)) < 0) {
    int e = errno;
    if (e == EBUSY)
      return make_error(Errc::Io, "i2c: " + dev + ": address " + addr_text(addr) +
                                      " is claimed by a kernel driver (EBUSY); unbind it first");
    return make_error(Errc::Io, errno_text("i2c: " + dev + ": I2C_SLAVE " + addr_text(addr), e));
  }
  unsigned long funcs = 0;
  if (::ioctl(fd.get(), I2C_FUNCS, &funcs) < 0)
    return make_error(Errc::Io, errno_text("i2c: " + dev + ": I2C_FUNCS", errno));
  if ((funcs & I2C_FUNC_I2C) == 0)
    return make_error(Errc::Unsupported, "i2c: " + dev + ": adapter cannot do plain I2C transactions (no I2C_FUNC_I2C)");
  return std::unique_ptr<LinuxI2c>(new LinuxI2c(std::move(fd), dev, addr));
}

Error LinuxI2c::error_from_errno(const char* op, int err) const {
  std::string what = "i2c: " + dev_ + "@" + addr_text(addr_) + ": " + op;
  if (err == ENXIO || err == EREMOTEIO || err == EAGAIN || err == ETIMEDOUT)
    return make_error(Errc::Nack, errno_text(what, err));
  return make_error(Errc::Io, errno_text(what, err));
}

// errno is still the failed call's: nothing between the call and here sets it.
Status LinuxI2c::check_transfer(const char* op, ssize_t n, size_t want) const {
  if (n < 0) return error_from_errno(op, errno);
  if (static_cast<size_t>(n) != want)
    return make_error(Errc::Io, "i2c: " + dev_ + ": short " + op + " (" + std::to_string(n) + " of " +
                                    std::to_string(want) + " bytes)");
  return {};
}

Status LinuxI2c::write(std::span<const uint8_t> data) {
  ssize_t n;
  do n = ::write(fd_.get(), data.data(), data.size());
  while (n < 0 && errno == EINTR);
  return check_transfer("write", n, data.size());
}

Status LinuxI2c::read(std::span<uint8_t> out) {
  ssize_t n;
  do n = ::read(fd_.get(), out.data(), out.size());
  while (n < 0 && errno == EINTR);
  return check_transfer("read", n, out.size());
}

std::string LinuxI2c::describe() const { return "i2c:" + dev_ + ":" + addr_text(addr_); }

}  // namespace sx::link
