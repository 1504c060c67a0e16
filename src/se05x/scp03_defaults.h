// The published default PlatformSCP03 key sets of the SE05x variants, by
// OEF ID (docs/scp03.md §8). They are public: a product must rotate them.
// The host uses them only when asked to (`scp03 = default-keys`); the
// simulator starts each variant with its own.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "se05x/scp03.h"

namespace sx::se05x::scp03 {

struct DefaultKeySet {
  uint16_t oef_id;           // the two OEF ID bytes of GET DATA DF28 (e.g. 0xA200)
  std::string_view variant;  // e.g. "SE050C1"
  StaticKeys keys() const;
  std::array<uint8_t, 16> enc, mac, dek;
};

std::span<const DefaultKeySet> default_key_sets();
const DefaultKeySet* default_keys_for_oef(uint16_t oef_id);

// GET DATA for the card's configuration (tag DF28), sent plain after
// selecting the issuer security domain (empty AID): 80 CA 00 FE 02 DF 28 00.
Bytes get_data_config();
// The OEF ID from that response (whole R-APDU). Errc::Malformed if absent.
Result<uint16_t> parse_oef_id(ByteView rapdu);
// Card side: the response data for a given OEF ID (the fields the host reads
// plus fixed filler for the others, docs/scp03.md §8).
Bytes encode_config_data(uint16_t oef_id);

}  // namespace sx::se05x::scp03
