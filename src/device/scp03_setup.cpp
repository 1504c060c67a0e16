#include "device/scp03_setup.h"

#include <cstdio>
#include <unistd.h>

#include <cstdlib>

#include "se05x/scp03_defaults.h"

namespace sx::device {

namespace scp = se05x::scp03;

namespace {

std::string oef_hex(uint16_t id) {
  char b[8];
  std::snprintf(b, sizeof b, "%04X", static_cast<unsigned>(id));
  return b;
}

KeyCandidate candidate_of(const scp::DefaultKeySet& set) {
  KeyCandidate c;
  c.keys = set.keys();
  // Names the set, never its bytes (they are public, but logs carry no keys).
  c.path = "published default keys of " + std::string(set.variant) + " (OEF ID " + oef_hex(set.oef_id) + ")";
  return c;
}

std::string public_keys_warning(const std::string& which) {
  return "PlatformSCP03 uses the " + which +
         ": they are public, so anyone on the I2C bus can open the channel too. Rotate them (`se05x scp03 rotate`) "
         "and set scp03 = required (docs/install.md)";
}

// default-keys: the variant's set from its OEF ID (docs/scp03.md §8), read
// plain through the issuer security domain; every published set when the chip
// does not tell (e.g. platform SCP is required and the read-out is refused).
Result<std::vector<KeyCandidate>> load_default_keys(link::ApduChannel& plain, const Scp03Warn& warn,
                                                    const std::shared_ptr<bool>& warned) {
  static const Bytes kSelectIsd = {0x00, 0xA4, 0x04, 0x00, 0x00};
  SX_ASSIGN(Bytes sel, plain.transceive(kSelectIsd));
  std::optional<uint16_t> oef;
  if (sel.size() >= 2 && get_u16(sel, sel.size() - 2) == 0x9000) {
    SX_ASSIGN(Bytes cfg, plain.transceive(scp::get_data_config()));
    if (auto id = scp::parse_oef_id(cfg)) oef = *id;
  }
  if (oef) {
    if (const scp::DefaultKeySet* set = scp::default_keys_for_oef(*oef)) {
      KeyCandidate c = candidate_of(*set);
      if (warn) warn(public_keys_warning(c.path));
      *warned = true;
      return std::vector<KeyCandidate>{std::move(c)};
    }
  }
  // The warning waits for the set that works (it names the variant).
  return all_default_candidates();
}

Result<std::shared_ptr<Scp03KeyRing>> default_key_ring(Scp03Warn warn) {
  auto warned = std::make_shared<bool>(false);
  auto load = [warn, warned](link::ApduChannel& plain) { return load_default_keys(plain, warn, warned); };
  auto opened = [warn, warned](const KeyCandidate& used) {
    if (!*warned && warn) warn(public_keys_warning(used.path));
    *warned = true;
  };
  return std::make_shared<Scp03KeyRing>(std::move(load), std::move(opened));
}

Result<std::shared_ptr<Scp03KeyRing>> file_key_ring(const Scp03Settings& s, Scp03Warn warn) {
  if (s.key_file.empty())
    return make_error(Errc::InvalidArgument,
                      "scp03 = required needs scp03_key_file: the root-only file holding the chip's keys "
                      "(docs/scp03.md §10)");
  auto cands = key_candidates(s.key_file);
  if (!cands) {
    Error e = cands.take_error();
    e.message = "scp03 = required: " + e.message + " (the chip is never used without the channel)";
    // The key file is root's (docs/scp03.md §10): other users share the chip through the broker.
    if (::geteuid() != 0)
      e.message += "; a program not running as root reaches the chip through se05xd, which owns the channel";
    return e;
  }
  const std::string path = s.key_file;
  // The set that opened the channel finishes or rolls back an interrupted
  // rotation (docs/scp03.md §11).
  auto opened = [path, warn](const KeyCandidate& used) {
    auto st = settle_key_file(path, used);
    if (!st && warn) warn("PlatformSCP03 key file " + path + ": " + st.error().to_string());
    else if (used.pending && warn) warn("PlatformSCP03: an interrupted key rotation was completed (" + used.path + ")");
  };
  return std::make_shared<Scp03KeyRing>(std::move(*cands), std::move(opened));
}

}  // namespace

Result<Scp03Mode> parse_scp03_mode(std::string_view text) {
  if (text == "off") return Scp03Mode::Off;
  if (text == "default-keys") return Scp03Mode::DefaultKeys;
  if (text == "required") return Scp03Mode::Required;
  return make_error(Errc::InvalidArgument, "scp03: off, default-keys or required");
}

std::string_view to_string(Scp03Mode m) {
  switch (m) {
    case Scp03Mode::Off: return "off";
    case Scp03Mode::DefaultKeys: return "default-keys";
    case Scp03Mode::Required: return "required";
  }
  return "off";
}

Result<Scp03Settings> scp03_with_env(Scp03Settings c) {
  // secure_getenv: the module is loaded by setuid programs too (pkcs11/config.h).
  if (const char* m = ::secure_getenv("SE05X_SCP03"); m && *m) {
    auto mode = parse_scp03_mode(m);
    if (!mode) return make_error(Errc::InvalidArgument, "SE05X_SCP03: off, default-keys or required");
    c.mode = *mode;
  }
  if (const char* f = ::secure_getenv("SE05X_SCP03_KEY_FILE"); f && *f) c.key_file = f;
  return c;
}

std::vector<KeyCandidate> all_default_candidates() {
  std::vector<KeyCandidate> out;
  for (const scp::DefaultKeySet& set : scp::default_key_sets()) {
    // Variants sharing one set (older and newer OEF IDs of a part) are tried once.
    bool dup = false;
    for (const KeyCandidate& c : out) dup = dup || c.keys == set.keys();
    if (!dup) out.push_back(candidate_of(set));
  }
  return out;
}

Result<std::shared_ptr<Scp03KeyRing>> scp03_key_ring(const Scp03Settings& s, Scp03Warn warn) {
  switch (s.mode) {
    case Scp03Mode::Off: return std::shared_ptr<Scp03KeyRing>();
    case Scp03Mode::DefaultKeys: return default_key_ring(std::move(warn));
    case Scp03Mode::Required: return file_key_ring(s, std::move(warn));
  }
  return std::shared_ptr<Scp03KeyRing>();
}

Result<se05x::ConnectOptions> with_scp03(se05x::ConnectOptions base, const Scp03Settings& s, Scp03Warn warn) {
  SX_ASSIGN(std::shared_ptr<Scp03KeyRing> ring, scp03_key_ring(s, std::move(warn)));
  return with_scp03(std::move(base), std::move(ring));
}

se05x::ConnectOptions with_scp03(se05x::ConnectOptions base, std::shared_ptr<Scp03KeyRing> ring) {
  if (!ring) return base;
  base.secure_link = [ring](std::unique_ptr<link::ApduChannel> plain) -> std::unique_ptr<link::ApduChannel> {
    return std::make_unique<Scp03Channel>(std::move(plain), ring);
  };
  return base;
}

Result<std::shared_ptr<Scp03KeyRing>> scp03_ring_for(const Scp03Settings& configured, Scp03Warn warn) {
  SX_ASSIGN(Scp03Settings s, scp03_with_env(configured));
  return scp03_key_ring(s, std::move(warn));
}

}  // namespace sx::device
