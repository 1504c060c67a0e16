#include "sim/factory.h"

#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sim/curves.h"
#include "sim/ec_crypto.h"
#include "sim/rsa_crypto.h"

namespace sx::sim {

namespace {

namespace pol = se05x::policy;
namespace oid = se05x::objid;

Error factory_error(std::string what) { return make_error(Errc::Crypto, "factory image: " + std::move(what)); }

// No passphrase: an encrypted key file is refused instead of prompting on a terminal.
int no_passphrase(char*, int, int, void*) { return 0; }

// The factory RSA key from a PEM file (SE05X_SIM_FACTORY_RSA_KEY): the test suite names the
// repository's test key, because generating a key per simulated chip costs seconds under qemu.
// A file that cannot be used is an error, never a silent fresh key.
Result<RsaComponents> factory_rsa_from_file(const std::string& path) {
  const std::string what = "SE05X_SIM_FACTORY_RSA_KEY=" + path + ": ";
  ossl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) return factory_error(what + "cannot open the file");
  ossl::Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return factory_error(what + "not a PEM private key");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key.get()) != 2048)
    return factory_error(what + "not an RSA-2048 key");
  return rsa_components(key.get());
}

// RSA-2048 generation costs 0.1-1 s (seconds under qemu); devices made in one process
// share one RSA key pair (the EC key, unique ID and certificates are still per device).
Result<RsaComponents> factory_rsa() {
  static std::mutex mu;
  static std::optional<RsaComponents> cached;
  std::lock_guard lock(mu);
  if (!cached) {
    const char* file = std::getenv("SE05X_SIM_FACTORY_RSA_KEY");
    SX_ASSIGN(RsaComponents c, file && *file ? factory_rsa_from_file(file) : rsa_generate(2048));
    cached = std::move(c);
  }
  return *cached;
}

Bytes policy_for_everyone(uint32_t rules) {
  Bytes p{8, 0, 0, 0, 0};
  put_u32(p, rules);
  return p;
}

Status add_name(X509_NAME* n, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                 -1, 0) != 1)
    return factory_error("name");
  return {};
}

Status add_ext(X509* x, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return factory_error("extension");
  const int ok = X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? Status{} : Status{factory_error("extension")};
}

// subject_key == ca_key and subject_cn == ca_cn: the self-signed CA certificate.
Result<Bytes> make_cert(EVP_PKEY* subject_key, const std::string& subject_cn, EVP_PKEY* ca_key,
                        const std::string& ca_cn, ByteView serial) {
  ossl::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), 2) != 1) return factory_error("X509_new");
  ossl::Bn sn = ossl::bn_from(serial);
  if (!sn || !BN_to_ASN1_INTEGER(sn.get(), X509_get_serialNumber(x.get()))) return factory_error("serial");
  if (!X509_gmtime_adj(X509_getm_notBefore(x.get()), -86400L) ||
      !X509_gmtime_adj(X509_getm_notAfter(x.get()), 20L * 365 * 86400))
    return factory_error("validity");
  std::unique_ptr<X509_NAME, ossl::X509NameFree> subj(X509_NAME_new()), iss(X509_NAME_new());
  if (!subj || !iss) return factory_error("name");
  SX_TRY(add_name(subj.get(), "O", "Simulated NXP"));
  SX_TRY(add_name(subj.get(), "CN", subject_cn));
  SX_TRY(add_name(iss.get(), "O", "Simulated NXP"));
  SX_TRY(add_name(iss.get(), "CN", ca_cn));
  if (X509_set_subject_name(x.get(), subj.get()) != 1 || X509_set_issuer_name(x.get(), iss.get()) != 1 ||
      X509_set_pubkey(x.get(), subject_key) != 1)
    return factory_error("names/key");
  if (subject_key == ca_key) {
    SX_TRY(add_ext(x.get(), NID_basic_constraints, "critical,CA:TRUE"));
    SX_TRY(add_ext(x.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  }
  if (X509_sign(x.get(), ca_key, EVP_sha256()) <= 0) return factory_error("sign");
  unsigned char* der = nullptr;
  const int len = i2d_X509(x.get(), &der);
  if (len <= 0) return factory_error("encode");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

SecureObject provisioned(uint32_t id, ObjectKind kind, uint32_t rules) {
  SecureObject o;
  o.id = id;
  o.kind = kind;
  o.origin = se05x::Origin::Provisioned;
  o.policy = policy_for_everyone(rules);
  return o;
}

}  // namespace

Result<Store> make_factory_image(const Variant& v) {
  Store s;
  Bytes uid(18);
  if (RAND_bytes(uid.data(), static_cast<int>(uid.size())) != 1) return factory_error("random");
  uid[0] = 0x04;  // keep the serial (cert UID) positive and recognisable
  uid[2] = 0x50;
  const Bytes cert_uid{uid[2], uid[3], uid[8], uid[9], uid[10], uid[11], uid[12], uid[13], uid[14], uid[15]};
  const std::string device = std::string(v.name) + " simulated device " + to_hex(cert_uid);
  const std::string ca_cn = "Simulated NXP " + std::string(v.name) + " CA";

  SecureObject uid_obj = provisioned(oid::kUniqueId, ObjectKind::Binary, pol::kAllowRead);
  uid_obj.data = uid;
  s.objects.emplace(uid_obj.id, std::move(uid_obj));

  const CurveInfo* p256 = find_curve(static_cast<uint8_t>(se05x::Curve::NistP256));
  SX_ASSIGN(EcKeyBytes ca, ec_generate(*p256));
  SecureObject ca_obj;
  ca_obj.kind = ObjectKind::EcPair;
  ca_obj.curve = p256->id;
  ca_obj.ec_priv = ca.priv;
  ca_obj.ec_pub = ca.pub;
  SX_ASSIGN(ossl::Pkey ca_key, ec_pkey(ca_obj));
  secure_wipe(ca_obj.ec_priv);
  const Bytes ca_serial{0x01};
  SX_ASSIGN(s.factory_ca_cert, make_cert(ca_key.get(), ca_cn, ca_key.get(), ca_cn, ca_serial));

  const uint32_t key_rules = pol::kAllowSign | pol::kAllowVerify | pol::kAllowKeyAgreement | pol::kAllowEncrypt |
                             pol::kAllowDecrypt | pol::kAllowRead;
  SecureObject ec = provisioned(oid::kFactoryEcKey, ObjectKind::EcPair, key_rules);
  SX_ASSIGN(EcKeyBytes eck, ec_generate(*p256));
  ec.curve = p256->id;
  ec.ec_priv = eck.priv;
  ec.ec_pub = eck.pub;
  SX_ASSIGN(ossl::Pkey ec_key, ec_pkey(ec));
  SecureObject ec_cert = provisioned(oid::kFactoryEcCert, ObjectKind::Binary, pol::kAllowRead);
  SX_ASSIGN(ec_cert.data, make_cert(ec_key.get(), device, ca_key.get(), ca_cn, cert_uid));
  s.objects.emplace(ec.id, std::move(ec));
  s.objects.emplace(ec_cert.id, std::move(ec_cert));

  if (v.rsa) {
    SecureObject rsa = provisioned(oid::kFactoryRsaKey, ObjectKind::RsaPair, key_rules);
    rsa.rsa_bits = 2048;
    rsa.rsa_crt = true;
    SX_ASSIGN(rsa.rsa, factory_rsa());
    rsa.rsa.erase(se05x::tag::k9);  // a CRT key keeps p, q, dp, dq, qinv, e, n
    SX_ASSIGN(ossl::Pkey rsa_key, rsa_pkey(rsa));
    SecureObject rsa_cert = provisioned(oid::kFactoryRsaCert, ObjectKind::Binary, pol::kAllowRead);
    SX_ASSIGN(rsa_cert.data, make_cert(rsa_key.get(), device, ca_key.get(), ca_cn, cert_uid));
    s.objects.emplace(rsa.id, std::move(rsa));
    s.objects.emplace(rsa_cert.id, std::move(rsa_cert));
  }
  return s;
}

}  // namespace sx::sim
