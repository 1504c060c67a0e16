#include "link/open_bus.h"

#include "link/linux_i2c.h"
#include "link/vi2c.h"

namespace sx::link {

Result<std::unique_ptr<I2cBus>> open_i2c_bus(const Endpoint& ep) {
  if (ep.kind == Endpoint::Kind::I2c) {
    SX_ASSIGN(auto bus, LinuxI2c::open(ep.path, ep.i2c_addr));
    return std::unique_ptr<I2cBus>(std::move(bus));
  }
  if (ep.kind == Endpoint::Kind::Vi2c) {
    SX_ASSIGN(auto bus, Vi2cClient::connect(ep.path, ep.i2c_addr));
    return std::unique_ptr<I2cBus>(std::move(bus));
  }
  return make_error(Errc::InvalidArgument, to_string(ep) + " is a JRCP endpoint, not an I2C bus");
}

}  // namespace sx::link
