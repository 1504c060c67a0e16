#include "sim/nvm_file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <openssl/sha.h>

namespace sx::sim {

namespace {

constexpr char kMagic[8] = {'S', 'X', 'S', 'E', 'N', 'V', 'M', '\0'};
constexpr size_t kHeader = 8 + 4 + 4 + 32;

Error bad(std::string what) { return make_error(Errc::Malformed, "NVM file: " + std::move(what)); }
Error io(const std::string& what) { return make_error(Errc::Io, what + ": " + std::strerror(errno)); }

Bytes unhex(const nlohmann::json& j) {
  auto b = from_hex(j.get<std::string>());
  if (!b) throw std::runtime_error("bad hex");
  return *b;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Bytes serialize_store(const Store& s, std::string_view variant) {
  nlohmann::json j;
  j["variant"] = std::string(variant);
  j["objects"] = nlohmann::json::array();
  for (const auto& [id, o] : s.objects) {
    if (o.transient) continue;
    nlohmann::json e{{"id", o.id},
                     {"kind", static_cast<int>(o.kind)},
                     {"origin", static_cast<int>(o.origin)},
                     {"policy", to_hex(o.policy)},
                     {"curve", o.curve},
                     {"rsa_crt", o.rsa_crt},
                     {"rsa_bits", o.rsa_bits},
                     {"ec_priv", to_hex(o.ec_priv)},
                     {"ec_pub", to_hex(o.ec_pub)},
                     {"data", to_hex(o.data)},
                     {"auth", static_cast<int>(o.auth)},
                     {"max_attempts", o.max_attempts},
                     {"attempts", o.attempts}};
    nlohmann::json rsa = nlohmann::json::object();
    for (const auto& [tag, v] : o.rsa) rsa[std::to_string(tag)] = to_hex(v);
    e["rsa"] = rsa;
    j["objects"].push_back(std::move(e));
  }
  j["curves"] = nlohmann::json::array();
  for (size_t i = 0; i < s.curves.size(); ++i)
    if (s.curves[i].created) j["curves"].push_back({{"id", i}, {"params", s.curves[i].params_set}});
  j["factory_ca"] = to_hex(s.factory_ca_cert);
  nlohmann::json scp{{"required", s.scp_required}};
  if (s.scp_keys) scp["keys"] = {{"enc", to_hex(s.scp_keys->enc)}, {"mac", to_hex(s.scp_keys->mac)}, {"dek", to_hex(s.scp_keys->dek)}};
  j["scp"] = std::move(scp);
  const std::string payload = j.dump();

  Bytes out(kMagic, kMagic + 8);
  put_u32(out, kNvmFormatVersion);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), digest);
  out.insert(out.end(), digest, digest + sizeof digest);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Result<Store> deserialize_store(ByteView f, std::string_view variant) {
  if (f.size() < kHeader || std::memcmp(f.data(), kMagic, 8) != 0) return bad("not a simulator NVM image");
  const uint32_t version = get_u32(f, 8);
  if (version < kNvmOldestVersion || version > kNvmFormatVersion) return bad("unknown format version " + std::to_string(version));
  const uint32_t len = get_u32(f, 12);
  if (len != f.size() - kHeader) return bad("length mismatch (truncated or trailing data)");
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(f.data() + kHeader, len, digest);
  if (std::memcmp(digest, f.data() + 16, sizeof digest) != 0) return bad("checksum mismatch");
  try {
    auto j = nlohmann::json::parse(f.begin() + kHeader, f.end());
    if (j.at("variant").get<std::string>() != variant)
      return bad("made for variant " + j.at("variant").get<std::string>() + ", opened as " + std::string(variant));
    Store s;
    for (const auto& e : j.at("objects")) {
      SecureObject o;
      o.id = e.at("id").get<uint32_t>();
      const int kind = e.at("kind").get<int>();
      if (kind < 0 || kind > static_cast<int>(ObjectKind::Other)) return bad("bad object kind");
      o.kind = static_cast<ObjectKind>(kind);
      const int origin = e.at("origin").get<int>();
      if (origin < 1 || origin > 3) return bad("bad origin");
      o.origin = static_cast<se05x::Origin>(origin);
      o.policy = unhex(e.at("policy"));
      o.curve = e.at("curve").get<uint8_t>();
      o.rsa_crt = e.at("rsa_crt").get<bool>();
      o.rsa_bits = e.at("rsa_bits").get<uint16_t>();
      o.ec_priv = unhex(e.at("ec_priv"));
      o.ec_pub = unhex(e.at("ec_pub"));
      o.data = unhex(e.at("data"));
      for (const auto& [tag, v] : e.at("rsa").items()) o.rsa[static_cast<uint8_t>(std::stoi(tag))] = unhex(v);
      if (version >= 2) {
        const int auth = e.at("auth").get<int>();
        if (auth < 0 || auth > static_cast<int>(AuthKind::UserId)) return bad("bad authentication kind");
        o.auth = static_cast<AuthKind>(auth);
        o.max_attempts = e.at("max_attempts").get<uint16_t>();
        o.attempts = e.at("attempts").get<uint16_t>();
      }
      if (o.kind == ObjectKind::Other && !o.is_auth()) return bad("bad object kind");
      if (!s.objects.emplace(o.id, std::move(o)).second) return bad("duplicate object");
    }
    for (const auto& c : j.at("curves")) {
      const size_t id = c.at("id").get<size_t>();
      if (id == 0 || id >= s.curves.size()) return bad("bad curve id");
      s.curves[id].created = true;
      s.curves[id].params_set = c.at("params").get<uint8_t>();
    }
    if (j.contains("factory_ca")) s.factory_ca_cert = unhex(j.at("factory_ca"));  // absent in older images
    if (version >= 3) {
      const auto& scp = j.at("scp");
      s.scp_required = scp.at("required").get<bool>();
      if (scp.contains("keys")) {
        const auto& k = scp.at("keys");
        se05x::scp03::StaticKeys keys(unhex(k.at("enc")), unhex(k.at("mac")), unhex(k.at("dek")));
        if (!keys.check().ok()) return bad("bad PlatformSCP03 key set");
        s.scp_keys = std::move(keys);
      }
    }
    return s;
  } catch (const std::exception& e) {
    return bad(std::string("bad content: ") + e.what());
  }
}

Status write_file_atomic(const std::string& path, ByteView data, bool sync) {
  const std::string tmp = path + ".tmp";
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0) return io("open " + tmp);
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(f.fd, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return io("write " + tmp);
      done += static_cast<size_t>(n);
    }
    if (sync && ::fsync(f.fd) != 0) return io("fsync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io("rename " + tmp);
  if (sync) {
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0 || ::fsync(d.fd) != 0) return io("fsync directory " + dir);
  }
  return {};
}

Result<std::optional<Bytes>> read_whole_file(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return std::optional<Bytes>{};
    return io("open " + path);
  }
  Bytes out;
  uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io("read " + path);
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return std::optional<Bytes>{std::move(out)};
}

}  // namespace sx::sim
