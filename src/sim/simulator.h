// Software SE05x (SE050) — the card side at the APDU level: C-APDU bytes in, R-APDU bytes out.
// Transports (T=1 over a virtual I2C bus, JRCP) sit on top of process().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "sim/fault_plan.h"
#include "sim/session.h"
#include "sim/stats.h"
#include "sim/variant.h"

namespace sx::sim {

class Applet;
class SecurityDomain;
struct Store;

struct Config {
  std::string nvm_path;           // empty = RAM only (fresh factory image on every open)
  std::string variant = "SE050C"; // see variant.h: SE050A/B/C/E, SE051H
  bool latency_model = false;     // sleep so each APDU takes at least the modelled time
  uint32_t i2c_hz = 400'000;      // I2C clock for the modelled wire time
  bool fsync = true;              // fsync NVM writes (tests may turn it off for speed)
  // Card challenge of each PlatformSCP03 INITIALIZE UPDATE (8 bytes); empty = random. Tests
  // inject one to reproduce docs/scp03.md's worked example.
  std::function<Bytes()> card_challenge{};
  AuthOptions auth;               // [U] choices for UserID behaviour (docs/simulator.md)
};

// Proprietary statistics request (never sent to the applet, never counted):
// FF 53 00 00 -> stats JSON + 9000; FF 53 01 00 -> reset counters + 9000.
inline constexpr uint8_t kStatsCla = 0xFF;
inline constexpr uint8_t kStatsIns = 0x53;

class Simulator {
 public:
  // Loads the NVM file (creating it with a factory image when missing). A corrupt, unknown
  // or other-variant file is an error, never silently replaced.
  static Result<std::unique_ptr<Simulator>> open(const Config& cfg);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // One APDU. Thread-safe; never throws. Empty result = no answer (chip unpowered).
  Bytes process(ByteView capdu);
  // Chip reset (power-on reset / interface reset): deselects the applet, drops transient state.
  void chip_reset();
  // The 35-byte T=1oI2C ATR of docs/se05x-protocol.md §1.10.
  Bytes atr() const;
  // DER certificate of the simulated NXP CA that issued the factory certificates
  // (empty for NVM images made before it was kept).
  Bytes factory_ca_certificate() const;

  // Commands that came in the session wrapper count under their own name; the wrapper
  // itself is counted (count only) under "ProcessSessionCmd". Likewise a command that came
  // through the PlatformSCP03 channel counts under its own name with its wrapped (wire) sizes,
  // and once more (count only) under "PlatformSCP".
  Stats stats() const;
  void reset_stats();
  // Power-cut injection; configure it while no APDU is in flight.
  FaultPlan& faults() { return faults_; }
  // False after an injected power cut until power_on() or a re-open.
  bool powered() const;
  // Power back: reloads the NVM file (RAM-only: keeps what had been "persisted").
  Status power_on();

  const Variant& variant() const { return variant_; }
  const Config& config() const { return cfg_; }

 private:
  Simulator(const Config& cfg, const Variant& v);
  Status load();
  Status persist(const Store& s);
  Bytes stats_request(ByteView capdu);

  Config cfg_;
  const Variant& variant_;
  mutable std::mutex mu_;
  FaultPlan faults_;
  std::unique_ptr<Applet> applet_;
  std::unique_ptr<SecurityDomain> sd_;  // the card manager in front of the applet (SELECT routing, PlatformSCP03)
  Stats stats_;
  bool powered_ = false;
};

}  // namespace sx::sim
