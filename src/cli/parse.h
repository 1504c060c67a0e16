// Pure parsers of command-line values: X.500 subjects, labels, CKA_IDs, chip
// object IDs and key types. No chip, no I/O: unit-tested on their own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "token/object.h"

namespace sx::cli {

// "CN=dev 1,O=Acme\, Inc." or "/CN=dev1/O=Acme" -> ordered (type, value) pairs.
// Types are short names or dotted OIDs; values may contain escaped separators.
using Rdn = std::pair<std::string, std::string>;
Result<std::vector<Rdn>> parse_subject(std::string_view s);
// DER X.500 Name of a parsed subject (OpenSSL checks the attribute types).
Result<Bytes> subject_der(const std::vector<Rdn>& rdns);

// A PKCS#11 label: 1..255 bytes of valid UTF-8 without control characters, and
// one that Greengrass can name in a pkcs11: URI (no ';', no leading/trailing blank).
Status check_label(std::string_view label);
// A CKA_ID in hex ("0x" prefix, ':' or ' ' separators allowed): 1..255 bytes.
Result<Bytes> parse_ckid(std::string_view hex);
// A chip object ID: "0xF0000100", "F0000100" (hex) -- always hexadecimal.
Result<uint32_t> parse_chip_id(std::string_view s);
// "ec:p256|ec:p384|ec:p521|rsa:2048|rsa:3072|rsa:4096".
Result<token::KeySpec> parse_key_type(std::string_view s);
std::string key_type_name(const token::KeySpec& k);

std::string hex_id(uint32_t chip_id);  // "0xF0000100"

}  // namespace sx::cli
