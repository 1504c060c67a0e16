#include "cli/gg_config_read.h"

#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

#include "cli/file_format.h"

namespace sx::cli {
namespace {

Error bad(const std::string& m) { return Error{Errc::InvalidArgument, m}; }

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
      return bad("malformed %-escape in '" + s + "'");
    out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
    i += 2;
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= 0x20) --e;
  return s.substr(b, e - b);
}

Result<std::string> scheme_part(const std::string& uri) {
  if (uri.size() < 7 || uri.compare(0, 7, "pkcs11:") != 0) return bad("'" + uri + "' is not a pkcs11: URI");
  return uri.substr(7);
}

// java.net.URI refuses these unescaped in an opaque URI.
bool java_uri_char(unsigned char c) {
  if (c >= 0x80) return true;  // "other" characters are accepted
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("_-!.~'()*;/?:@&=+$,[]%").find(static_cast<char>(c)) != std::string_view::npos;
}

// The ';'-separated pieces of s, in order (empty pieces included).
std::vector<std::string> split_attrs(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t end = std::min(s.find(';', pos), s.size());
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

Result<UriAttrs> parse_pkcs11_uri(const std::string& uri) {
  SX_ASSIGN(std::string rest, scheme_part(uri));
  rest = rest.substr(0, rest.find('?'));
  UriAttrs out;
  for (const std::string& attr : split_attrs(rest)) {
    if (attr.empty()) continue;
    const auto eq = attr.find('=');
    if (eq == std::string::npos) return bad("'" + attr + "' in '" + uri + "' is not NAME=VALUE");
    SX_ASSIGN(std::string v, percent_decode(attr.substr(eq + 1)));
    out[attr.substr(0, eq)] = std::move(v);
  }
  return out;
}

Result<UriAttrs> parse_pkcs11_uri_java(const std::string& uri) {
  SX_ASSIGN(std::string rest, scheme_part(uri));
  rest = rest.substr(0, rest.find('#'));  // a fragment is not part of what it reads
  for (char c : rest)
    if (!java_uri_char(static_cast<unsigned char>(c)))
      return bad("'" + uri + "' is not a valid URI for Java (a character that must be %-escaped)");
  SX_ASSIGN(std::string dec, percent_decode(rest));
  UriAttrs out;
  for (const std::string& attr : split_attrs(dec)) {
    const auto eq = attr.find('=');
    if (eq != std::string::npos) out[trim(attr.substr(0, eq))] = trim(attr.substr(eq + 1));
  }
  return out;
}

namespace {

std::string scalar(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return "";
  return n.as<std::string>();
}

Result<GgConfigFile> parse_config(const std::vector<YAML::Node>& docs, std::optional<Nucleus> nucleus) {
  if (docs.size() != 1)
    return bad(std::to_string(docs.size()) + " YAML documents in the file; the nucleus reads exactly one");
  const YAML::Node& root = docs.front();
  if (!root.IsMap()) return bad("the file is not a YAML mapping (system:, services:)");
  // yaml-cpp takes an INI line such as `openssl_conf = x` for a key without a
  // value; the nuclei's stricter parsers refuse the file. Only their keys pass.
  for (const auto& kv : root) {
    const std::string k = kv.first.as<std::string>();
    if (k != "system" && k != "services" && k != "launchParameters")
      return bad("unexpected top-level entry '" + k + "' (a Greengrass config.yaml has system: and services:)");
  }
  GgConfigFile c;
  const YAML::Node sys = root["system"];
  if (!sys || !sys.IsMap()) return bad("no system: section");
  c.key_uri = scalar(sys["privateKeyPath"]);
  c.cert_uri = scalar(sys["certificateFilePath"]);
  const YAML::Node services = root["services"];
  const bool have_services = services && services.IsMap();
  // (A default-constructed YAML::Node counts as present: look up only in a map.)
  const YAML::Node prov = have_services ? services["aws.greengrass.crypto.Pkcs11Provider"] : YAML::Node(YAML::NodeType::Undefined);
  const bool has_prov = have_services && prov.IsDefined() && !prov.IsNull();
  const bool lite_component = have_services && services["aws.greengrass.NucleusLite"].IsDefined();
  if (nucleus) c.nucleus = *nucleus;
  else if (has_prov) c.nucleus = Nucleus::Java;
  else if (lite_component || c.key_uri.find("token=") != std::string::npos) c.nucleus = Nucleus::Lite;
  else c.nucleus = Nucleus::Java;
  if (has_prov) {
    c.has_provider = true;
    const YAML::Node conf = prov["configuration"];
    if (conf && conf.IsMap()) {
      c.provider_name = scalar(conf["name"]);
      c.library = scalar(conf["library"]);
      if (const YAML::Node s = conf["slot"]; s && s.IsScalar()) {
        try {
          c.slot = s.as<long long>();
        } catch (const YAML::Exception&) {
          return bad("Pkcs11Provider slot '" + s.as<std::string>() + "' is not a number");
        }
      }
      if (const YAML::Node p = conf["userPin"]; p && p.IsScalar()) c.user_pin = p.as<std::string>();
      else if (p && p.IsNull()) c.user_pin = "";
    }
  }
  return c;
}

}  // namespace

Result<GgConfigFile> read_greengrass_config(const std::string& path, std::optional<Nucleus> nucleus) {
  SX_ASSIGN(Bytes raw, read_file(path));
  const std::string text(raw.begin(), raw.end());
  secure_wipe(raw);
  try {
    return parse_config(YAML::LoadAll(text), nucleus);
  } catch (const YAML::Exception& e) {
    return bad("not valid YAML (line " + std::to_string(e.mark.line + 1) + "): " + e.msg);
  } catch (const std::exception& e) {
    return bad(std::string("cannot read it: ") + e.what());
  }
}

namespace {

std::string conf_get(CONF* conf, const char* section, const char* name) {
  const char* v = NCONF_get_string(conf, section, name);
  if (v == nullptr) ERR_clear_error();
  return v != nullptr ? v : "";
}

}  // namespace

Result<OpensslP11Conf> read_openssl_p11_conf(const std::string& path) {
  std::unique_ptr<CONF, decltype(&NCONF_free)> conf(NCONF_new(nullptr), NCONF_free);
  if (!conf) return bad("out of memory");
  long eline = 0;
  if (NCONF_load(conf.get(), path.c_str(), &eline) <= 0) {
    ERR_clear_error();
    return bad(eline > 0 ? "syntax error on line " + std::to_string(eline) : "cannot read it");
  }
  OpensslP11Conf out;
  const std::string init = conf_get(conf.get(), nullptr, "openssl_conf");
  if (init.empty()) return out;
  const std::string prov_sect = conf_get(conf.get(), init.c_str(), "providers");
  if (prov_sect.empty()) return out;
  STACK_OF(CONF_VALUE)* provs = NCONF_get_section(conf.get(), prov_sect.c_str());
  for (int i = 0; provs != nullptr && i < sk_CONF_VALUE_num(provs); ++i) {
    const CONF_VALUE* v = sk_CONF_VALUE_value(provs, i);
    const std::string sect = v->value != nullptr ? v->value : "";
    const std::string mod_path = conf_get(conf.get(), sect.c_str(), "pkcs11-module-path");
    if (mod_path.empty()) continue;
    out.found = true;
    out.module_path = mod_path;
    out.provider_module = conf_get(conf.get(), sect.c_str(), "module");
    const std::string act = conf_get(conf.get(), sect.c_str(), "activate");
    out.activated = act == "1" || act == "yes" || act == "true" || act == "on";
    const std::string pin = conf_get(conf.get(), sect.c_str(), "pkcs11-module-token-pin");
    if (pin.rfind("file:", 0) == 0) {
      auto b = read_file(pin.substr(5));
      if (!b) {
        out.pin_error = "the PIN file " + pin.substr(5) + " cannot be read: " + b.error().message;
      } else {
        std::string s(b->begin(), b->end());
        secure_wipe(*b);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        out.pin = std::move(s);
      }
    } else if (!pin.empty()) {
      out.pin = pin;
    }
    break;
  }
  return out;
}

std::string try_load_provider(const std::string& openssl_conf) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return "fork failed";
  }
  if (pid == 0) {
    ::close(fds[0]);
    std::string why;
    OSSL_LIB_CTX* ctx = OSSL_LIB_CTX_new();
    if (ctx == nullptr) why = "OSSL_LIB_CTX_new failed";
    else if (OSSL_LIB_CTX_load_config(ctx, openssl_conf.c_str()) != 1) {
      char buf[256];
      ERR_error_string_n(ERR_peek_last_error(), buf, sizeof buf);
      why = std::string("OpenSSL cannot load the configuration: ") + buf;
    } else if (OSSL_PROVIDER_available(ctx, "pkcs11") != 1) {
      why = "the configuration loads but no provider named pkcs11 is active";
    }
    if (!why.empty()) (void)!::write(fds[1], why.data(), why.size());
    ::_exit(why.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string why;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) why.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  if (why.empty()) why = WIFSIGNALED(status) ? "loading it crashed (signal " + std::to_string(WTERMSIG(status)) + ")"
                                             : "loading it failed";
  return why;
}

}  // namespace sx::cli
