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
};

// Link-level failures (I/O, timeout, reset, power cut) as opposed to the chip
// refusing or answering something unexpected about one object.
bool is_link_error(const Error& e);

// Link errors propagate; per-object refusals end up in ChipObject::problem.
Result<ChipObject> describe_object(se05x::Client& c, uint32_t id, bool applet7);

}  // namespace sx::token
