// RSA decryption through the chip's raw private operation; encryption on the host.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "chip_fixture.h"
#include "mech_helpers.h"
#include "support/ossl_check.h"
#include "token/mech/decrypt_operation.h"
#include "token/mech/rsa_padding.h"

namespace sx::token::test {
namespace {

using sx::testing::random_bytes;
using sx::testing::rsa_encrypt;

EVP_PKEY* pub() { return Chip::get().rsa().public_key.get(); }

CK_RV decrypt(CK_MECHANISM& m, ByteView ct, Bytes& pt) {
  DecryptOperation op;
  const CK_RV rv = op.init({}, m, Chip::get().rsa());
  if (rv != CKR_OK) return rv;
  return op.decrypt(Chip::get().client(), ct, pt);
}

// Raw-encrypts a hand-made 256-byte block (to build bad paddings).
Bytes raw_encrypt(ByteView block) { return rsa_encrypt(pub(), "none", block); }

TEST(RsaDecrypt, Pkcs1RoundTrips) {
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  for (size_t len : {0u, 1u, 16u, 32u, 245u}) {
    const Bytes msg = random_bytes(len);
    const Bytes ct = rsa_encrypt(pub(), "pkcs1", msg);
    ASSERT_EQ(ct.size(), 256u);
    Bytes pt;
    ASSERT_EQ(decrypt(m, ct, pt), CKR_OK) << len;
    EXPECT_EQ(pt, msg);
  }
}

TEST(RsaDecrypt, Pkcs1BadPaddingRejected) {
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  auto block = [] {
    Bytes b(256, 0x11);
    b[0] = 0x00;
    b[1] = 0x02;
    b[200] = 0x00;
    return b;
  };
  Bytes pt;
  Bytes good = block();
  ASSERT_EQ(decrypt(m, raw_encrypt(good), pt), CKR_OK);
  EXPECT_EQ(pt.size(), 55u);
  Bytes b = block();
  b[0] = 0x01;
  EXPECT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_ENCRYPTED_DATA_INVALID);
  b = block();
  b[1] = 0x01;  // type 1 is a signature block
  EXPECT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_ENCRYPTED_DATA_INVALID);
  b = block();
  b[200] = 0x11;  // no separator at all
  EXPECT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_ENCRYPTED_DATA_INVALID);
  b = block();
  b[9] = 0x00;  // PS of 7 bytes
  EXPECT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_ENCRYPTED_DATA_INVALID);
  b = block();
  b[10] = 0x00;  // PS of exactly 8 bytes is fine
  ASSERT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_OK);
  EXPECT_EQ(pt.size(), 245u);
  b = block();
  b[255] = 0x00;
  b[200] = 0x11;  // separator is the last byte: empty message
  ASSERT_EQ(decrypt(m, raw_encrypt(b), pt), CKR_OK);
  EXPECT_TRUE(pt.empty());
}

TEST(RsaDecrypt, CiphertextShapeErrors) {
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  Bytes pt;
  EXPECT_EQ(decrypt(m, Bytes(255, 1), pt), CKR_ENCRYPTED_DATA_LEN_RANGE);
  EXPECT_EQ(decrypt(m, Bytes(257, 1), pt), CKR_ENCRYPTED_DATA_LEN_RANGE);
  EXPECT_EQ(decrypt(m, Bytes(256, 0xFF), pt), CKR_ENCRYPTED_DATA_INVALID);  // >= n
}

TEST(RsaDecrypt, OaepRoundTripsEveryHashAndLabel) {
  struct H {
    CK_MECHANISM_TYPE hash;
    CK_RSA_PKCS_MGF_TYPE mgf;
    const EVP_MD* md;
  };
  const H hashes[] = {{CKM_SHA_1, CKG_MGF1_SHA1, EVP_sha1()},
                      {CKM_SHA224, CKG_MGF1_SHA224, EVP_sha224()},
                      {CKM_SHA256, CKG_MGF1_SHA256, EVP_sha256()},
                      {CKM_SHA384, CKG_MGF1_SHA384, EVP_sha384()},
                      {CKM_SHA512, CKG_MGF1_SHA512, EVP_sha512()}};
  Bytes label = {'g', 'g'};
  for (const auto& h : hashes) {
    for (bool with_label : {false, true}) {
      SCOPED_TRACE(::testing::Message() << h.hash << " label " << with_label);
      const size_t max = 256 - 2 * static_cast<size_t>(EVP_MD_get_size(h.md)) - 2;
      const Bytes msg = random_bytes(max);
      const Bytes ct = rsa_encrypt(pub(), "oaep", msg, h.md, h.md, with_label ? ByteView(label) : ByteView());
      ASSERT_EQ(ct.size(), 256u);
      CK_RSA_PKCS_OAEP_PARAMS p{h.hash, h.mgf, CKZ_DATA_SPECIFIED, with_label ? label.data() : nullptr,
                                with_label ? label.size() : 0};
      CK_MECHANISM m = mech(CKM_RSA_PKCS_OAEP, p);
      DecryptOperation op;
      ASSERT_EQ(op.init({}, m, Chip::get().rsa()), CKR_OK);
      EXPECT_EQ(op.max_output_length(), max);
      Bytes pt;
      ASSERT_EQ(op.decrypt(Chip::get().client(), ct, pt), CKR_OK);
      EXPECT_EQ(pt, msg);
      // Wrong label / wrong hash: one error for all.
      CK_RSA_PKCS_OAEP_PARAMS wrong = p;
      Bytes other = {'x'};
      wrong.pSourceData = other.data();
      wrong.ulSourceDataLen = 1;
      CK_MECHANISM mw = mech(CKM_RSA_PKCS_OAEP, wrong);
      EXPECT_EQ(decrypt(mw, ct, pt), CKR_ENCRYPTED_DATA_INVALID);
    }
  }
}

TEST(RsaDecrypt, OaepWithDifferentMgfHash) {
  const Bytes msg = random_bytes(20);
  const Bytes ct = rsa_encrypt(pub(), "oaep", msg, EVP_sha256(), EVP_sha1());
  CK_RSA_PKCS_OAEP_PARAMS p{CKM_SHA256, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, nullptr, 0};
  CK_MECHANISM m = mech(CKM_RSA_PKCS_OAEP, p);
  Bytes pt;
  ASSERT_EQ(decrypt(m, ct, pt), CKR_OK);
  EXPECT_EQ(pt, msg);
  // The same hash for the MGF (what the sender did not use) fails.
  CK_RSA_PKCS_OAEP_PARAMS same{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
  CK_MECHANISM ms = mech(CKM_RSA_PKCS_OAEP, same);
  EXPECT_EQ(decrypt(ms, ct, pt), CKR_ENCRYPTED_DATA_INVALID);
}

TEST(RsaDecrypt, OaepTamperedBlocksRejected) {
  const Bytes msg = random_bytes(40);
  const Bytes ct = rsa_encrypt(pub(), "oaep", msg, EVP_sha256(), EVP_sha256());
  CK_MECHANISM raw = mech(CKM_RSA_X_509);
  Bytes em;
  ASSERT_EQ(decrypt(raw, ct, em), CKR_OK);  // the encoded block itself
  ASSERT_EQ(em.size(), 256u);
  CK_RSA_PKCS_OAEP_PARAMS p{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
  CK_MECHANISM oaep = mech(CKM_RSA_PKCS_OAEP, p);
  Bytes pt;
  ASSERT_EQ(decrypt(oaep, raw_encrypt(em), pt), CKR_OK);
  EXPECT_EQ(pt, msg);
  for (size_t at : {size_t{0}, size_t{5}, size_t{40}, size_t{100}, size_t{200}, size_t{255}}) {
    Bytes bad = em;
    bad[at] ^= 0x01;  // Y byte, masked seed, masked lHash/PS, separator region, message
    // Any change of maskedDB also changes the seed mask, so every position fails.
    EXPECT_EQ(decrypt(oaep, raw_encrypt(bad), pt), CKR_ENCRYPTED_DATA_INVALID) << at;
  }
}

TEST(RsaDecrypt, OaepParameterValidation) {
  Bytes pt;
  const Bytes ct(256, 1);
  CK_RSA_PKCS_OAEP_PARAMS bad_source{CKM_SHA256, CKG_MGF1_SHA256, 7, nullptr, 0};
  CK_MECHANISM m1 = mech(CKM_RSA_PKCS_OAEP, bad_source);
  EXPECT_EQ(decrypt(m1, ct, pt), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_OAEP_PARAMS null_label{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 4};
  CK_MECHANISM m2 = mech(CKM_RSA_PKCS_OAEP, null_label);
  EXPECT_EQ(decrypt(m2, ct, pt), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_OAEP_PARAMS zero_source{CKM_SHA256, CKG_MGF1_SHA256, 0, nullptr, 0};  // tolerated
  CK_MECHANISM m3 = mech(CKM_RSA_PKCS_OAEP, zero_source);
  DecryptOperation op;
  EXPECT_EQ(op.init({}, m3, Chip::get().rsa()), CKR_OK);
  CK_MECHANISM none = mech(CKM_RSA_PKCS_OAEP);
  EXPECT_EQ(op.init({}, none, Chip::get().rsa()), CKR_MECHANISM_PARAM_INVALID);
}

TEST(RsaDecrypt, LengthQueryDoesNotRedoTheChipOperation) {
  const Bytes msg = random_bytes(48);
  const Bytes ct = rsa_encrypt(pub(), "pkcs1", msg);
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  DecryptOperation op;
  ASSERT_EQ(op.init({}, m, Chip::get().rsa()), CKR_OK);
  EXPECT_EQ(op.max_output_length(), 245u);
  Bytes first;
  ASSERT_EQ(op.decrypt(Chip::get().client(), ct, first), CKR_OK);
  EXPECT_EQ(first.size(), 48u);
  const uint64_t before = Chip::get().sim().stats().total.count;
  Bytes second;
  ASSERT_EQ(op.decrypt(Chip::get().client(), ct, second), CKR_OK);
  EXPECT_EQ(second, msg);
  EXPECT_EQ(Chip::get().sim().stats().total.count, before);
}

TEST(RsaDecrypt, RawX509) {
  CK_MECHANISM m = mech(CKM_RSA_X_509);
  Bytes block = random_bytes(256);
  block[0] = 0x00;
  Bytes pt;
  ASSERT_EQ(decrypt(m, raw_encrypt(block), pt), CKR_OK);
  EXPECT_EQ(pt, block);
}

TEST(RsaEncrypt, HostEncryptionRoundTrips) {
  const Bytes msg = random_bytes(64);
  CK_RSA_PKCS_OAEP_PARAMS p{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
  CK_MECHANISM mechs[] = {mech(CKM_RSA_PKCS), mech(CKM_RSA_PKCS_OAEP, p), mech(CKM_RSA_X_509)};
  for (auto& m : mechs) {
    EncryptOperation enc;
    ASSERT_EQ(enc.init({}, m, Chip::get().rsa()), CKR_OK);
    EXPECT_EQ(enc.output_length(), 256u);
    Bytes ct, pt;
    ASSERT_EQ(enc.encrypt(msg, ct), CKR_OK);
    EXPECT_EQ(ct.size(), 256u);
    ASSERT_EQ(decrypt(m, ct, pt), CKR_OK);
    if (m.mechanism == CKM_RSA_X_509) {
      EXPECT_EQ(Bytes(pt.end() - 64, pt.end()), msg);
    } else {
      EXPECT_EQ(pt, msg);
    }
    EXPECT_EQ(enc.encrypt(msg, ct), CKR_OPERATION_NOT_INITIALIZED);
  }
  EncryptOperation enc;
  CK_MECHANISM v15 = mech(CKM_RSA_PKCS);
  ASSERT_EQ(enc.init({}, v15, Chip::get().rsa()), CKR_OK);
  Bytes ct;
  EXPECT_EQ(enc.encrypt(random_bytes(246), ct), CKR_DATA_LEN_RANGE);
}

}  // namespace
}  // namespace sx::token::test
