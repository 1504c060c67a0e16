// The SE side of T=1oI2C: an in-process I2C slave that answers a t1::Host (or the NXP
// middleware's frames) like an SE050 would, with deterministic fault injection. The
// simulator plugs it in where the real bus would be; APDUs go to an ApduHandler.
//
// Behaviour (docs/se05x-protocol.md §1.12):
// * write() takes one whole frame per transaction. NAD must be 0x5A, LEN <= IFSC; a bad CRC
//   is answered R(NACK CRC), other structural errors R(NACK other).
// * Command chains are collected (each M=1 block answered R(ACK)); on the last block the
//   handler runs and the R-APDU is sent chained at IFSC, one block per host R(ACK).
// * S-requests: RESYNCH / END APDU / CHIP RESET / DEEP POWER DOWN answered with empty INF,
//   GET ATR / INTERFACE RESET with the ATR, IFS echoed. RESYNCH, INTERFACE RESET and
//   CHIP RESET restart both sequence bits.
// * A repeated I-block (already-seen N(S)) is answered with our last I/R(ACK)/S frame again
//   (never executed twice); an R(NACK) makes us resend the last frame we sent; an R(ACK)
//   that does not advance a response chain makes us resend our last I/R(ACK)/S frame.
//   A fresh chip with nothing to resend stays silent (reads NACK).
// * read() serves the pending frame through a cursor, so it can be consumed by reads of
//   any length (2/1/LEN+2 as the NXP MW does, or one big read). With nothing pending every
//   read NACKs (the real chip NACKs its address while busy). A read that starts inside the
//   frame and runs past its end gets the rest of the frame followed by 0xFF padding (what a
//   real SE050 clocks out there is unconfirmed; the NXP MW only does this in its drain read
//   and ignores the result). A read that starts after the end NACKs.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "link/i2c_bus.h"
#include "t1/atr.h"
#include "t1/frame.h"

namespace sx::t1 {

struct CardConfig {
  Bytes atr = default_atr();
  uint8_t ifsc = 254;  // max INF per I-block, both directions (1..254)
  size_t max_capdu = 65536 + 16;
  // Whether S(INTERFACE RESET) also calls on_chip_reset (deselects the applet). What a real
  // SE050 does is unconfirmed; off keeps NXP MW recovery working.
  bool interface_reset_deselects = false;
};

// Deterministic (seeded) fault injection; change at run time with Card::set_faults.
struct CardFaults {
  uint64_t seed = 1;
  double corrupt_tx = 0.0;  // fraction of frames we send with a corrupted CRC
  double corrupt_rx = 0.0;  // fraction of good received frames treated as bad CRC
  uint32_t nack_every = 0;  // every Nth read/write transaction starts a NACK burst...
  uint32_t nack_burst = 0;  // ...of this many NACKed transactions
  uint32_t wtx_count = 0;   // S(WTX) requests sent before each R-APDU
  // Next command chain of >= 2 blocks: after its first block the chip resets (drops chain and
  // sequence state, calls on_chip_reset, NACKs reset_nack_reads reads, then is fresh).
  // Cleared once it fired.
  bool reset_mid_apdu = false;
  uint32_t reset_nack_reads = 3;
};

struct CardStats {
  uint64_t transactions = 0;  // read and write calls
  uint64_t frames_in = 0;     // write transactions that were taken (not NACKed)
  uint64_t frames_out = 0;    // frames queued for the host (including resends)
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;     // bytes actually clocked out by reads
  uint64_t nacks = 0;         // NACKed transactions (busy, nothing pending, injected)
  uint64_t crc_errors = 0;    // received frames with a bad (or injected bad) CRC
  uint64_t apdus = 0;         // handler calls
  uint64_t chip_resets = 0;   // CHIP RESET requests and injected resets
};

class Card : public link::I2cBus {
 public:
  // Returns the R-APDU including SW1 SW2. Exceptions are caught and turned into 6F00.
  using ApduHandler = std::function<Bytes(ByteView capdu)>;
  using ResetHandler = std::function<void()>;

  // Both callbacks run with the card's internal lock held: they must not call back into it.
  explicit Card(ApduHandler handler, ResetHandler on_chip_reset = {}, CardConfig config = {});

  Status write(std::span<const uint8_t> data) override;
  Status read(std::span<uint8_t> out) override;
  std::string describe() const override;

  void set_faults(const CardFaults& f);  // also reseeds the fault generator
  CardFaults faults() const;
  CardStats stats() const;

 private:
  void handle(const Frame& f);
  void on_i(const Frame& f);
  void on_r(const Frame& f);
  void on_s(const Frame& f);
  void emit(const Frame& f, bool remember);
  void resend(const std::optional<Frame>& f);
  void send_next_chunk();
  void send_wtx();
  void fresh_sequence();
  void drop_exchange();
  void chip_reset_locked();
  bool inject_nack();
  bool chance(double p);
  uint64_t next_random();

  mutable std::mutex mu_;
  ApduHandler handler_;
  ResetHandler on_chip_reset_;
  CardConfig config_;
  CardFaults faults_;
  CardStats stats_;
  uint64_t rng_ = 0;
  uint64_t fault_txn_ = 0;
  uint32_t burst_left_ = 0;
  uint32_t reset_nacks_left_ = 0;

  uint8_t expect_host_ns_ = 0;
  uint8_t card_ns_ = 0;  // N(S) of our next I-block
  uint8_t last_i_ns_ = 0;
  Bytes rx_chain_;
  Bytes response_;
  size_t response_off_ = 0;
  bool chaining_out_ = false;
  bool awaiting_wtx_ = false;
  uint32_t wtx_left_ = 0;
  std::optional<Frame> last_sent_;       // any frame, R(NACK)s included
  std::optional<Frame> last_meaningful_;  // last I, R(ACK) or S frame

  Bytes out_;
  size_t out_pos_ = 0;
};

}  // namespace sx::t1
