// Per-command counters of the simulator, as a struct and as JSON.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace sx::sim {

struct CommandStats {
  uint64_t count = 0;
  uint64_t capdu_bytes = 0;
  uint64_t rapdu_bytes = 0;
  std::chrono::nanoseconds host_time{0};      // measured (steady_clock)
  std::chrono::nanoseconds modelled_time{0};  // latency model (chip + I2C)

  void add(const CommandStats& o);
};

struct Stats {
  std::map<std::string, CommandStats> commands;  // by command name ("ECDSASign", ...)
  CommandStats total;

  void record(const std::string& name, const CommandStats& one);
  // {"total": {...}, "commands": {"Name": {"count":..,"capdu_bytes":..,"rapdu_bytes":..,
  //  "host_us":..,"modelled_us":..}}}
  std::string to_json() const;
};

}  // namespace sx::sim
