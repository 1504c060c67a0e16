// Opens the I2C bus an endpoint names: i2c-dev for "i2c:", the virtual bus
// for "vi2c:". JRCP endpoints carry APDUs, not I2C, and are rejected.
#pragma once

#include <memory>

#include "link/endpoint.h"
#include "link/i2c_bus.h"

namespace sx::link {

Result<std::unique_ptr<I2cBus>> open_i2c_bus(const Endpoint& ep);

}  // namespace sx::link
