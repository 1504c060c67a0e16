// The factory ("trust-provisioned") image of a fresh simulated chip.
#pragma once

#include "base/result.h"
#include "sim/object.h"
#include "sim/variant.h"

namespace sx::sim {

// EC P-256 pair 0xF0000100 + certificate 0xF0000101; RSA-2048 pair 0xF0000110 + certificate
// 0xF0000111 (variants with RSA only); 18-byte unique ID 0x7FFF0206. All PROVISIONED, read-only.
// Certificates are issued by a per-device generated "Simulated NXP SE05x CA" (EC P-256).
// No EC curve objects are created.
Result<Store> make_factory_image(const Variant& v);

}  // namespace sx::sim
