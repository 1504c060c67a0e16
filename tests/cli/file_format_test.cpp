#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "cli/file_format.h"

namespace sx::cli {
namespace {

struct Fixture {
  ossl::Pkey key;
  ossl::X509Ptr cert;
  Fixture() {
    key.reset(EVP_EC_gen("P-256"));
    cert.reset(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* n = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("t"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), n);
    X509_sign(cert.get(), key.get(), EVP_sha256());
  }
  Bytes cert_der() const {
    unsigned char* p = nullptr;
    const int n = i2d_X509(cert.get(), &p);
    Bytes b(p, p + n);
    OPENSSL_free(p);
    return b;
  }
  static Bytes bio_bytes(BIO* b) {
    char* p = nullptr;
    const long n = BIO_get_mem_data(b, &p);
    Bytes out(p, p + n);
    BIO_free(b);
    return out;
  }
  Bytes key_pem(const char* pass = nullptr) const {
    BIO* b = BIO_new(BIO_s_mem());
    if (pass) PEM_write_bio_PKCS8PrivateKey(b, key.get(), EVP_aes_256_cbc(), pass, static_cast<int>(strlen(pass)), nullptr, nullptr);
    else PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return bio_bytes(b);
  }
  Bytes key_der() const {
    unsigned char* p = nullptr;
    const int n = i2d_PrivateKey(key.get(), &p);
    Bytes b(p, p + n);
    OPENSSL_free(p);
    return b;
  }
  Bytes p12(const char* pass) const {
    PKCS12* p = PKCS12_create(pass, "k", key.get(), cert.get(), nullptr, 0, 0, 0, 0, 0);
    unsigned char* out = nullptr;
    const int n = i2d_PKCS12(p, &out);
    Bytes b(out, out + n);
    OPENSSL_free(out);
    PKCS12_free(p);
    return b;
  }
};

PasswordFn pw(const std::string& s, int* calls = nullptr) {
  return [s, calls]() -> Result<std::string> {
    if (calls) ++*calls;
    return s;
  };
}

TEST(FileFormat, Detects) {
  Fixture f;
  EXPECT_EQ(detect_format(f.key_pem()), FileFormat::Pem);
  EXPECT_EQ(detect_format(f.cert_der()), FileFormat::Der);
  EXPECT_EQ(detect_format(f.key_der()), FileFormat::Der);
  EXPECT_EQ(detect_format(f.p12("x")), FileFormat::Pkcs12);
  EXPECT_EQ(detect_format(Bytes{'h', 'i'}), FileFormat::Unknown);
  EXPECT_EQ(detect_format(Bytes{}), FileFormat::Unknown);
}

TEST(FileFormat, Certificates) {
  Fixture f;
  const Bytes der = f.cert_der();
  EXPECT_EQ(*load_certificate(der), der);
  const std::string pem = pem_certificate(der);
  EXPECT_EQ(*load_certificate(Bytes(pem.begin(), pem.end())), der);
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(load_certificate(trailing).ok());
  EXPECT_FALSE(load_certificate(f.key_pem()).ok());
  EXPECT_FALSE(load_certificate(Bytes(der.begin(), der.begin() + 40)).ok());
}

TEST(FileFormat, KeysInEveryForm) {
  Fixture f;
  int calls = 0;
  for (const Bytes& data : {f.key_pem(), f.key_der()}) {
    auto k = load_private_key(data, pw("unused", &calls));
    ASSERT_TRUE(k.ok()) << k.error().message;
    ASSERT_NE(k->material.ec(), nullptr);
    EXPECT_EQ(k->material.ec()->curve, se05x::Curve::NistP256);
    EXPECT_EQ(EVP_PKEY_eq(k->pkey.get(), f.key.get()), 1);
  }
  EXPECT_EQ(calls, 0);  // never asked for a password of a plain key
  auto enc = load_private_key(f.key_pem("s3cret"), pw("s3cret", &calls));
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  EXPECT_EQ(calls, 1);
  auto p12 = load_private_key(f.p12("pfx"), pw("pfx"));
  ASSERT_TRUE(p12.ok()) << p12.error().message;
  ASSERT_TRUE(p12->cert_der.has_value());
  EXPECT_EQ(*p12->cert_der, f.cert_der());
}

TEST(FileFormat, WrongPasswordAndCorruption) {
  Fixture f;
  auto a = load_private_key(f.key_pem("right"), pw("wrong"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, Errc::Crypto);
  auto b = load_private_key(f.p12("right"), pw("wrong"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::Crypto);
  auto c = load_private_key(Bytes{'j', 'u', 'n', 'k'}, pw(""));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::Malformed);
  Bytes d = f.key_der();
  d.resize(d.size() / 2);
  EXPECT_FALSE(load_private_key(d, pw("")).ok());
  // A password source that fails (no terminal) fails the load.
  auto e = load_private_key(f.p12("right"), []() -> Result<std::string> {
    return make_error(Errc::InvalidArgument, "no terminal");
  });
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "no terminal");
}

}  // namespace
}  // namespace sx::cli
