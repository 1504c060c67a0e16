// ECDSA signing on the simulated chip, verified with OpenSSL.
#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "chip_fixture.h"
#include "mech_helpers.h"
#include "support/ossl_check.h"
#include "token/mech/sign_operation.h"
#include "token/mech/verify_operation.h"

namespace sx::token::test {
namespace {

using sx::testing::random_bytes;
using sx::testing::verify_ecdsa_rs;

using se05x::Curve;

struct CurveCase {
  Curve curve;
  size_t half;
};
const CurveCase kCurves[] = {{Curve::NistP256, 32}, {Curve::NistP384, 48}, {Curve::NistP521, 66}};

Bytes sign_raw(const KeyRef& key, CK_MECHANISM_TYPE t, ByteView data, CK_RV* rv_out = nullptr) {
  SignOperation op;
  CK_MECHANISM m = mech(t);
  EXPECT_EQ(op.init({}, m, key), CKR_OK);
  Bytes sig;
  const CK_RV rv = op.sign(Chip::get().client(), data, sig);
  if (rv_out) *rv_out = rv;
  else EXPECT_EQ(rv, CKR_OK);
  EXPECT_FALSE(op.active());
  return sig;
}

TEST(EcdsaSign, AllLengthsAllCurvesVerifyWithOpenSsl) {
  for (const auto& c : kCurves) {
    const KeyRef& key = Chip::get().ec(c.curve);
    for (size_t len : {1u, 20u, 28u, 32u, 33u, 48u, 64u}) {
      Bytes input = random_bytes(len);
      input[0] |= 0x80;  // full-length value: truncation really changes e for long inputs
      SCOPED_TRACE(::testing::Message() << "curve " << int(c.curve) << " len " << len);
      Bytes sig = sign_raw(key, CKM_ECDSA, input);
      ASSERT_EQ(sig.size(), 2 * c.half);
      // OpenSSL applies the FIPS 186-4 truncation to the raw input itself.
      EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), input, sig));
      // Our own host verify agrees.
      VerifyOperation v;
      CK_MECHANISM m = mech(CKM_ECDSA);
      ASSERT_EQ(v.init({}, m, key), CKR_OK);
      EXPECT_EQ(v.verify(input, sig), CKR_OK);
    }
  }
}

TEST(EcdsaSign, LongInputsAreTruncatedLikeOpenSsl) {
  for (Curve curve : {Curve::NistP256, Curve::NistP384}) {
    const KeyRef& key = Chip::get().ec(curve);
    const size_t ob = curve == Curve::NistP256 ? 32 : 48;
    for (size_t len : {65u, 100u}) {
      Bytes input = random_bytes(len);
      Bytes sig = sign_raw(key, CKM_ECDSA, input);
      ASSERT_EQ(sig.size(), 2 * ob);
      EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), input, sig));
      // Exactly the leftmost order bytes were signed.
      EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), ByteView(input).first(ob), sig));
    }
  }
}

TEST(EcdsaSign, P521LongInputs) {
  const KeyRef& key = Chip::get().ec(Curve::NistP521);
  // 65 bytes with a non-zero top byte: e has 520 bits > the chip's 64-byte limit.
  Bytes big = random_bytes(65);
  big[0] = 0x01;
  CK_RV rv = CKR_OK;
  sign_raw(key, CKM_ECDSA, big, &rv);
  EXPECT_EQ(rv, CKR_DATA_LEN_RANGE);
  // 65 bytes starting with 00: e < 2^512, signable, and equals OpenSSL's e.
  Bytes fits = random_bytes(65);
  fits[0] = 0x00;
  Bytes sig = sign_raw(key, CKM_ECDSA, fits);
  ASSERT_EQ(sig.size(), 132u);
  EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), fits, sig));
  // 100 bytes: e = leftmost 521 bits = input >> 279; fits 64 bytes iff the top 9 bits are 0.
  Bytes hundred = random_bytes(100);
  hundred[0] = 0x00;
  hundred[1] &= 0x7F;
  sig = sign_raw(key, CKM_ECDSA, hundred);
  ASSERT_EQ(sig.size(), 132u);
  EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), hundred, sig));
  hundred[1] |= 0x80;
  sign_raw(key, CKM_ECDSA, hundred, &rv);
  EXPECT_EQ(rv, CKR_DATA_LEN_RANGE);
}

TEST(EcdsaSign, EmptyInputIsRejectedWithoutChipCall) {
  const KeyRef& key = Chip::get().ec(Curve::NistP256);
  CK_RV rv = CKR_OK;
  sign_raw(key, CKM_ECDSA, {}, &rv);
  EXPECT_EQ(rv, CKR_DATA_LEN_RANGE);
}

TEST(EcdsaSign, HashMechanismsSingleAndMultiPart) {
  struct H {
    CK_MECHANISM_TYPE m;
    const EVP_MD* md;
  };
  const H hashes[] = {{CKM_ECDSA_SHA1, EVP_sha1()},
                      {CKM_ECDSA_SHA224, EVP_sha224()},
                      {CKM_ECDSA_SHA256, EVP_sha256()},
                      {CKM_ECDSA_SHA384, EVP_sha384()},
                      {CKM_ECDSA_SHA512, EVP_sha512()}};
  const Bytes msg = random_bytes(300);
  for (const auto& c : kCurves) {
    const KeyRef& key = Chip::get().ec(c.curve);
    for (const auto& h : hashes) {
      SCOPED_TRACE(::testing::Message() << "curve " << int(c.curve) << " mech " << h.m);
      const Bytes digest = sx::testing::digest(h.md, msg);
      Bytes sig = sign_raw(key, h.m, msg);
      ASSERT_EQ(sig.size(), 2 * c.half);
      EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), digest, sig));

      SignOperation op;
      CK_MECHANISM m = mech(h.m);
      ASSERT_EQ(op.init({}, m, key), CKR_OK);
      EXPECT_TRUE(op.multipart());
      ASSERT_EQ(op.update(ByteView(msg).first(100)), CKR_OK);
      ASSERT_EQ(op.update({}), CKR_OK);
      ASSERT_EQ(op.update(ByteView(msg).subspan(100)), CKR_OK);
      EXPECT_EQ(op.sign(Chip::get().client(), msg, sig), CKR_OPERATION_ACTIVE);
      ASSERT_EQ(op.final(Chip::get().client(), sig), CKR_OK);
      EXPECT_TRUE(verify_ecdsa_rs(key.public_key.get(), digest, sig));
      EXPECT_EQ(op.final(Chip::get().client(), sig), CKR_OPERATION_NOT_INITIALIZED);

      VerifyOperation v;
      ASSERT_EQ(v.init({}, m, key), CKR_OK);
      ASSERT_EQ(v.update(msg), CKR_OK);
      EXPECT_EQ(v.final(sig), CKR_OK);
    }
  }
}

TEST(EcdsaSign, SignatureLengthKnownAtInit) {
  for (const auto& c : kCurves) {
    SignOperation op;
    CK_MECHANISM m = mech(CKM_ECDSA);
    ASSERT_EQ(op.init({}, m, Chip::get().ec(c.curve)), CKR_OK);
    EXPECT_EQ(op.signature_length(), 2 * c.half);
    // Asking again does not consume the operation.
    EXPECT_EQ(op.signature_length(), 2 * c.half);
    EXPECT_TRUE(op.active());
  }
}

TEST(EcdsaSign, SinglePartMechanismRefusesUpdate) {
  SignOperation op;
  CK_MECHANISM m = mech(CKM_ECDSA);
  ASSERT_EQ(op.init({}, m, Chip::get().ec(Curve::NistP256)), CKR_OK);
  EXPECT_FALSE(op.multipart());
  EXPECT_EQ(op.update(random_bytes(32)), CKR_FUNCTION_NOT_SUPPORTED);
  EXPECT_FALSE(op.active());
}

TEST(EcdsaVerify, RejectsBadSignatures) {
  const KeyRef& key = Chip::get().ec(Curve::NistP256);
  const Bytes hash = random_bytes(32);
  Bytes sig = sign_raw(key, CKM_ECDSA, hash);
  CK_MECHANISM m = mech(CKM_ECDSA);
  auto verify = [&](ByteView data, ByteView s) {
    VerifyOperation v;
    EXPECT_EQ(v.init({}, m, key), CKR_OK);
    return v.verify(data, s);
  };
  EXPECT_EQ(verify(hash, sig), CKR_OK);
  Bytes bad = sig;
  bad[10] ^= 1;
  EXPECT_EQ(verify(hash, bad), CKR_SIGNATURE_INVALID);
  EXPECT_EQ(verify(hash, ByteView(sig).first(63)), CKR_SIGNATURE_LEN_RANGE);
  Bytes longer = sig;
  longer.push_back(0);
  EXPECT_EQ(verify(hash, longer), CKR_SIGNATURE_LEN_RANGE);
  Bytes zero(64, 0);
  EXPECT_EQ(verify(hash, zero), CKR_SIGNATURE_INVALID);
  Bytes other = hash;
  other[0] ^= 0xFF;
  EXPECT_EQ(verify(other, sig), CKR_SIGNATURE_INVALID);
}

// The host check compares against the public key we hold: with another P-256
// public key it fails the signature (CKR_DEVICE_ERROR); check_ecdsa = false
// (the PKCS#11 module's default) returns the chip's signature unchecked.
TEST(EcdsaSign, HostCheckCanBeSkippedForEcdsaOnly) {
  const Bytes hash = random_bytes(32);
  KeyRef wrong = Chip::get().ec(Curve::NistP256);
  EVP_PKEY* other = EVP_EC_gen("P-256");
  ASSERT_NE(other, nullptr);
  wrong.public_key = ossl::share(other);
  CK_MECHANISM m = mech(CKM_ECDSA);
  SignOperation checked;
  ASSERT_EQ(checked.init({}, m, wrong), CKR_OK);
  Bytes sig;
  EXPECT_EQ(checked.sign(Chip::get().client(), hash, sig), CKR_DEVICE_ERROR);
  EXPECT_TRUE(sig.empty());
  SignOptions no_ecdsa;
  no_ecdsa.check_ecdsa = false;
  SignOperation unchecked;
  ASSERT_EQ(unchecked.init({}, m, wrong, no_ecdsa), CKR_OK);
  ASSERT_EQ(unchecked.sign(Chip::get().client(), hash, sig), CKR_OK);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(verify_ecdsa_rs(Chip::get().ec(Curve::NistP256).public_key.get(), hash, sig));
}

TEST(EcdsaSign, ChipFailuresAreDeviceErrors) {
  const Bytes hash = random_bytes(32);
  CK_RV rv = CKR_OK;
  // No such object on the chip (another tool deleted it): the chip is asked, the key
  // is gone, CKR_FUNCTION_FAILED -- not a device error (token/mech/chip_ops.h).
  KeyRef missing = Chip::get().ec(Curve::NistP256);
  missing.object_id = 0x7A7A7A7A;
  sign_raw(missing, CKM_ECDSA, hash, &rv);
  EXPECT_EQ(rv, CKR_FUNCTION_FAILED);
  // The chip signs with a key whose public half is not the one we hold: the
  // host check of every chip signature catches it.
  KeyRef mismatched = Chip::get().ec(Curve::NistP256);
  KeyRef other = Chip::get().ec(Curve::NistP384);
  mismatched.object_id = other.object_id;  // a P-384 key behind a P-256 reference
  sign_raw(mismatched, CKM_ECDSA, hash, &rv);
  EXPECT_EQ(rv, CKR_DEVICE_ERROR);
  // A public-only reference cannot sign.
  KeyRef pub_only = Chip::get().ec(Curve::NistP256);
  pub_only.object_id = 0;
  SignOperation op;
  CK_MECHANISM m = mech(CKM_ECDSA);
  EXPECT_EQ(op.init({}, m, pub_only), CKR_KEY_FUNCTION_NOT_PERMITTED);
  VerifyOperation v;
  EXPECT_EQ(v.init({}, m, pub_only), CKR_OK);  // verifying needs no chip key
  // A 320-bit order (Brainpool P-320) is in the 256..521 range but no chip digest
  // length carries it: refused at init.
  KeyRef bp320 = Chip::get().ec(Curve::NistP256);
  bp320.bits = bp320.order_bits = 320;
  EXPECT_EQ(op.init({}, m, bp320), CKR_KEY_SIZE_RANGE);
}

}  // namespace
}  // namespace sx::token::test
