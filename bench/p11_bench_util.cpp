#include "p11_bench_util.h"

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace sx::bench {

std::string rv_text(const char* fn, CK_RV rv) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s: CK_RV 0x%08lX", fn, static_cast<unsigned long>(rv));
  return buf;
}

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, size_t n) {
  CK_ATTRIBUTE a;
  a.type = t;
  a.pValue = const_cast<void*>(p);
  a.ulValueLen = static_cast<CK_ULONG>(n);
  return a;
}

void SimStats::add_since(const SimStats& before, SimStats& sum) const {
  sum.ok = sum.ok && ok && before.ok;
  sum.count += count - before.count;
  sum.to_chip += to_chip - before.to_chip;
  sum.from_chip += from_chip - before.from_chip;
  sum.modelled_us += modelled_us - before.modelled_us;
  for (const auto& [name, n] : commands) sum.commands[name] += n - before.command(name);
}

SimStats SimStats::since(const SimStats& before) const {
  SimStats d;
  d.ok = true;
  add_since(before, d);
  return d;
}

SimStats read_sim_stats(link::JrcpClient& jrcp) {
  SimStats t;
  const uint8_t req[] = {0xFF, 0x53, 0x00, 0x00};
  auto r = jrcp.transceive(req);
  if (!r.ok() || r->size() < 2 || (*r)[r->size() - 2] != 0x90 || (*r)[r->size() - 1] != 0x00) return t;
  auto j = nlohmann::json::parse(r->begin(), r->end() - 2, nullptr, false);
  if (j.is_discarded() || !j.contains("total") || !j["total"].is_object()) return t;
  const auto& tot = j["total"];
  t.count = tot.value("count", 0.0);
  t.to_chip = tot.value("capdu_bytes", 0.0);
  t.from_chip = tot.value("rapdu_bytes", 0.0);
  t.modelled_us = tot.value("modelled_us", 0.0);
  if (j.contains("commands") && j["commands"].is_object())
    for (const auto& [name, c] : j["commands"].items())
      if (c.is_object()) t.commands[name] = c.value("count", 0.0);
  t.ok = true;
  return t;
}

std::string command_label(const SimStats& a, const SimStats& b, double iterations) {
  std::string out;
  for (const auto& [name, n] : b.commands) {
    const double d = (n - a.command(name)) / iterations;
    if (d <= 0) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "×%.3g", d);
    if (!out.empty()) out += ' ';
    out += name + buf;
  }
  return out.empty() ? "no APDU" : out;
}

}  // namespace sx::bench
