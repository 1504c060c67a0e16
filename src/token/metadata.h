// The metadata the chip cannot hold itself (labels, CKA_IDs, PIN verifiers...)
// and its versioned, bounds-checked binary encoding (the body of a store slot;
// byte layout in docs/token-store.md). Nothing derivable from the chip (public
// keys, certificate bytes) is stored here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "token/types.h"

namespace sx::token {

// Body format version (written in the slot header; see store_format.h).
inline constexpr uint8_t kMetadataVersion = 1;

// Field limits; longer values are rejected on write and are malformed on read.
inline constexpr size_t kMaxLabel = 255;
inline constexpr size_t kMaxCkaId = 255;
inline constexpr size_t kMaxSubject = 1024;
inline constexpr size_t kMaxApplication = 255;
inline constexpr size_t kMaxObjectId = 255;
inline constexpr size_t kMaxTokenLabel = 32;  // CK_TOKEN_INFO.label
inline constexpr size_t kPinSaltLen = 16;
inline constexpr size_t kPinHashLen = 32;

enum class RecordState : uint8_t {
  Committed = 1,
  // Written before the chip object is created: if the operation is cut, the
  // chip object (if any) is a recognisable leftover and is deleted under the lock.
  Pending = 2,
};

namespace objflag {
inline constexpr uint32_t kPrivate = 1u << 0;       // CKA_PRIVATE
inline constexpr uint32_t kModifiable = 1u << 1;    // CKA_MODIFIABLE
inline constexpr uint32_t kAdopted = 1u << 2;       // chip object not created by this module
inline constexpr uint32_t kPublicHidden = 1u << 3;  // public view of a key pair destroyed
inline constexpr uint32_t kLocal = 1u << 4;         // key pair generated on the chip (CKA_LOCAL)
// A private key created with CKA_SIGN / CKA_DECRYPT / CKA_DERIVE = FALSE (the right
// is missing from its chip policy, docs/chip-pin.md §2). Negative bits: records of
// older versions, without them, keep every use.
inline constexpr uint32_t kNoSign = 1u << 5;
inline constexpr uint32_t kNoDecrypt = 1u << 6;
inline constexpr uint32_t kNoDerive = 1u << 7;
// The other usage attributes of a key pair (docs/pkcs11-module.md, "Key usage").
// A record without any of these bits reads as before they existed: private SIGN,
// DECRYPT (RSA) / DERIVE (EC); public VERIFY, ENCRYPT (RSA); everything else FALSE.
// So a bit says "TRUE" where the old default is FALSE and "FALSE" where it is TRUE.
inline constexpr uint32_t kDecrypt = 1u << 8;       // private CKA_DECRYPT TRUE (EC: default FALSE)
inline constexpr uint32_t kDerive = 1u << 9;        // private CKA_DERIVE TRUE (RSA: default FALSE)
inline constexpr uint32_t kUnwrap = 1u << 10;       // private CKA_UNWRAP TRUE
inline constexpr uint32_t kSignRecover = 1u << 11;  // private CKA_SIGN_RECOVER TRUE
inline constexpr uint32_t kPubNoVerify = 1u << 12;  // public CKA_VERIFY FALSE
inline constexpr uint32_t kPubNoEncrypt = 1u << 13; // public CKA_ENCRYPT FALSE (RSA: default TRUE)
inline constexpr uint32_t kPubEncrypt = 1u << 14;   // public CKA_ENCRYPT TRUE (EC: default FALSE)
inline constexpr uint32_t kPubWrap = 1u << 15;      // public CKA_WRAP TRUE
inline constexpr uint32_t kPubVerifyRecover = 1u << 16;  // public CKA_VERIFY_RECOVER TRUE
inline constexpr uint32_t kPubDerive = 1u << 17;    // public CKA_DERIVE TRUE
// CKA_ALWAYS_AUTHENTICATE TRUE: every sign/decrypt needs C_Login(CKU_CONTEXT_SPECIFIC).
inline constexpr uint32_t kAlwaysAuthenticate = 1u << 18;
inline constexpr uint32_t kUsage = kNoSign | kNoDecrypt | kNoDerive | kDecrypt | kDerive | kUnwrap | kSignRecover |
                                   kPubNoVerify | kPubNoEncrypt | kPubEncrypt | kPubWrap | kPubVerifyRecover |
                                   kPubDerive | kAlwaysAuthenticate;
inline constexpr uint32_t kKnown = kPrivate | kModifiable | kAdopted | kPublicHidden | kLocal | kUsage;
}  // namespace objflag

// A field this version does not know, kept verbatim so an older writer does not
// drop what a newer one stored.
struct ExtraField {
  uint8_t tag = 0;
  Bytes value;
  friend bool operator==(const ExtraField&, const ExtraField&) = default;
};

struct ObjectRecord {
  uint32_t chip_id = 0;
  RecordState state = RecordState::Committed;
  ObjectClass cls = ObjectClass::Data;  // the main view: PrivateKey for key pairs
  KeyType key_type = KeyType::None;
  std::string label;                    // CKA_LABEL, UTF-8
  Bytes ckid;                           // CKA_ID
  uint32_t flags = objflag::kModifiable;
  Bytes subject;                        // CKA_SUBJECT of keys (certificates derive theirs)
  std::string application;              // CKA_APPLICATION of data objects
  Bytes object_id;                      // CKA_OBJECT_ID of data objects (DER)
  std::vector<ExtraField> extra;
  friend bool operator==(const ObjectRecord&, const ObjectRecord&) = default;
};

struct PinVerifier {
  uint32_t iterations = 0;  // PBKDF2-HMAC-SHA256; 0 = no PIN set
  Bytes salt;               // kPinSaltLen
  Bytes hash;               // kPinHashLen
  bool set() const { return iterations != 0; }
  friend bool operator==(const PinVerifier&, const PinVerifier&) = default;
};

namespace tokflag {
inline constexpr uint32_t kInitialized = 1u << 0;  // C_InitToken done (SO PIN set)
inline constexpr uint32_t kUserPinSet = 1u << 1;
// The PINs live on the chip as UserID objects (docs/chip-pin.md §1): no verifier
// and no failure counter in this record; the chip checks and counts.
inline constexpr uint32_t kChipPin = 1u << 2;
// Set by the upgrade from host PINs (docs/chip-pin.md §5) in the commit that makes the
// token a chip-PIN token; cleared once the other slot, still holding the host-PIN
// image without a policy, has been recreated with one.
inline constexpr uint32_t kUpgradeSlots = 1u << 3;
inline constexpr uint32_t kKnown = kInitialized | kUserPinSet | kChipPin | kUpgradeSlots;
}  // namespace tokflag

struct TokenRecord {
  std::string label;
  uint32_t flags = 0;
  PinVerifier user_pin, so_pin;
  uint8_t user_failures = 0, so_failures = 0;
  // Allocation high-water mark: chip IDs below it are never handed out again,
  // so a cached object can never be confused with a later one at the same ID.
  uint32_t next_id = 0;
  std::vector<ExtraField> extra;
  friend bool operator==(const TokenRecord&, const TokenRecord&) = default;
};

struct Metadata {
  TokenRecord token;
  std::vector<ObjectRecord> objects;  // unique chip IDs
  std::vector<std::pair<uint8_t, Bytes>> unknown_records;

  ObjectRecord* find(uint32_t chip_id);
  const ObjectRecord* find(uint32_t chip_id) const;
  void erase(uint32_t chip_id);
  friend bool operator==(const Metadata&, const Metadata&) = default;
};

// Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(std::string_view s);

// Errc::InvalidArgument when a record would not survive a round trip
// (limits, UTF-8, duplicate chip IDs, enum values).
Status validate(const Metadata& m);
Result<Bytes> encode_metadata(const Metadata& m);
// Errc::Malformed with a precise message on any inconsistency.
Result<Metadata> decode_metadata(ByteView body);

}  // namespace sx::token
