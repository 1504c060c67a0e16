// Factory (trust-provisioned) image: keys, certificates, unique ID, read-only rules.
#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <filesystem>

#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;
namespace oid = se05x::objid;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::unique_ptr<X509, X509Free> parse_cert(const Bytes& der) {
  const unsigned char* p = der.data();
  return std::unique_ptr<X509, X509Free>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string cn_of(const X509_NAME* n) {
  char buf[256] = {};
  X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(n), NID_commonName, buf, sizeof buf);
  return buf;
}

TEST(SimFactory, EcKeyAndCertificateMatch) {
  Card c;
  c.select();
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x26, id_tlv(oid::kFactoryEcKey)).data, hex("410101420101"));
  const Bytes point = value(c.cmd(0x02, 0x00, 0x00, id_tlv(oid::kFactoryEcKey), se05x::LeMode::Extended));
  ASSERT_EQ(point.size(), 65u);
  const Bytes der = read_binary(c, oid::kFactoryEcCert);
  auto cert = parse_cert(der);
  ASSERT_TRUE(cert);
  EVP_PKEY* cert_key = X509_get0_pubkey(cert.get());
  ASSERT_NE(cert_key, nullptr);
  Bytes cert_point(65);
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(cert_key, OSSL_PKEY_PARAM_PUB_KEY, cert_point.data(), cert_point.size(), &len);
  EXPECT_EQ(cert_point, point);
  EXPECT_NE(cn_of(X509_get_issuer_name(cert.get())).find("Simulated NXP"), std::string::npos);
  EXPECT_NE(cn_of(X509_get_subject_name(cert.get())).find("SE050C"), std::string::npos);
  // Serial = the 10-byte cert UID taken from the unique ID.
  const Bytes uid = read_binary(c, oid::kUniqueId);
  ASSERT_EQ(uid.size(), 18u);
  const Bytes cert_uid = {uid[2], uid[3], uid[8], uid[9], uid[10], uid[11], uid[12], uid[13], uid[14], uid[15]};
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  Bytes sn(10);
  BN_bn2binpad(serial, sn.data(), 10);
  BN_free(serial);
  EXPECT_EQ(sn, cert_uid);
  // The factory key signs (no curve object needed) and the certificate key verifies.
  const Bytes digest = sha256(hex("00"));
  auto s = c.cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, oid::kFactoryEcKey).u8(t::k2, 0x21).bytes(t::k3, digest).take());
  ASSERT_EQ(s.sw, 0x9000);
  EXPECT_TRUE(verify_der(cert_key, digest, value(s)));
}

// The factory certificates chain to the simulated NXP CA, whose self-signed certificate the
// simulator keeps (and se05x-sim --print-factory-ca prints) so brokers can trust devices.
TEST(SimFactory, FactoryCertificatesChainToTheKeptCa) {
  Card c;
  c.select();
  auto ca = parse_cert(c.sim->factory_ca_certificate());
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  ASSERT_EQ(X509_STORE_add_cert(store.get(), ca.get()), 1);
  for (uint32_t id : {oid::kFactoryEcCert, oid::kFactoryRsaCert}) {
    auto leaf = parse_cert(read_binary(c, id));
    ASSERT_TRUE(leaf);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    ASSERT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr), 1);
    EXPECT_EQ(X509_verify_cert(ctx.get()), 1) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  // Kept across a reopen of the NVM file.
  const auto path = std::filesystem::temp_directory_path() / ("sxsim-ca-" + std::to_string(::getpid()) + ".nvm");
  std::filesystem::remove(path);
  Config cfg = make_cfg("SE050C", path.string());
  Bytes first;
  {
    Card a(cfg);
    first = a.sim->factory_ca_certificate();
  }
  {
    Card b(cfg);
    EXPECT_FALSE(first.empty());
    EXPECT_EQ(b.sim->factory_ca_certificate(), first);
  }
  std::filesystem::remove(path);
}

TEST(SimFactory, RsaKeyAndCertificateMatch) {
  Card c;
  c.select();
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x26, id_tlv(oid::kFactoryRsaKey)).data, hex("410105420101"));
  const Bytes n = value(c.cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, oid::kFactoryRsaKey).u8(t::k4, 0).take(),
                              se05x::LeMode::Extended));
  auto cert = parse_cert(read_binary(c, oid::kFactoryRsaCert));
  ASSERT_TRUE(cert);
  EVP_PKEY* k = X509_get0_pubkey(cert.get());
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn);
  Bytes cn(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, cn.data());
  BN_free(bn);
  EXPECT_EQ(cn, n);
  const Bytes msg = hex("CAFE");
  auto s = c.cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, oid::kFactoryRsaKey).u8(t::k2, 0x28).bytes(t::k3, msg).take(),
                 se05x::LeMode::Extended);
  ASSERT_EQ(s.sw, 0x9000);
  EVP_MD_CTX* m = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestVerifyInit(m, nullptr, EVP_sha256(), nullptr, k), 1);
  const Bytes sig = value(s);
  EXPECT_EQ(EVP_DigestVerify(m, sig.data(), sig.size(), msg.data(), msg.size()), 1);
  EVP_MD_CTX_free(m);
}

TEST(SimFactory, ProvisionedObjectsAreReadOnlyAndUndeletable) {
  Card c;
  c.select();
  for (uint32_t id : {oid::kFactoryEcKey, oid::kFactoryEcCert, oid::kFactoryRsaKey, oid::kFactoryRsaCert, oid::kUniqueId}) {
    SCOPED_TRACE(id);
    EXPECT_EQ(c.sw(0x04, 0x00, 0x28, id_tlv(id)), 0x6986);
    auto attr = c.cmd(0x02, 0x00, 0x3B, id_tlv(id));
    ASSERT_EQ(attr.sw, 0x9000);
    EXPECT_EQ(attr.data.back(), 0x03);  // origin PROVISIONED
  }
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, oid::kFactoryEcCert).bytes(t::k4, hex("00")).take()), 0x6986);
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, oid::kUniqueId).bytes(t::k4, hex("00")).take()), 0x6986);
  EXPECT_EQ(c.sw(0x01, 0x01, 0x00, id_tlv(oid::kFactoryEcKey)), 0x6986);
  EXPECT_EQ(c.sw(0x01, 0x02, 0x00, TlvWriter().u32(t::k1, oid::kFactoryRsaKey).bytes(t::k8, hex("03")).take()), 0x6986);
  // Creating other reserved IDs is refused; the unique ID is read like the MW does (offset 0, length 18).
  EXPECT_EQ(c.sw(0x01, 0x06, 0x00, TlvWriter().u32(t::k1, 0x7FFF0207).u16(t::k3, 4).take()), 0x6A80);
  auto u = c.cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, oid::kUniqueId).u16(t::k3, 18).take(), se05x::LeMode::Extended);
  EXPECT_EQ(u.sw, 0x9000);
  EXPECT_EQ(u.data.size(), 20u);
  // Two devices differ.
  Card d;
  d.select();
  EXPECT_NE(read_binary(d, oid::kUniqueId), read_binary(c, oid::kUniqueId));
}

}  // namespace
}  // namespace sx::sim::test
