// Reading certificates and private keys from files: PEM, DER, PKCS#8
// (encrypted too) and PKCS#12. Private-key bytes only pass through memory
// that is wiped; nothing is ever written back to disk.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "crypto/ossl.h"
#include "base/result.h"
#include "token/key_material.h"

namespace sx::cli {

enum class FileFormat { Pem, Der, Pkcs12, Unknown };
// From the bytes only (names lie): PEM armour, a PKCS#12 PFX, other DER, or unknown.
FileFormat detect_format(ByteView data);

// Whole file (at most 1 MiB); Errc::Io with the path and reason.
Result<Bytes> read_file(const std::string& path);
// Writes atomically enough for exports (create/truncate, mode 0644).
Status write_file(const std::string& path, ByteView data);

// One X.509 certificate (PEM: the first CERTIFICATE block) as DER.
Result<Bytes> load_certificate(ByteView data);
Result<ossl::X509Ptr> x509_from_der(ByteView der);
std::string pem_certificate(ByteView der);

// Called at most once, only when the file turns out to be encrypted.
using PasswordFn = std::function<Result<std::string>()>;

struct LoadedKey {
  ossl::Pkey pkey;                     // for matching against certificates, freed with this struct
  token::PrivateKeyMaterial material;  // what goes into the chip
  std::optional<Bytes> cert_der;       // PKCS#12: the certificate of the key, if present
};
// Errc::Malformed: not a key / corrupt; Errc::Crypto: wrong password;
// Errc::InvalidArgument: a key the SE05x cannot hold.
Result<LoadedKey> load_private_key(ByteView data, const PasswordFn& password);

}  // namespace sx::cli
