#include "demo/session.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstdio>
#include <iomanip>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "demo/demo_ca.h"
#include "se05x/client.h"
#include "se05x/curves.h"
#include "se05x/public_key.h"
#include "se05x/types.h"

namespace sx::demo {

namespace {

using Clock = std::chrono::steady_clock;

std::string id_text(uint32_t id) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08X", id);
  return b;
}

std::string ms_since(Clock::time_point t0) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << static_cast<double>(us) / 1000.0 << " ms";
  return s.str();
}

const char* type_name(uint8_t code) {
  auto k = se05x::normalize_type(code);
  if (!k.ok()) return "unknown type";
  switch (k->type) {
    case se05x::ObjectType::EcKeyPair: return "EC key pair";
    case se05x::ObjectType::EcPrivate: return "EC private key";
    case se05x::ObjectType::EcPublic: return "EC public key";
    case se05x::ObjectType::RsaKeyPair:
    case se05x::ObjectType::RsaKeyPairCrt: return "RSA key pair";
    case se05x::ObjectType::RsaPrivate:
    case se05x::ObjectType::RsaPrivateCrt: return "RSA private key";
    case se05x::ObjectType::RsaPublic: return "RSA public key";
    case se05x::ObjectType::BinaryFile: return "binary file";
    case se05x::ObjectType::UserId: return "user ID";
    case se05x::ObjectType::Counter: return "counter";
    case se05x::ObjectType::Pcr: return "PCR";
    default: return "symmetric key / other";
  }
}

class Steps {
 public:
  explicit Steps(std::ostream& out) : out_(out) {}
  void say(const std::string& step, const std::string& text) {
    out_ << "  " << std::left << std::setw(9) << step << " " << text << "\n";
  }
  int fail(const std::string& step, const Error& e) {
    out_ << "  " << std::left << std::setw(9) << step << " FAILED: " << e.to_string() << "\n";
    return 1;
  }

 private:
  std::ostream& out_;
};

std::string subject_cn(ByteView der) {
  const unsigned char* p = der.data();
  ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return "(not X.509)";
  char buf[256];
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, buf, sizeof buf);
  return buf;
}

// The simulator answers a proprietary statistics request; a real chip refuses it
// (then nothing is printed).
std::optional<nlohmann::json> sim_totals(link::ApduChannel& ch) {
  const uint8_t req[] = {0xFF, 0x53, 0x00, 0x00};
  auto r = ch.transceive(req);
  if (!r.ok() || r->size() < 2 || (*r)[r->size() - 2] != 0x90) return std::nullopt;
  auto j = nlohmann::json::parse(r->begin(), r->end() - 2, nullptr, false);
  if (j.is_discarded() || !j.contains("total")) return std::nullopt;
  return j["total"];
}

void print_sim_stats(const nlohmann::json& before, const nlohmann::json& after, Steps& steps) {
  auto diff = [&](const char* k) { return after.value(k, 0.0) - before.value(k, 0.0); };
  std::ostringstream s;
  s << std::fixed << std::setprecision(0) << diff("count") << " APDUs, " << diff("capdu_bytes")
    << " bytes to the chip, " << diff("rapdu_bytes") << " bytes back; a real SE050 would need about "
    << diff("modelled_us") / 1000.0 << " ms for them (simulator's latency model)";
  steps.say("stats", s.str());
}

// select, memory, random: what the chip is. 0, or the failing step's code.
int describe_chip(se05x::Client& chip, Steps& steps) {
  auto ver = chip.select();
  if (!ver.ok()) return steps.fail("select", ver.error());
  {
    std::ostringstream s;
    s << "IoT applet " << int(ver->major) << "." << int(ver->minor) << "." << int(ver->patch) << ", AppletConfig 0x"
      << std::hex << std::uppercase << std::setw(4) << std::setfill('0') << ver->applet_config;
    steps.say("select", s.str());
  }
  auto mem = chip.get_free_memory(se05x::MemoryType::Persistent);
  if (!mem.ok()) return steps.fail("memory", mem.error());
  steps.say("memory", std::to_string(*mem) + (*mem >= 0x7FFF ? "+" : "") + " bytes of persistent memory free");
  auto rnd = chip.get_random(16);
  if (!rnd.ok()) return steps.fail("random", rnd.error());
  steps.say("random", "16 bytes from the chip's TRNG: " + to_hex(*rnd));
  return 0;
}

// Start clean: a previous run may have left its objects.
int clean_start(se05x::Client& chip, const SessionOptions& opt, Steps& steps) {
  for (uint32_t id : {opt.key_id, opt.cert_id}) {
    auto ex = chip.check_object_exists(id);
    if (!ex.ok()) return steps.fail("cleanup", ex.error());
    if (*ex) {
      if (auto d = chip.delete_object(id); !d.ok()) return steps.fail("cleanup", d.error());
      steps.say("cleanup", "removed " + id_text(id) + " left by an earlier run");
    }
  }
  return 0;
}

int list_objects(se05x::Client& chip, const SessionOptions& opt, Steps& steps) {
  auto ids = chip.read_all_ids();
  if (!ids.ok()) return steps.fail("list", ids.error());
  steps.say("list", std::to_string(ids->size()) + " objects on the chip:");
  for (uint32_t id : *ids) {
    auto t = chip.read_type(id);
    std::string what = t.ok() ? type_name(t->type) : t.error().to_string();
    if (t.ok() && (t->type == uint8_t(se05x::ObjectType::BinaryFile))) {
      if (auto sz = chip.read_size(id); sz.ok()) what += ", " + std::to_string(*sz) + " bytes";
    }
    if (id >= se05x::objid::kTrustProvisionedFirst) what += "  (factory provisioned)";
    if (id == opt.key_id || id == opt.cert_id) what += "  (this session)";
    steps.say("", "  " + id_text(id) + "  " + what);
  }
  return 0;
}

}  // namespace

int run_session(link::ApduChannel& channel, const std::string& connection, const SessionOptions& opt,
                std::ostream& out) {
  Steps steps(out);
  se05x::Client chip(channel);
  steps.say("connect", connection == channel.describe() ? connection : connection + " (" + channel.describe() + ")");
  const auto stats_before = sim_totals(channel);

  if (int rc = describe_chip(chip, steps)) return rc;
  if (int rc = clean_start(chip, opt, steps)) return rc;

  if (auto c = chip.ensure_curve(se05x::Curve::NistP256); !c.ok()) return steps.fail("curve", c.error());
  steps.say("curve", "NIST P-256 domain parameters present on the chip");

  auto t0 = Clock::now();
  if (auto g = chip.generate_ec_key(opt.key_id, se05x::Curve::NistP256); !g.ok()) return steps.fail("keygen", g.error());
  steps.say("keygen", "P-256 key pair generated inside the chip at " + id_text(opt.key_id) + " (" + ms_since(t0) +
                          "); the private key never leaves it");

  auto pub = se05x::read_public_key(chip, opt.key_id);
  if (!pub.ok()) return steps.fail("pubkey", pub.error());
  auto spki = se05x::spki_der(pub->get());
  if (!spki.ok()) return steps.fail("pubkey", spki.error());
  steps.say("pubkey", "read the public key back: " + std::to_string(spki->size()) + "-byte SubjectPublicKeyInfo");

  const std::string message = "hello from se05x-pkcs11";
  Bytes digest(SHA256_DIGEST_LENGTH);
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data());
  t0 = Clock::now();
  auto sig = chip.ecdsa_sign(opt.key_id, digest);
  if (!sig.ok()) return steps.fail("sign", sig.error());
  steps.say("sign", "ECDSA over SHA-256(\"" + message + "\") by the chip: " + std::to_string(sig->size()) +
                        "-byte DER signature (" + ms_since(t0) + ")");
  ByteView msg_bytes(reinterpret_cast<const uint8_t*>(message.data()), message.size());
  auto ok = se05x::verify_message(pub->get(), EVP_sha256(), msg_bytes, *sig);
  if (!ok.ok()) return steps.fail("verify", ok.error());
  if (!*ok) return steps.fail("verify", make_error(Errc::Crypto, "OpenSSL rejected the chip's signature"));
  steps.say("verify", "OpenSSL verified the signature with the exported public key");

  auto cert = issue_certificate(pub->get(), "se05x-demo device");
  if (!cert.ok()) return steps.fail("cert", cert.error());
  steps.say("cert", "a host test CA issued a " + std::to_string(cert->size()) + "-byte X.509 certificate for the key");
  t0 = Clock::now();
  if (auto w = chip.create_binary(opt.cert_id, *cert); !w.ok()) return steps.fail("write", w.error());
  steps.say("write", "certificate stored at " + id_text(opt.cert_id) + " (" + ms_since(t0) + ")");
  auto back = chip.read_binary(opt.cert_id);
  if (!back.ok()) return steps.fail("read", back.error());
  if (*back != *cert) return steps.fail("read", make_error(Errc::Malformed, "certificate read back differs"));
  steps.say("read", "read back " + std::to_string(back->size()) + " bytes, identical; subject CN=" + subject_cn(*back));

  if (int rc = list_objects(chip, opt, steps)) return rc;

  if (!opt.keep) {
    for (uint32_t id : {opt.cert_id, opt.key_id})
      if (auto d = chip.delete_object(id); !d.ok()) return steps.fail("delete", d.error());
    steps.say("delete", "removed " + id_text(opt.key_id) + " and " + id_text(opt.cert_id) + " (--keep leaves them)");
  }
  if (stats_before)
    if (auto after = sim_totals(channel)) print_sim_stats(*stats_before, *after, steps);
  return 0;
}

}  // namespace sx::demo
