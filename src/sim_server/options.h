// Command line of se05x-sim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sim/fault_plan.h"
#include "sim/simulator.h"
#include "t1/card.h"

namespace sx::simd {

struct Options {
  std::vector<std::string> listen;  // connection strings: jrcp:, unix:, vi2c:
  sim::Config sim;
  t1::CardFaults card_faults;      // T=1 faults on the virtual I2C bus
  uint64_t power_cut_at = 0;       // 0 = never
  bool power_cut_torn = false;
  std::string stats_file;
  std::string ready_file;
  bool verbose = false;
  bool print_factory_ca = false;  // print the factory CA certificate (PEM) and exit
};

// Parses argv; on --help / errors prints to stdout/stderr and returns the exit code to use.
struct ParseOutcome {
  std::optional<Options> options;
  int exit_code = 0;
};
ParseOutcome parse_options(int argc, char** argv);

}  // namespace sx::simd
