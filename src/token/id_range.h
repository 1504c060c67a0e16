// The module's chip object-ID range (docs/token-store.md "ID range").
// 0x7B5E0000-0x7B5EFFFF lies in the customer range 0x00000001-0x7BFFFFFF, below
// AKM (0x7C), MW demos (0x7D), applet-reserved (0x7FFF) and NXP/EL2GO (0xF0)
// and away from the MW's TLS demo IDs (0x20181001/2).
#pragma once

#include <cstdint>

namespace sx::token::ids {

inline constexpr uint32_t kRangeFirst = 0x7B5E0000;
inline constexpr uint32_t kRangeLast = 0x7B5EFFFF;
// New key / certificate / data objects.
inline constexpr uint32_t kAllocFirst = 0x7B5E0001;
inline constexpr uint32_t kAllocLast = 0x7B5EFEFF;
// Session keys (docs/pkcs11-module.md "Session objects"): TRANSIENT key pairs of
// C_GenerateKeyPair with CKA_TOKEN = FALSE. Never listed, never adopted, no
// metadata record: the process that made one tracks it and deletes it.
inline constexpr uint32_t kSessionFirst = 0x7B5EFF00;
inline constexpr uint32_t kSessionLast = 0x7B5EFFEF;
// The metadata store: two image slots, the generation pointer (the head: pointer and
// object index) and the tail of an index too long for the head. 0x7B5EFFF4-FFFF reserved.
inline constexpr uint32_t kSlotA = 0x7B5EFFF0;
inline constexpr uint32_t kSlotB = 0x7B5EFFF1;
inline constexpr uint32_t kPointer = 0x7B5EFFF2;
inline constexpr uint32_t kIndexTail = 0x7B5EFFF3;
inline constexpr uint32_t kStoreFirst = 0x7B5EFFF0;
// Chip-PIN tokens: the SO's and the user's UserID objects (docs/chip-pin.md §1),
// in the store range, so listing hides them like the slots.
inline constexpr uint32_t kSoUserId = 0x7B5EFFF8;
inline constexpr uint32_t kUserUserId = 0x7B5EFFF9;

inline constexpr bool in_range(uint32_t id) { return id >= kRangeFirst && id <= kRangeLast; }
inline constexpr bool is_store_object(uint32_t id) { return id >= kStoreFirst && id <= kRangeLast; }
inline constexpr bool is_session_key(uint32_t id) { return id >= kSessionFirst && id <= kSessionLast; }
inline constexpr bool is_applet_reserved(uint32_t id) { return id >= 0x7FFF0000 && id <= 0x7FFFFFFF; }

}  // namespace sx::token::ids
