// ApduChannel over JRCP v1: to NXP's simulator, our simulator, NXP's
// accessManager or our broker, via TCP or a Unix socket. Behaves like NXP's
// MW client (WAIT_FOR_CARD on open, socket close without CLOSE message).
#pragma once

#include <cstdint>
#include <string>

#include "link/apdu_channel.h"
#include "link/endpoint.h"
#include "link/fd.h"
#include "link/jrcp.h"

namespace sx::link {

struct JrcpClientOptions {
  // Per request/response exchange; < 0 waits forever like NXP's MW. The
  // default is long because a simulated RSA-4096 keygen may take seconds.
  int timeout_ms = 120000;
  int connect_timeout_ms = 10000;
  size_t max_payload = jrcp::kMaxPayload;
};

class JrcpClient : public ApduChannel {
 public:
  // ep must be Kind::JrcpTcp or Kind::JrcpUnix; nothing is connected yet.
  explicit JrcpClient(Endpoint ep, JrcpClientOptions opt = {});
  ~JrcpClient() override = default;

  // Connects, sends WAIT_FOR_CARD (payload 00 00 01 00), returns the ATR
  // (possibly empty). Reopening an open client reconnects.
  Result<Bytes> open() override;
  // APDU_DATA exchange. An empty APDU_DATA reply (the simulator's "no
  // answer", e.g. after a simulated power cut) is Errc::Timeout: the socket
  // is still usable. A vanished peer is Errc::Closed and the client is closed.
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  // Closes the socket (NXP clients never send CLOSE; servers must cope).
  Status close() override;
  Status lock() override;
  Status unlock() override;
  std::string describe() const override;

  bool is_open() const { return fd_.valid(); }
  // One raw request/response: for tools and tests (e.g. TERMINAL_INFO).
  Result<jrcp::Message> exchange(uint8_t type, ByteView payload);

 private:
  Endpoint ep_;
  JrcpClientOptions opt_;
  Fd fd_;
};

}  // namespace sx::link
