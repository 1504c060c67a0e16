// Capability table of the simulated SE05x variants (the only place variant facts live).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sx::sim {

struct Variant {
  std::string_view name;            // "SE050C"
  std::array<uint8_t, 3> version;   // applet major minor patch
  uint16_t applet_config;           // AppletConfig bits [U]
  std::array<uint8_t, 2> securebox; // SecureBox version [U]
  bool rsa;                         // RSA commands available
  bool applet7;                     // applet >= 7.2: per-curve type codes, attributes in TAG_3 + version,
                                    // Weierstrass curves built in (no CreateECCurve needed)
  size_t max_apdu;                  // largest C-APDU / R-APDU
  size_t user_nvm;                  // user NVM in bytes [U]
  size_t transient_ram;             // transient object RAM in bytes [U]
  uint16_t oef_id;                  // OEF ID of GET DATA DF28 = the factory PlatformSCP03 key set
                                    // (docs/scp03.md §8; which part of a family: docs/simulator.md)

  // Objects per ReadIDList page: as many 4-byte IDs as fit one response.
  size_t idlist_page() const { return (max_apdu - 16) / 4; }
};

// Case-insensitive; accepts "SE050C", "se050c", "SE050:C". nullptr when unknown.
const Variant* find_variant(std::string_view name);

}  // namespace sx::sim
