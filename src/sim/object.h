// One secure object of the simulated applet, and the chip-wide object store.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>

#include "base/bytes.h"
#include "se05x/constants.h"
#include "se05x/scp03.h"
#include "se05x/types.h"

namespace sx::sim {

// Object kinds are the host stack's (se05x/types.h).
using se05x::ObjectKind;
using se05x::has_private;
using se05x::has_public;
using se05x::is_ec;
using se05x::is_rsa;
using se05x::is_symmetric;

// Authentication objects (docs/se05x-protocol.md §4.9.1). Their ObjectKind is Other: the host
// stack's kind enum has no UserID, and the simulator tells them apart by this field.
// (The NVM file stores these values: append, never reorder.)
enum class AuthKind : uint8_t { None, UserId };

struct SecureObject {
  uint32_t id = 0;
  ObjectKind kind = ObjectKind::Binary;
  se05x::Origin origin = se05x::Origin::External;
  bool transient = false;  // created with INS_TRANSIENT: RAM only, lost on reset
  Bytes policy;            // raw TAG_POLICY value; empty = the default policy
  uint8_t curve = 0;       // EC: se05x::Curve
  bool rsa_crt = false;    // RSA: CRT format (fixed at creation)
  uint16_t rsa_bits = 0;   // RSA: key size
  Bytes ec_priv;           // EC: scalar, curve size
  Bytes ec_pub;            // EC: 04||X||Y (also kept for private-only keys, derived)
  std::map<uint8_t, Bytes> rsa;  // RSA components by WriteRSAKey tag, minimal big-endian
  Bytes data;              // binary file content / symmetric key bytes / UserID value
  AuthKind auth = AuthKind::None;
  uint16_t max_attempts = 0;  // auth objects: 0 = unlimited
  uint16_t attempts = 0;      // auth objects: failed verifications since the last success/update

  bool is_auth() const { return auth != AuthKind::None; }
  bool locked() const { return is_auth() && max_attempts != 0 && attempts >= max_attempts; }

  // RSA objects are imported one component per APDU; usable once all are present.
  bool complete() const;
};

// ReadType code: applet 3.x codes, or the per-curve EC codes of applet 7.2.
uint8_t type_code(const SecureObject& o, bool per_curve_codes);
// ReadSize value.
uint16_t object_size(const SecureObject& o);
// Bytes of user NVM the object occupies (payload + kObjectOverhead + policy).
size_t nvm_cost(const SecureObject& o);
inline constexpr size_t kObjectOverhead = 48;  // [U] per-object header/allocation estimate
// Default access rules (AR header) used when an object has no explicit policy (docs/se05x-protocol.md §4.7).
uint32_t default_rules(ObjectKind k);
// The same for a whole object: an authentication object's default differs (WRITE|DELETE).
uint32_t default_rules(const SecureObject& o);

struct CurveState {
  bool created = false;
  uint8_t params_set = 0;  // se05x::CurveParam bits
};

struct Store {
  std::map<uint32_t, SecureObject> objects;
  // Self-signed certificate (DER) of the CA that issued the factory certificates; not a chip
  // object (NXP publishes its CAs), kept so users can trust the simulated device certificates.
  Bytes factory_ca_cert;
  std::array<CurveState, 0x12> curves{};  // indexed by curve ID 1..0x11
  // PlatformSCP03 (docs/scp03.md): the static key set after a PUT KEY (none: the variant's
  // published factory set, docs/scp03.md §8), and the persistent "platform SCP required" state
  // of SetPlatformSCPRequest (docs/scp03.md §7). Not objects: no NVM accounting.
  std::optional<se05x::scp03::StaticKeys> scp_keys;
  bool scp_required = false;

  size_t used_persistent() const;  // user NVM in use (provisioned objects do not count)
  size_t used_transient() const;
};

}  // namespace sx::sim
