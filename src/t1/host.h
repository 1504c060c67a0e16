// T=1 over I2C host (NXP UM11225 flavour) as an APDU channel: the protocol rules of
// docs/se05x-protocol.md §1.5-§1.9 (Host) and the frame I/O on the bus beneath them
// (Pal, §1.8), over any link::I2cBus (i2c-dev or the simulator's t1::Card).
//
// Link resets. When the retry rules are exhausted (too many CRC errors, NACKs, timeouts,
// wrong sequence numbers, WTX requests) the host recovers with S(INTERFACE RESET), which
// resets both sides' sequence numbers. The same happens when the SE answers with an ATR
// nobody asked for (it was reset). In both cases transceive() returns
//   Error{Errc::LinkReset, ..., retry_safe}
// retry_safe == true  → the last block of the C-APDU chain was never written to the bus, so
//                       the SE cannot have executed the command;
// retry_safe == false → the SE may or may not have executed it.
// Either way the applet must be assumed deselected: the layer above re-SELECTs it and then
// resends the command (only if retry_safe, or if the command is idempotent).
// If the interface reset itself fails, transceive() returns the underlying error
// (Errc::Timeout / Protocol / Io) and the next transceive() first retries the recovery
// (answering Errc::LinkReset with retry_safe == true when that succeeds).
//
// Not thread-safe: one caller at a time (the layer above serialises APDUs).
//
// Known limit of T=1 itself: a chip reset after the SE acknowledged some but not all blocks
// of a chain is only detected if the sequence numbers disagree.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "link/apdu_channel.h"
#include "link/i2c_bus.h"
#include "t1/atr.h"
#include "t1/frame.h"
#include "t1/host_config.h"

namespace sx::t1 {

// Host-side frame I/O over an I2cBus, the way the NXP middleware's PAL does it (docs/se05x-protocol.md §1.8):
// poll delay before each transaction, three-transaction reads with header polling and
// Linux back-off, NACK retries, and the 260-byte drain read.
// Used by Host only.
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

// ---- The protocol engine ----

class Host : public link::ApduChannel {
 public:
  // The bus must outlive the Host. An empty sleep function means std::this_thread::sleep_for.
  explicit Host(link::I2cBus& bus, HostTiming timing = HostTiming::middleware(), SleepFn sleep = {});
  // The same on a bus the Host owns: the link a program opens (se05x/connect.cpp) is
  // the Host itself, one file less on every APDU's path (docs/architecture.md).
  explicit Host(std::unique_ptr<link::I2cBus> bus, HostTiming timing = HostTiming::middleware(), SleepFn sleep = {});
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Wake-up delay, drain read (260 bytes, NACK ignored), RESYNCH, then GET ATR or
  // INTERFACE RESET (see set_open_mode). Returns the ATR bytes.
  Result<Bytes> open() override;
  // One C-APDU of any length (chained at IFSC); returns the whole R-APDU with SW.
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  // S(END APDU SESSION). The host counts as closed afterwards even if the SE did not answer.
  Status close() override;
  std::string describe() const override;

  // S(INTERFACE RESET): resets sequence numbers on both sides; returns the ATR.
  Result<Bytes> interface_reset();
  // S(CHIP RESET, 0xC6): the SE reboots (applet deselected); sequence numbers restart.
  Status chip_reset();

  void set_open_mode(OpenMode m) { open_mode_ = m; }
  bool is_open() const { return open_; }
  const Bytes& atr() const { return atr_; }
  const std::optional<Atr>& parsed_atr() const { return parsed_atr_; }
  // INF bytes per I-block we send: the ATR's IFSC when it is 1..254, else 254.
  size_t ifsc() const { return ifsc_; }
  const HostStats& stats() const { return stats_; }
  const HostTiming& timing() const { return timing_; }

 private:
  enum class Want : uint8_t { RAck, IBlock, SResponse };
  struct Budget {
    uint32_t retrans = 0;
    uint32_t rnacks = 0;
    uint32_t timeouts = 0;
    uint32_t wtx = 0;
  };
  // One exchange() in progress: the frame sent, what answers it, what an R(NACK) resends.
  struct Pending {
    const Frame& out;
    Want want;
    SCode s_code;
    Frame anchor;
    Budget b;
  };
  // A step of exchange(): a frame or error ends it, nullopt reads on.
  using Step = std::optional<Result<Frame>>;

  Result<Bytes> run_apdu(ByteView capdu);
  Result<Frame> exchange(const Frame& out, Want want, SCode s_code = SCode::Resynch);
  Result<Frame> s_exchange(SCode code);
  Status send(const Frame& f);
  Status send_anchor(const Frame& f);
  Status send_rnack(RError err);
  Status bad_frame(Pending& p, RError e, const char* what);
  Step on_rx_failure(Pending& p, RxStatus status);
  Step on_block(Pending& p, const Frame& f);
  Step on_r_block(Pending& p, const Frame& f);
  Step on_s_block(Pending& p, const Frame& f);
  Result<Bytes> recover();
  void reset_sequence();
  void set_atr(ByteView atr);

  std::unique_ptr<link::I2cBus> owned_bus_;  // null when the caller owns the bus
  HostTiming timing_;
  SleepFn sleep_;
  HostStats stats_;
  Pal pal_;
  OpenMode open_mode_ = OpenMode::GetAtr;

  bool open_ = false;
  bool needs_recovery_ = false;
  uint8_t next_ns_ = 0;         // N(S) of the next I-block we send
  uint8_t expect_card_ns_ = 0;  // N(S) the next SE I-block must carry
  bool in_apdu_ = false;
  bool last_block_written_ = false;
  Bytes atr_;
  std::optional<Atr> parsed_atr_;
  size_t ifsc_ = kMaxInfFromHost;
};

}  // namespace sx::t1
