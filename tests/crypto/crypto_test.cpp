// The crypto boundary on its own: the digest table, EC encodings, public
// keys built one way (with the on-curve check), X.509 fields, PBKDF2 with
// the old PKCS5_PBKDF2_HMAC rules -- all on crypto::libctx().
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "crypto/digest.h"
#include "crypto/ec.h"
#include "crypto/libctx.h"
#include "crypto/public_key.h"
#include "crypto/x509_fields.h"

namespace sx::crypto {
namespace {

constexpr int kP256 = NID_X9_62_prime256v1;

// A fresh P-256 key on our context and its uncompressed point.
ossl::Pkey p256_key(Bytes& point) {
  ossl::Pkey k(EVP_PKEY_Q_keygen(libctx(), kPropq, "EC", "P-256"));
  point.assign(65, 0);
  size_t len = 0;
  if (!k || EVP_PKEY_get_octet_string_param(k.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &len) != 1)
    point.clear();
  return k;
}

TEST(CryptoDigest, OneTableOfShaDigests) {
  const std::pair<Digest, size_t> sizes[] = {
      {Digest::Sha1, 20}, {Digest::Sha224, 28}, {Digest::Sha256, 32}, {Digest::Sha384, 48}, {Digest::Sha512, 64}};
  for (auto [d, n] : sizes) {
    EXPECT_EQ(digest_size(d), n);
    ASSERT_NE(md(d), nullptr);
    EXPECT_EQ(md_size(md(d)), n);
    EXPECT_EQ(EVP_MD_get_type(md(d)), digest_info(d).nid);
    EXPECT_EQ(digest_of_size(n), d);
  }
  EXPECT_FALSE(digest_of_size(16).has_value());
  EXPECT_EQ(to_hex(*hash(Digest::Sha256, Bytes{'a', 'b', 'c'})),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
}

TEST(CryptoDigest, Pbkdf2KeepsTheLenientPkcs5Rules) {
  // A 4-byte salt and one iteration: below the SP 800-132 bounds the KDF
  // enforces by default, accepted by PKCS5_PBKDF2_HMAC (which PIN verifiers used).
  const Bytes salt = {'s', 'a', 'l', 't'};
  Bytes ours(32), theirs(32);
  ASSERT_TRUE(pbkdf2_sha256("passwd", salt, 1, ours.data(), ours.size()));
  ASSERT_EQ(PKCS5_PBKDF2_HMAC("passwd", 6, salt.data(), 4, 1, EVP_sha256(), 32, theirs.data()), 1);
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(to_hex(ByteView(ours).first(8)), "55AC046E56E3089F");  // RFC 7914, section 11
}

TEST(CryptoEc, NamedCurveParametersAndPoints) {
  EXPECT_EQ(to_hex(*ec_params_der(kP256)), "06082A8648CE3D030107");
  EXPECT_EQ(nid_of_ec_params(hex("06082A8648CE3D030107")), kP256);
  EXPECT_FALSE(nid_of_ec_params(hex("06082A8648CE3D03010700")));  // trailing byte
  EXPECT_FALSE(ec_params_der(NID_undef).ok());
  const auto sizes = ec_sizes(NID_secp521r1);
  ASSERT_TRUE(sizes.ok());
  EXPECT_EQ(sizes->field_bits, 521u);
  EXPECT_EQ(sizes->order_bits, 521u);
  EXPECT_FALSE(ec_group(NID_undef).ok());
}

TEST(CryptoPublicKey, EcPointMustLieOnTheCurve) {
  Bytes point;
  auto key = p256_key(point);
  ASSERT_TRUE(key && point.size() == 65);
  auto built = ec_public_key(kP256, 32, point);
  ASSERT_TRUE(built.ok()) << built.error().to_string();
  EXPECT_EQ(EVP_PKEY_eq(built->get(), key.get()), 1);
  EXPECT_TRUE(ec_point_valid(kP256, 32, point));

  Bytes off = point;
  off.back() ^= 0x01;  // y + 1 (or - 1): no longer on the curve
  EXPECT_FALSE(ec_point_valid(kP256, 32, off));
  auto bad = ec_public_key(kP256, 32, off);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::Malformed);
  EXPECT_FALSE(ec_public_key(kP256, 32, Bytes{0x00}).ok());  // the point at infinity
  EXPECT_FALSE(ec_public_key(kP256, 32, ByteView(point).first(33)).ok());  // compressed size
  EXPECT_FALSE(ec_public_key(NID_secp384r1, 48, point).ok());  // another curve's size
}

TEST(CryptoPublicKey, SpkiBuiltByHandEqualsOpenSsls) {
  Bytes point;
  auto key = p256_key(point);
  ASSERT_TRUE(key);
  auto ours = ec_spki_der(kP256, point);
  auto theirs = spki_der(key.get());
  ASSERT_TRUE(ours.ok() && theirs.ok());
  EXPECT_EQ(*ours, *theirs);
  auto back = public_key_from_spki(*ours);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(EVP_PKEY_eq(back->get(), key.get()), 1);
  Bytes trailing = *ours;
  trailing.push_back(0);
  EXPECT_FALSE(public_key_from_spki(trailing).ok());

  // RSA: leading zeros of n and e do not matter; a zero modulus is refused.
  const Bytes n = hex("00C5F1D1B3A7E5F90B1D3F5A7C9E1B3D5F7A9C1E3B5D7F9A1C3E5B7D9F1A3C5E7B");
  auto rsa = rsa_public_key(n, Bytes{0x00, 0x01, 0x00, 0x01});
  ASSERT_TRUE(rsa.ok()) << rsa.error().to_string();
  EXPECT_EQ(EVP_PKEY_get_bits(rsa->get()), 256);
  EXPECT_EQ(*spki_der(rsa->get()), *rsa_spki_der(n, Bytes{0x01, 0x00, 0x01}));
  EXPECT_FALSE(rsa_public_key(Bytes{0x00}, Bytes{0x03}).ok());
}

TEST(CryptoX509, FieldsOfACertificateMadeOnOurContext) {
  Bytes point;
  auto key = p256_key(point);
  ossl::X509Ptr x(X509_new_ex(libctx(), kPropq));
  ASSERT_TRUE(key && x);
  X509_NAME* name = X509_get_subject_name(x.get());
  ASSERT_EQ(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("sx"), -1,
                                       -1, 0),
            1);
  ASSERT_EQ(X509_set_issuer_name(x.get(), name), 1);
  ASSERT_EQ(ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 7), 1);
  ASSERT_TRUE(X509_gmtime_adj(X509_getm_notBefore(x.get()), 0) && X509_gmtime_adj(X509_getm_notAfter(x.get()), 60));
  ASSERT_EQ(X509_set_pubkey(x.get(), key.get()), 1);
  ASSERT_GT(X509_sign(x.get(), key.get(), md(Digest::Sha256)), 0);
  const Bytes der = ossl::der_of(x.get(), i2d_X509);
  auto f = parse_x509(der);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->subject, f->issuer);
  EXPECT_EQ(to_hex(f->serial), "020107");
  EXPECT_EQ(f->spki, *spki_der(key.get()));
  const Bytes sha1 = *hash(Digest::Sha1, der);
  EXPECT_EQ(f->check_value, Bytes(sha1.begin(), sha1.begin() + 3));
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(parse_x509(trailing).ok());
  EXPECT_FALSE(x509_from_der(Bytes{0x30, 0x00}).ok());
}

}  // namespace
}  // namespace sx::crypto
