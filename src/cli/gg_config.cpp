#include "cli/gg_config.h"

#include <cstdio>

#ifndef SX_MULTIARCH
#define SX_MULTIARCH "x86_64-linux-gnu"
#endif

namespace sx::cli {

std::string default_module_path() { return std::string("/usr/lib/") + SX_MULTIARCH + "/pkcs11/libse05x-pkcs11.so"; }

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string uri_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '[' || c == ']' ||
                       c == '@' || c == '!' || c == '$' || c == '\'' || c == '(' || c == ')' || c == '*' ||
                       c == '+' || c == ',' || c == '=' || c == '&';
    if (plain) {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}

static std::string uri(const GgParams& p, bool with_token, const char* type) {
  std::string u = "pkcs11:";
  if (with_token && !p.token_label.empty()) u += "token=" + uri_escape(p.token_label) + ";";
  return u + "object=" + uri_escape(p.label) + ";type=" + type;
}

std::string private_key_uri(const GgParams& p, bool with_token) { return uri(p, with_token, "private"); }
std::string certificate_uri(const GgParams& p, bool with_token) { return uri(p, with_token, "cert"); }

std::string render_nucleus_yaml(const GgParams& p) {
  std::string y;
  y += "# Greengrass nucleus (Java): merge into config.yaml; replace the PIN placeholder.\n";
  y += "system:\n";
  y += "  certificateFilePath: " + yaml_quote(certificate_uri(p, false)) + "\n";
  y += "  privateKeyPath: " + yaml_quote(private_key_uri(p, false)) + "\n";
  y += "services:\n";
  y += "  aws.greengrass.crypto.Pkcs11Provider:\n";
  y += "    configuration:\n";
  y += "      name: " + yaml_quote(p.provider_name) + "\n";
  y += "      library: " + yaml_quote(p.module_path) + "\n";
  y += "      slot: " + std::to_string(p.slot) + "\n";
  y += "      userPin: " + yaml_quote(p.pin_placeholder) + "\n";
  return y;
}

std::string render_lite_openssl(const GgParams& p) {
  std::string s;
  s += "# Greengrass nucleus lite: config.yaml (system section)\n";
  s += "system:\n";
  s += "  certificateFilePath: " + yaml_quote(certificate_uri(p, true)) + "\n";
  s += "  privateKeyPath: " + yaml_quote(private_key_uri(p, true)) + "\n";
  s += "# OpenSSL 3 configuration (pkcs11-provider), e.g. /etc/ssl/openssl-se05x.cnf,\n";
  s += "# used through OPENSSL_CONF in the nucleus lite service environment:\n";
  s += "openssl_conf = openssl_init\n";
  s += "[openssl_init]\n";
  s += "providers = provider_sect\n";
  s += "[provider_sect]\n";
  s += "default = default_sect\n";
  s += "pkcs11 = pkcs11_sect\n";
  s += "[default_sect]\n";
  s += "activate = 1\n";
  s += "[pkcs11_sect]\n";
  s += "pkcs11-module-path = " + p.module_path + "\n";
  s += "pkcs11-module-token-pin = " + p.pin_placeholder + "\n";
  s += "activate = 1\n";
  return s;
}

}  // namespace sx::cli
