#include "sim/variant.h"

#include <cctype>
#include <string>

namespace sx::sim {

namespace {

// All figures not taken from docs/se05x-protocol.md are [U] (see docs/simulator.md).
// OEF IDs (docs/scp03.md §8): SE050A/B/C are their "1" parts (SE050A1 A204, SE050B1 A202,
// SE050C1 A200); the SE051H has no published set of its own: it gets the SE051C one (A8FA, the
// full-featured SE051 of the applet 7.x generation) [U].
const Variant kVariants[] = {
    {"SE050A", {3, 1, 0}, 0x3FFF, {0x01, 0x0B}, true, false, 892, 50 * 1024, 4096, 0xA204},
    {"SE050B", {3, 1, 0}, 0x3FFF, {0x01, 0x0B}, true, false, 892, 50 * 1024, 4096, 0xA202},
    {"SE050C", {3, 1, 0}, 0x3FFF, {0x01, 0x0B}, true, false, 892, 50 * 1024, 4096, 0xA200},
    {"SE050E", {7, 2, 0}, 0x3F9F, {0x01, 0x0B}, false, true, 1024, 46 * 1024, 4096, 0xA921},
    {"SE051H", {7, 2, 0}, 0x3FFF, {0x01, 0x0B}, true, true, 1024, 46 * 1024, 4096, 0xA8FA},
};

std::string canon(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ':' && c != '-' && c != '_') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const Variant* find_variant(std::string_view name) {
  const std::string want = canon(name);
  for (const auto& v : kVariants)
    if (canon(v.name) == want) return &v;
  return nullptr;
}

}  // namespace sx::sim
