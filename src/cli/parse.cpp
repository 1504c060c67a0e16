#include "cli/parse.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstdio>

#include "crypto/ossl.h"
#include "token/metadata.h"

namespace sx::cli {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

Error bad(std::string msg) { return make_error(Errc::InvalidArgument, std::move(msg)); }

// Valid UTF-8 (token::valid_utf8: no overlongs, no surrogates) without control characters.
bool clean_utf8(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<uint8_t>(ch);
    if (c < 0x20 || c == 0x7F) return false;
  }
  return token::valid_utf8(s);
}

}  // namespace

Result<std::vector<Rdn>> parse_subject(std::string_view s) {
  std::vector<std::string> parts;
  const bool slash = !s.empty() && s.front() == '/';
  const char sep = slash ? '/' : ',';
  std::string cur;
  bool esc = false;
  for (size_t i = slash ? 1 : 0; i < s.size(); ++i) {
    const char c = s[i];
    if (esc) { cur += c; esc = false; continue; }
    if (c == '\\') { esc = true; continue; }
    if (c == sep) { parts.push_back(cur); cur.clear(); continue; }
    cur += c;
  }
  if (esc) return bad("subject ends with a lone backslash");
  parts.push_back(cur);
  std::vector<Rdn> out;
  for (const auto& p : parts) {
    const auto eq = p.find('=');
    if (eq == std::string::npos) return bad("subject part '" + trim(p) + "' has no '=' (expected e.g. CN=name)");
    Rdn r{trim(std::string_view(p).substr(0, eq)), trim(std::string_view(p).substr(eq + 1))};
    if (r.first.empty()) return bad("subject part '" + trim(p) + "' has no attribute type");
    if (r.second.empty()) return bad("subject attribute " + r.first + " has an empty value");
    if (!clean_utf8(r.second)) return bad("subject attribute " + r.first + " is not clean UTF-8");
    out.push_back(std::move(r));
  }
  if (out.empty()) return bad("empty subject");
  return out;
}

Result<Bytes> subject_der(const std::vector<Rdn>& rdns) {
  ossl::X509NamePtr name(X509_NAME_new());
  if (!name) return ossl::crypto_error("X509_NAME_new");
  for (const auto& [type, value] : rdns) {
    if (OBJ_txt2nid(type.c_str()) == NID_undef)
      return bad("unknown subject attribute type '" + type + "' (use CN, O, OU, C, L, ST, ... or an OID)");
    if (X509_NAME_add_entry_by_txt(name.get(), type.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
      ERR_clear_error();
      return bad("subject attribute " + type + "='" + value + "' is not acceptable (e.g. C must be 2 letters)");
    }
  }
  Bytes out = ossl::der_of(name.get(), i2d_X509_NAME);
  if (out.empty()) return ossl::crypto_error("i2d_X509_NAME");
  return out;
}

Status check_label(std::string_view label) {
  if (label.empty()) return bad("label must not be empty");
  if (label.size() > 255) return bad("label longer than 255 bytes");
  if (!clean_utf8(label)) return bad("label must be UTF-8 text without control characters");
  // Greengrass's Java PKCS#11 provider splits the decoded URI on ';' and trims
  // each value: such a label can be stored but never found by the nucleus.
  if (label.find(';') != std::string_view::npos)
    return bad("label must not contain ';' (Greengrass's PKCS#11 provider splits its URIs there)");
  if (label.front() == ' ' || label.back() == ' ')
    return bad("label must not begin or end with a blank (Greengrass's PKCS#11 provider trims them)");
  return {};
}

Result<Bytes> parse_ckid(std::string_view hex) {
  std::string digits;
  std::string_view h = hex;
  if (h.size() >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
  for (char c : h) {
    if (c == ':' || c == ' ') continue;
    digits += c;
  }
  if (digits.empty()) return bad("ID '" + std::string(hex) + "' is empty (give hex bytes, e.g. 01 or BEEFCAFE)");
  if (digits.size() % 2 != 0) return bad("ID '" + std::string(hex) + "' has an odd number of hex digits");
  auto b = from_hex(digits);
  if (!b) return bad("ID '" + std::string(hex) + "' is not hexadecimal");
  if (b->size() > 255) return bad("ID longer than 255 bytes");
  return *b;
}

Result<uint32_t> parse_chip_id(std::string_view s) {
  std::string_view h = s;
  if (h.size() >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) h.remove_prefix(2);
  if (h.empty() || h.size() > 8) return bad("chip object ID '" + std::string(s) + "' must be 1-8 hex digits, e.g. 0xF0000100");
  uint32_t v = 0;
  for (char c : h) {
    uint32_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
    else return bad("chip object ID '" + std::string(s) + "' is not hexadecimal");
    v = (v << 4) | d;
  }
  if (v == 0) return bad("chip object ID 0 does not exist");
  return v;
}

Result<token::KeySpec> parse_key_type(std::string_view s) {
  token::KeySpec k;
  if (s == "ec:p256") { k.type = token::KeyType::Ec; k.curve = se05x::Curve::NistP256; }
  else if (s == "ec:p384") { k.type = token::KeyType::Ec; k.curve = se05x::Curve::NistP384; }
  else if (s == "ec:p521") { k.type = token::KeyType::Ec; k.curve = se05x::Curve::NistP521; }
  else if (s == "rsa:1024" || s == "rsa:1152" || s == "rsa:2048" || s == "rsa:3072" || s == "rsa:4096") {
    // 1024 and 1152 for legacy clients only; `se05x doctor` warns about them.
    k.type = token::KeyType::Rsa;
    k.curve = se05x::Curve::None;
    k.rsa_bits = s == "rsa:1024" ? 1024 : s == "rsa:1152" ? 1152 : s == "rsa:2048" ? 2048 : s == "rsa:3072" ? 3072 : 4096;
  } else {
    return bad("unknown key type '" + std::string(s) +
               "' (ec:p256, ec:p384, ec:p521, rsa:2048, rsa:3072, rsa:4096; legacy: rsa:1024, rsa:1152)");
  }
  return k;
}

std::string key_type_name(const token::KeySpec& k) {
  if (k.type == token::KeyType::Rsa) return "rsa:" + std::to_string(k.rsa_bits);
  switch (k.curve) {
    case se05x::Curve::NistP256: return "ec:p256";
    case se05x::Curve::NistP384: return "ec:p384";
    case se05x::Curve::NistP521: return "ec:p521";
    default: return "ec";
  }
}

std::string hex_id(uint32_t chip_id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", chip_id);
  return buf;
}

}  // namespace sx::cli
