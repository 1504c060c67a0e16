// The Greengrass configuration files for a key label, as `greengrass-config`
// writes them: config.yaml for the Java nucleus (PKCS#11 provider plugin), or
// for nucleus lite its config.yaml, an OpenSSL 3 configuration that loads
// pkcs11-provider with our module, the PIN file it names and systemd drop-ins
// that hand OPENSSL_CONF to the lite services. Pure text rendering, unit-tested
// (the YAML is parsed back by a YAML library in the tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sx::cli {

// Built-in default path of our PKCS#11 module: /usr/lib/<multiarch>/pkcs11/libse05x-pkcs11.so.
std::string default_module_path();
// OpenSSL's pkcs11-provider on this machine: <OpenSSL MODULESDIR>/pkcs11.so.
std::string default_provider_module_path();

enum class Nucleus { Java, Lite };

// What the nucleus's own configuration needs beyond the key (all optional;
// written only when given).
struct GgCloud {
  std::string thing_name, region, role_alias, data_endpoint, cred_endpoint, root_ca, root_path;
  bool any_nucleus_setting() const {
    return !region.empty() || !role_alias.empty() || !data_endpoint.empty() || !cred_endpoint.empty();
  }
};

struct GgParams {
  Nucleus nucleus = Nucleus::Java;
  std::string label;          // key + certificate label
  std::string token_label;    // nucleus-lite URIs name the token
  std::string module_path;    // our PKCS#11 module, absolute
  std::string provider_module_path;  // lite: OpenSSL's pkcs11-provider
  std::string provider_name = "se050";  // Java: one word
  int32_t slot = 0;
  // The user PIN; nullopt renders an empty placeholder, which the module
  // refuses (CKR_PIN_LEN_RANGE) without counting a failed try.
  std::optional<std::string> pin;
  std::string output_dir;     // absolute; the lite files name each other by it
  GgCloud cloud;
};

// One generated file: its path relative to the output directory and its mode.
struct GgFile {
  std::string name;
  std::string text;
  unsigned mode = 0644;  // 0600 for anything holding the PIN
  bool service_reads = true;  // handed to --owner (the drop-ins stay root's)
};

// YAML needs the scalar quoted; this escapes for a double-quoted YAML string.
std::string yaml_quote(const std::string& s);
// PKCS#11 URI path-attribute percent-encoding (RFC 7512 pchar, minus '+' which
// Java's URL decoding would turn into a blank).
std::string uri_escape(const std::string& s);

std::string private_key_uri(const GgParams& p, bool with_token);
std::string certificate_uri(const GgParams& p, bool with_token);

// The files for p.nucleus, in the order they are shown. The first is always
// config.yaml (one YAML document).
std::vector<GgFile> render_greengrass_files(const GgParams& p);

// Systemd units of nucleus lite that load the device key through OpenSSL.
const std::vector<std::string>& lite_key_services();
// File names inside the output directory.
inline constexpr const char* kGgConfigYaml = "config.yaml";
inline constexpr const char* kGgOpensslConf = "openssl-se05x.cnf";
inline constexpr const char* kGgPinFile = "user-pin";
// The group se05xd admits by default (created by the se05xd package).
inline constexpr const char* kBrokerGroup = "se05x";

}  // namespace sx::cli
