// Host-side frame I/O over an I2cBus, the way the NXP middleware's PAL does it (docs/se05x-protocol.md §1.8):
// poll delay before each transaction, three-transaction reads with header polling and
// Linux back-off, NACK retries, and the 260-byte drain read.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "link/i2c_bus.h"
#include "t1/frame.h"
#include "t1/host_config.h"

namespace sx::t1 {

enum class RxStatus : uint8_t {
  Frame,      // a complete, well-formed frame with a good CRC
  Timeout,    // no frame start within the header polls
  BadCrc,     // complete frame, CRC mismatch
  Malformed,  // frame start seen but LEN/body could not be read, or bad structure
};

struct Rx {
  RxStatus status = RxStatus::Timeout;
  Frame frame;
};

class Pal {
 public:
  Pal(link::I2cBus& bus, const HostTiming& timing, const SleepFn& sleep, HostStats& stats)
      : bus_(bus), timing_(timing), sleep_(sleep), stats_(stats) {}

  // One frame in one write transaction; NACKs are retried pal_retries times.
  Status write_frame(ByteView wire);
  Rx read_frame();
  // One 260-byte read whose result is discarded ("clear read buffer").
  void drain();
  void pause(Micros d) const;

  std::string describe() const { return bus_.describe(); }

 private:
  bool read_more(uint8_t* dst, size_t n);

  link::I2cBus& bus_;
  const HostTiming& timing_;
  const SleepFn& sleep_;
  HostStats& stats_;
};

}  // namespace sx::t1
