// Knobs and counters of the T=1oI2C host (t1/host.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace sx::t1 {

using Micros = std::chrono::microseconds;
// Injectable so tests and simulators never really sleep; called only with positive durations.
using SleepFn = std::function<void(Micros)>;

// Timing and retry policy. Defaults are the NXP middleware's constants (docs/se05x-protocol.md §1.11).
struct HostTiming {
  Micros poll_delay{1000};                // before each write and each header-read attempt
  uint32_t max_header_polls = 500;        // header (2-byte) read attempts per frame
  Micros nack_backoff_step{1000};         // Linux i2c-dev: +1 ms per consecutive failed read...
  Micros nack_backoff_max{200000};        // ...capped at 200 ms, reset by a successful read
  uint32_t pal_retries = 8;               // retries of a NACKed write / LEN / body read
  Micros error_recovery_delay{3000};      // before retransmissions, WTX answers, recovery
  Micros wake_up_delay{5000};             // before open()
  uint32_t frame_retry = 10;              // R(NACK) received / repeated I-block → resend
  uint32_t wtx_limit = 500;               // consecutive S(WTX) requests before recovery
  uint32_t rnack_retry = 2;               // R(NACK) we send for bad/missing frames
  uint32_t timeout_retry = 1;             // plain retransmissions after a timeout

  // The real values, for i2c-dev on hardware.
  static HostTiming middleware();
  // No sleeps and a short poll loop, for in-process peers (the simulator's Card) and tests.
  static HostTiming immediate();
};

// How open() obtains the ATR after RESYNCH: GET ATR (NXP MW 04.x) or INTERFACE RESET
// (other hosts, e.g. Nitrokey's driver). Both are answered with the ATR.
enum class OpenMode : uint8_t { GetAtr, InterfaceReset };

struct HostStats {
  uint64_t frames_tx = 0;
  uint64_t frames_rx = 0;  // complete frames with a good CRC
  uint64_t bytes_tx = 0;
  uint64_t bytes_rx = 0;
  uint64_t retransmissions = 0;  // frames we sent again because the SE asked or did not answer
  uint64_t rnacks_sent = 0;      // R(NACK) we sent for bad or missing frames
  uint64_t crc_errors = 0;
  uint64_t malformed = 0;        // wrong NAD, bad LEN, truncated, unexpected PCB / sequence
  uint64_t timeouts = 0;         // header polls exhausted
  uint64_t bus_nacks = 0;        // I2C transactions the slave NACKed
  uint64_t wtx_seen = 0;
  uint64_t resets = 0;           // interface resets and chip resets we sent
};

}  // namespace sx::t1
