// Reading a Greengrass config.yaml the way each nucleus does, for `se05x doctor
// --config`: the Java nucleus (PKCS#11 provider plugin: java.net.URI decoding
// of the whole URI, then a split on ';' with trimmed values) and nucleus lite
// (OpenSSL's pkcs11-provider: RFC 7512, split first, then percent-decoding),
// plus the OpenSSL configuration nucleus lite runs with.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "cli/gg_config.h"

namespace sx::cli {

using UriAttrs = std::map<std::string, std::string>;

// RFC 7512 path attributes (what pkcs11-provider and p11-kit read).
Result<UriAttrs> parse_pkcs11_uri(const std::string& uri);
// What Greengrass's Java provider reads: decode everything, then split.
Result<UriAttrs> parse_pkcs11_uri_java(const std::string& uri);

struct GgConfigFile {
  Nucleus nucleus = Nucleus::Java;
  std::string key_uri, cert_uri;  // system.privateKeyPath / certificateFilePath
  // Java: services.aws.greengrass.crypto.Pkcs11Provider.configuration
  bool has_provider = false;
  std::string provider_name, library;
  std::optional<long long> slot;
  std::optional<std::string> user_pin;
};

// nucleus: the caller's choice, or nullopt to tell from the file's contents.
Result<GgConfigFile> read_greengrass_config(const std::string& path, std::optional<Nucleus> nucleus);

// The pkcs11-provider section of an OpenSSL configuration file.
struct OpensslP11Conf {
  bool found = false;              // a provider section with pkcs11-module-path
  bool activated = false;          // activate = 1
  std::string provider_module;     // `module`, empty = OpenSSL's MODULESDIR/pkcs11.so
  std::string module_path;         // pkcs11-module-path
  std::optional<std::string> pin;  // pkcs11-module-token-pin, a file: reference read
  std::string pin_error;           // why the PIN (file) could not be read
};
Result<OpensslP11Conf> read_openssl_p11_conf(const std::string& path);

// Loads the configuration into a private OpenSSL library context in a child
// process (the provider loads the PKCS#11 module, which must not stay in this
// process) and says whether the pkcs11 provider became available: "" or why not.
std::string try_load_provider(const std::string& openssl_conf);

}  // namespace sx::cli
