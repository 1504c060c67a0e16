// The client holds the chip for its multi-APDU sequences with the device
// stack's one lock type (device/chip_lock.h).
#pragma once

#include "device/chip_lock.h"

namespace sx::se05x {

using ChannelLock = device::ChipLock;

}  // namespace sx::se05x
