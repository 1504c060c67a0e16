#include "sim/stats.h"

#include <nlohmann/json.hpp>

namespace sx::sim {

namespace {

nlohmann::json entry(const CommandStats& s) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  return {{"count", s.count},
          {"capdu_bytes", s.capdu_bytes},
          {"rapdu_bytes", s.rapdu_bytes},
          {"host_us", duration_cast<microseconds>(s.host_time).count()},
          {"modelled_us", duration_cast<microseconds>(s.modelled_time).count()}};
}

}  // namespace

void CommandStats::add(const CommandStats& o) {
  count += o.count;
  capdu_bytes += o.capdu_bytes;
  rapdu_bytes += o.rapdu_bytes;
  host_time += o.host_time;
  modelled_time += o.modelled_time;
}

void Stats::record(const std::string& name, const CommandStats& one) {
  commands[name].add(one);
  total.add(one);
}

std::string Stats::to_json() const {
  nlohmann::json j;
  j["total"] = entry(total);
  j["commands"] = nlohmann::json::object();
  for (const auto& [name, s] : commands) j["commands"][name] = entry(s);
  return j.dump();
}

}  // namespace sx::sim
