#include "token_test_util.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <atomic>
#include <random>

namespace sx::token::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  static std::atomic<int> n{0};
  std::random_device rd;
  dir_ = fs::temp_directory_path() / ("sx_token_test_" + std::to_string(rd()) + "_" + std::to_string(n++));
  fs::create_directories(dir_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

const std::string& factory_nvm() {
  static TempDir* dir = new TempDir();  // lives for the whole run (one factory image)
  static const std::string path = [] {
    const std::string p = dir->path("factory.nvm");
    sim::Config cfg;
    cfg.nvm_path = p;
    cfg.fsync = false;
    auto s = sim::Simulator::open(cfg);
    if (!s.ok()) {
      ADD_FAILURE() << s.error().to_string();
      return std::string();
    }
    return p;
  }();
  return path;
}

std::unique_ptr<Chip> Chip::open_file(const std::string& nvm) {
  auto c = std::make_unique<Chip>();
  sim::Config cfg;
  cfg.nvm_path = nvm;
  cfg.fsync = false;
  auto s = sim::Simulator::open(cfg);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().to_string();
    return nullptr;
  }
  c->sim = std::move(*s);
  c->raw = std::make_unique<sx::testing::SimChannel>(*c->sim);
  c->ch = std::make_unique<CountingChannel>(*c->raw);
  return c;
}

std::unique_ptr<Chip> Chip::fresh(TempDir& dir, const std::string& name) {
  const std::string p = dir.path(name);
  fs::copy_file(factory_nvm(), p, fs::copy_options::overwrite_existing);
  return open_file(p);
}

TokenOptions test_options(const std::string& lock_path) {
  TokenOptions o;
  o.lock_path = lock_path;
  o.pin_iterations = kMinPinIterations;
  return o;
}

std::unique_ptr<Token> open_token(link::ApduChannel& ch, const TokenOptions& opt) {
  auto t = Token::open(ch, opt);
  if (!t.ok()) {
    ADD_FAILURE() << "Token::open: " << t.error().to_string();
    return nullptr;
  }
  return std::move(*t);
}

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey gen_key(bool ec, int nid = NID_X9_62_prime256v1) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(ec ? EVP_PKEY_EC : EVP_PKEY_RSA, nullptr);
  EVP_PKEY* k = nullptr;
  if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
      (ec ? EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid) : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048)) == 1)
    EVP_PKEY_keygen(ctx, &k);
  EVP_PKEY_CTX_free(ctx);
  return Pkey(k);
}

}  // namespace

Bytes make_cert_der(const std::string& cn, bool ec) {
  Pkey k = gen_key(ec);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_NAME* n = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, n);
  X509_set_pubkey(x, k.get());
  X509_sign(x, k.get(), EVP_sha256());
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  Bytes out;
  if (len > 0) out.assign(der, der + len);
  OPENSSL_free(der);
  X509_free(x);
  return out;
}

Bytes make_ec_private_der(int nid) {
  Pkey k = gen_key(true, nid);
  unsigned char* der = nullptr;
  const int len = i2d_PrivateKey(k.get(), &der);
  Bytes out;
  if (len > 0) out.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

const Object* find_one(const Token& t, const std::string& label, ObjectClass cls) {
  const Object* found = nullptr;
  for (const auto& o : t.objects()) {
    if (o.label != label || o.cls != cls) continue;
    if (found) {
      ADD_FAILURE() << "two " << class_name(cls) << " objects labelled " << label;
      return nullptr;
    }
    found = &o;
  }
  return found;
}

size_t count_class(const Token& t, ObjectClass cls) {
  size_t n = 0;
  for (const auto& o : t.objects()) n += o.cls == cls;
  return n;
}

}  // namespace sx::token::test
