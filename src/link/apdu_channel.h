// An APDU-level connection to an SE05x: T=1 over I2C (t1/host.h) or JRCP v1
// over a socket (link/jrcp_client.h). The typed client (se05x/client.h) talks
// only to this interface.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace sx::link {

class ApduChannel {
 public:
  virtual ~ApduChannel() = default;

  // Brings the link up (T=1: resync + ATR; JRCP: WAIT_FOR_CARD) and returns
  // the ATR the peer reported (may be empty over JRCP).
  virtual Result<Bytes> open() = 0;

  // Sends one C-APDU and returns the whole R-APDU including SW1 SW2.
  // Errc::LinkReset means the chip was reset during the exchange; the applet
  // is then deselected and Error::retry_safe tells whether the command can
  // have run (false) or certainly did not (true).
  virtual Result<Bytes> transceive(std::span<const uint8_t> capdu) = 0;

  // Ends the APDU session (T=1: S(END APDU SESSION); JRCP: closes the socket).
  virtual Status close() = 0;

  // Holds the chip for a multi-APDU sequence when a broker sits in between
  // (JRCP LOCK/UNLOCK). A no-op on direct links.
  virtual Status lock() { return {}; }
  virtual Status unlock() { return {}; }

  virtual std::string describe() const = 0;
};

}  // namespace sx::link
