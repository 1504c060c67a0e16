// What the PKCS#11 benchmarks share (pkcs11_bench, cold_open_bench): the call-checking macro,
// the attribute builder and the simulator's statistics (FF 53 00 00) as a snapshot that two
// readings can be subtracted from. One copy, so both benches count the same way.
#pragma once

#include <p11-kit/pkcs11.h>

#include <cstddef>
#include <map>
#include <string>

#include "link/jrcp_client.h"

namespace sx::bench {

// "<call>: CK_RV 0x…", the error text of a failed PKCS#11 call.
std::string rv_text(const char* fn, CK_RV rv);

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, size_t n);

// The simulator's counters at one moment (docs/simulator.md "Statistics request").
struct SimStats {
  double count = 0, to_chip = 0, from_chip = 0, modelled_us = 0;
  std::map<std::string, double> commands;  // name -> count
  bool ok = false;

  double command(const std::string& name) const {
    auto it = commands.find(name);
    return it == commands.end() ? 0.0 : it->second;
  }
  // What happened between `before` and this snapshot, added to `sum` (ok stays only if both were).
  void add_since(const SimStats& before, SimStats& sum) const;
  // This snapshot minus `before` (ok only if both were).
  SimStats since(const SimStats& before) const;
};

// One FF 53 00 00 on a connection of the caller's own (the request itself is not counted);
// ok = false when the answer is missing or not the statistics JSON.
SimStats read_sim_stats(link::JrcpClient& jrcp);

// "ECDSASign×1 ReadObject×2" from the per-command count differences per iteration.
std::string command_label(const SimStats& a, const SimStats& b, double iterations = 1.0);

}  // namespace sx::bench

// Evaluates a PKCS#11 call; on anything but CKR_OK returns "<call>: CK_RV 0x…" from the caller
// (a function returning std::string, empty meaning success).
#define P11(call)                                                  \
  do {                                                             \
    const CK_RV rv_ = (call);                                      \
    if (rv_ != CKR_OK) return ::sx::bench::rv_text(#call, rv_);    \
  } while (0)
