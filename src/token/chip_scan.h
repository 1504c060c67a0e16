// What one chip object is, read from the chip once (type, curve, public key,
// modulus, certificate/data bytes) and then cached by the token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "se05x/client.h"
#include "crypto/x509_fields.h"
#include "token/index.h"

namespace sx::token {

// Object kinds are se05x::ObjectKind; a binary file holding a certificate is told by `cert`.
using se05x::is_pair;
const char* chip_kind_name(se05x::ObjectKind k, bool certificate);

struct ChipObject {
  uint32_t id = 0;
  uint8_t type_code = 0;  // raw ReadType code
  se05x::ObjectKind kind = se05x::ObjectKind::Other;
  se05x::Curve curve = se05x::Curve::None;
  Bytes public_point;             // EC: 04||X||Y
  Bytes modulus, public_exponent; // RSA
  Bytes value;                    // certificate DER / data bytes
  std::optional<crypto::X509Fields> cert;
  std::string problem;            // what could not be read (policy, malformed reply)
  // Origin PROVISIONED: NXP's factory objects (never deleted by us, issue 16).
  bool provisioned = false;
  // A description from the object index (docs/token-store.md §2.2): public key,
  // modulus, exponent, value and certificate fields not read yet (load_bytes()).
  bool bytes_loaded = true;
  bool certificate = false;  // a binary file holding an X.509 certificate
  uint32_t rsa_bits = 0;     // RSA: modulus bits
  size_t length = 0;         // binary file: its length
};

// The index entry of a described object and the description an entry stands for
// (bytes_loaded false). An object whose description had a problem has no entry.
IndexEntry index_entry_of(const ChipObject& o);
ChipObject chip_object_of(const IndexEntry& e);
// Reads what an index description leaves out (public key, modulus and exponent,
// the file's bytes). Link errors propagate; a refusal is recorded in `problem`.
Status load_object_bytes(se05x::Client& c, ChipObject& o);

// Link-level failures (I/O, timeout, reset, power cut) as opposed to the chip
// refusing or answering something unexpected about one object.
bool is_link_error(const Error& e);

// Link errors propagate; per-object refusals end up in ChipObject::problem.
// One ReadObjectAttributes (type and origin), then what the kind needs.
Result<ChipObject> describe_object(se05x::Client& c, uint32_t id, bool applet7);

}  // namespace sx::token
