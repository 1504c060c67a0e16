#include "cli/gg_config.h"

#include <openssl/crypto.h>

#include <cstdio>

#ifndef SX_MULTIARCH
#define SX_MULTIARCH "x86_64-linux-gnu"
#endif

namespace sx::cli {

std::string default_module_path() { return std::string("/usr/lib/") + SX_MULTIARCH + "/pkcs11/libse05x-pkcs11.so"; }

std::string default_provider_module_path() {
  const char* dir = OPENSSL_info(OPENSSL_INFO_MODULES_DIR);
  return std::string(dir != nullptr ? dir : "/usr/lib/" SX_MULTIARCH "/ossl-modules") + "/pkcs11.so";
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
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
                       c == ',' || c == '=' || c == '&';
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

namespace {

std::string uri(const GgParams& p, bool with_token, const char* type) {
  std::string u = "pkcs11:";
  if (with_token && !p.token_label.empty()) u += "token=" + uri_escape(p.token_label) + ";";
  return u + "object=" + uri_escape(p.label) + ";type=" + type;
}

// `  key: "value"` when the value was given.
void opt_line(std::string& y, const char* indent_key, const std::string& v) {
  if (!v.empty()) y += std::string(indent_key) + ": " + yaml_quote(v) + "\n";
}

void nucleus_component(std::string& y, const GgParams& p, const char* component) {
  const GgCloud& c = p.cloud;
  if (!c.any_nucleus_setting()) return;
  y += std::string("  ") + component + ":\n";
  y += "    componentType: \"NUCLEUS\"\n";
  y += "    configuration:\n";
  opt_line(y, "      awsRegion", c.region);
  opt_line(y, "      iotRoleAlias", c.role_alias);
  opt_line(y, "      iotDataEndpoint", c.data_endpoint);
  opt_line(y, "      iotCredEndpoint", c.cred_endpoint);
}

// The system: section; the nuclei spell the root directory's key differently.
void system_section(std::string& y, const GgParams& p, bool lite) {
  y += "system:\n";
  y += "  privateKeyPath: " + yaml_quote(private_key_uri(p, lite)) + "\n";
  y += "  certificateFilePath: " + yaml_quote(certificate_uri(p, lite)) + "\n";
  opt_line(y, "  rootCaPath", p.cloud.root_ca);
  opt_line(y, lite ? "  rootPath" : "  rootpath", p.cloud.root_path);
  opt_line(y, "  thingName", p.cloud.thing_name);
}

std::string java_config(const GgParams& p) {
  std::string y;
  y += "# Greengrass nucleus (Java) configuration for the key '" + p.label + "' in the SE050,\n";
  y += "# written by `se05x greengrass-config --nucleus java`. Use it as the installer's\n";
  y += "# --init-config (or merge it into yours).\n";
  system_section(y, p, false);
  y += "services:\n";
  nucleus_component(y, p, "aws.greengrass.Nucleus");
  y += "  aws.greengrass.crypto.Pkcs11Provider:\n";
  y += "    configuration:\n";
  y += "      name: " + yaml_quote(p.provider_name) + "\n";
  y += "      library: " + yaml_quote(p.module_path) + "\n";
  y += "      slot: " + std::to_string(p.slot) + "\n";
  if (p.pin) {
    y += "      userPin: " + yaml_quote(*p.pin) + "\n";
  } else {
    y += "      # Put the user PIN here. Left empty, the module refuses it without counting\n";
    y += "      # a wrong try; `se05x greengrass-config --output DIR` writes it for you.\n";
    y += "      userPin: \"\"\n";
  }
  return y;
}

std::string lite_config(const GgParams& p) {
  std::string y;
  y += "# Greengrass nucleus lite configuration for the key '" + p.label + "' in the SE050,\n";
  y += "# written by `se05x greengrass-config --nucleus lite`. The key and certificate are\n";
  y += "# loaded through OpenSSL's pkcs11-provider: the services need OPENSSL_CONF (see the\n";
  y += "# systemd drop-ins beside this file) and the se05x group for the broker socket.\n";
  system_section(y, p, true);
  if (p.cloud.any_nucleus_setting()) {
    y += "services:\n";
    nucleus_component(y, p, "aws.greengrass.NucleusLite");
  }
  return y;
}

std::string dir_of(const GgParams& p) { return p.output_dir.empty() ? "DIR" : p.output_dir; }

std::string lite_openssl(const GgParams& p) {
  std::string s;
  s += "# OpenSSL 3 configuration for Greengrass nucleus lite: the default provider plus\n";
  s += "# pkcs11-provider with the SE050 module. Written by `se05x greengrass-config`;\n";
  s += "# the services read it through OPENSSL_CONF.\n";
  s += "openssl_conf = openssl_init\n\n";
  s += "[openssl_init]\n";
  s += "providers = provider_sect\n\n";
  s += "[provider_sect]\n";
  s += "default = default_sect\n";
  s += "base = base_sect\n";
  s += "pkcs11 = pkcs11_sect\n\n";
  s += "[default_sect]\n";
  s += "activate = 1\n\n";
  s += "[base_sect]\n";
  s += "activate = 1\n\n";
  s += "[pkcs11_sect]\n";
  s += "module = " + p.provider_module_path + "\n";
  s += "pkcs11-module-path = " + p.module_path + "\n";
  if (p.pin) {
    // A file: reference keeps the PIN out of this file and away from the
    // configuration parser's quoting and variable rules.
    s += "pkcs11-module-token-pin = file:" + dir_of(p) + "/" + kGgPinFile + "\n";
  } else {
    s += "# pkcs11-module-token-pin = file:" + dir_of(p) + "/" + kGgPinFile + "  (a file holding the user PIN)\n";
  }
  s += "activate = 1\n";
  return s;
}

std::string lite_dropin(const GgParams& p) {
  std::string s;
  s += "# Written by `se05x greengrass-config --nucleus lite`: this service loads the\n";
  s += "# device key from the SE050 through OpenSSL's pkcs11-provider.\n";
  s += "[Service]\n";
  s += "Environment=OPENSSL_CONF=" + dir_of(p) + "/" + kGgOpensslConf + "\n";
  s += std::string("SupplementaryGroups=") + kBrokerGroup + "\n";
  return s;
}

}  // namespace

std::string private_key_uri(const GgParams& p, bool with_token) { return uri(p, with_token, "private"); }
std::string certificate_uri(const GgParams& p, bool with_token) { return uri(p, with_token, "cert"); }

const std::vector<std::string>& lite_key_services() {
  static const std::vector<std::string> s{"ggl.core.iotcored", "ggl.core.tesd", "ggl.core.ggdeploymentd"};
  return s;
}

std::vector<GgFile> render_greengrass_files(const GgParams& p) {
  std::vector<GgFile> out;
  if (p.nucleus == Nucleus::Java) {
    out.push_back({kGgConfigYaml, java_config(p), p.pin ? 0600u : 0644u});
    return out;
  }
  out.push_back({kGgConfigYaml, lite_config(p), 0644});
  out.push_back({kGgOpensslConf, lite_openssl(p), 0644});
  if (p.pin) out.push_back({kGgPinFile, *p.pin, 0600});
  for (const auto& svc : lite_key_services())
    out.push_back({"systemd/" + svc + ".service.d/se05x.conf", lite_dropin(p), 0644, false});
  return out;
}

}  // namespace sx::cli
