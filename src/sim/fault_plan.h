// Power-cut injection: counts NVM writes and cuts power at a chosen one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace sx::sim {

enum class CutMode {
  BeforeWrite,  // nothing of the N-th write is persisted
  TornWrite,    // a WriteBinary chunk persists only a prefix; atomic writes behave like BeforeWrite
  AfterWrite,   // the N-th write is persisted whole, then power dies before the answer leaves
};

class FaultPlan {
 public:
  // Cut power at the n-th NVM write from now (n = 1: the next one). n = 0 disarms.
  void cut_at_write(uint64_t n, CutMode mode, std::optional<size_t> torn_keep = std::nullopt);
  bool armed() const { return armed_; }
  // NVM writes since the simulator was opened.
  uint64_t writes() const { return writes_; }

  // Called by the applet once per persistent mutation; returns the cut mode when this write is cut.
  std::optional<CutMode> on_write();
  // Bytes of a torn chunk of `len` bytes that reach the NVM (default: half, rounded down).
  size_t torn_prefix(size_t len) const;

 private:
  bool armed_ = false;
  uint64_t writes_ = 0;
  uint64_t cut_at_ = 0;
  CutMode mode_ = CutMode::BeforeWrite;
  std::optional<size_t> torn_keep_;
};

}  // namespace sx::sim
