// The Greengrass configuration fragments for a key label: config.yaml for the
// Java nucleus (PKCS#11 provider plugin) and the OpenSSL settings for nucleus
// lite (pkcs11-provider). Pure text rendering, unit-tested.
#pragma once

#include <cstdint>
#include <string>

namespace sx::cli {

// Built-in default path of our PKCS#11 module: /usr/lib/<multiarch>/pkcs11/libse05x-pkcs11.so.
std::string default_module_path();

struct GgParams {
  std::string label;          // key + certificate label
  std::string token_label;    // for nucleus-lite URIs (omitted when empty)
  std::string module_path;
  std::string provider_name = "se050";  // one word
  int32_t slot = 0;
  std::string pin_placeholder = "<user PIN>";
};

// YAML needs the scalar quoted; this escapes for a double-quoted YAML string.
std::string yaml_quote(const std::string& s);
// PKCS#11 URI path-attribute percent-encoding (RFC 7512 pchar).
std::string uri_escape(const std::string& s);

std::string private_key_uri(const GgParams& p, bool with_token);
std::string certificate_uri(const GgParams& p, bool with_token);
std::string render_nucleus_yaml(const GgParams& p);
std::string render_lite_openssl(const GgParams& p);

}  // namespace sx::cli
