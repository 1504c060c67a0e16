// RSA PKCS#1 v1.5, PSS and raw signing through the chip's raw private
// operation, verified with OpenSSL.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "chip_fixture.h"
#include "mech_helpers.h"
#include "support/ossl_check.h"
#include "token/mech/rsa_padding.h"
#include "token/mech/sign_operation.h"
#include "token/mech/verify_operation.h"

namespace sx::token::test {
namespace {

using sx::testing::random_bytes;
using sx::testing::rsa_verify_message;
using sx::testing::rsa_verify_hash;
using sx::testing::rsa_recover;
using sx::testing::rsa_encrypt;

struct HashCase {
  CK_MECHANISM_TYPE hash, pkcs, pss;
  CK_RSA_PKCS_MGF_TYPE mgf;
  const EVP_MD* md;
};
const HashCase kHashes[] = {
    {CKM_SHA_1, CKM_SHA1_RSA_PKCS, CKM_SHA1_RSA_PKCS_PSS, CKG_MGF1_SHA1, EVP_sha1()},
    {CKM_SHA224, CKM_SHA224_RSA_PKCS, CKM_SHA224_RSA_PKCS_PSS, CKG_MGF1_SHA224, EVP_sha224()},
    {CKM_SHA256, CKM_SHA256_RSA_PKCS, CKM_SHA256_RSA_PKCS_PSS, CKG_MGF1_SHA256, EVP_sha256()},
    {CKM_SHA384, CKM_SHA384_RSA_PKCS, CKM_SHA384_RSA_PKCS_PSS, CKG_MGF1_SHA384, EVP_sha384()},
    {CKM_SHA512, CKM_SHA512_RSA_PKCS, CKM_SHA512_RSA_PKCS_PSS, CKG_MGF1_SHA512, EVP_sha512()},
};

CK_RV sign(CK_MECHANISM& m, ByteView data, Bytes& sig) {
  SignOperation op;
  const CK_RV rv = op.init({}, m, Chip::get().rsa());
  if (rv != CKR_OK) return rv;
  EXPECT_EQ(op.signature_length(), 256u);
  return op.sign(Chip::get().client(), data, sig);
}

CK_RV verify(CK_MECHANISM& m, ByteView data, ByteView sig) {
  VerifyOperation op;
  const CK_RV rv = op.init({}, m, Chip::get().rsa());
  if (rv != CKR_OK) return rv;
  return op.verify(data, sig);
}

TEST(RsaSign, Pkcs1DigestInfoEveryHash) {
  EVP_PKEY* pub = Chip::get().rsa().public_key.get();
  const Bytes msg = random_bytes(200);
  for (const auto& h : kHashes) {
    SCOPED_TRACE(h.hash);
    // What aws-c-io and SunPKCS11 send: DigestInfo || hash with CKM_RSA_PKCS.
    const Bytes digest = sx::testing::digest(h.md, msg);
    Bytes di(digest_info_prefix(h.hash).begin(), digest_info_prefix(h.hash).end());
    append(di, digest);
    CK_MECHANISM m = mech(CKM_RSA_PKCS);
    Bytes sig;
    ASSERT_EQ(sign(m, di, sig), CKR_OK);
    ASSERT_EQ(sig.size(), 256u);
    EXPECT_TRUE(rsa_verify_hash(pub, h.md, nullptr, -1, digest, sig));
    EXPECT_EQ(verify(m, di, sig), CKR_OK);

    // The SHAx_RSA_PKCS mechanism gives the very same (deterministic) signature.
    CK_MECHANISM mh = mech(h.pkcs);
    Bytes sig2;
    ASSERT_EQ(sign(mh, msg, sig2), CKR_OK);
    EXPECT_EQ(sig2, sig);
    EXPECT_TRUE(rsa_verify_message(pub, h.md, -1, msg, sig2));
    EXPECT_EQ(verify(mh, msg, sig2), CKR_OK);
  }
}

TEST(RsaSign, Pkcs1RawDataAndLimits) {
  EVP_PKEY* pub = Chip::get().rsa().public_key.get();
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  for (size_t len : {0u, 1u, 36u, 245u}) {
    const Bytes data = random_bytes(len);
    Bytes sig, rec;
    ASSERT_EQ(sign(m, data, sig), CKR_OK) << len;
    ASSERT_TRUE(rsa_recover(pub, sig, rec));
    EXPECT_EQ(rec, data);
  }
  Bytes sig;
  EXPECT_EQ(sign(m, random_bytes(246), sig), CKR_DATA_LEN_RANGE);  // > k - 11
}

TEST(RsaSign, MultiPartPkcs1) {
  EVP_PKEY* pub = Chip::get().rsa().public_key.get();
  const Bytes msg = random_bytes(1000);
  SignOperation op;
  CK_MECHANISM m = mech(CKM_SHA256_RSA_PKCS);
  ASSERT_EQ(op.init({}, m, Chip::get().rsa()), CKR_OK);
  for (size_t at = 0; at < msg.size(); at += 300)
    ASSERT_EQ(op.update(ByteView(msg).subspan(at, std::min<size_t>(300, msg.size() - at))), CKR_OK);
  Bytes sig;
  ASSERT_EQ(op.final(Chip::get().client(), sig), CKR_OK);
  EXPECT_TRUE(rsa_verify_message(pub, EVP_sha256(), -1, msg, sig));
  // C_SignFinal without any update signs the empty message.
  ASSERT_EQ(op.init({}, m, Chip::get().rsa()), CKR_OK);
  ASSERT_EQ(op.final(Chip::get().client(), sig), CKR_OK);
  EXPECT_TRUE(rsa_verify_message(pub, EVP_sha256(), -1, {}, sig));
}

TEST(RsaSign, PssEveryHashSingleAndMultiPart) {
  EVP_PKEY* pub = Chip::get().rsa().public_key.get();
  const Bytes msg = random_bytes(333);
  for (const auto& h : kHashes) {
    SCOPED_TRACE(h.hash);
    const Bytes digest = sx::testing::digest(h.md, msg);
    const CK_ULONG hlen = digest.size();
    // What SunPKCS11 sends for RSASSA-PSS: hash, MGF1(same hash), sLen = hLen.
    CK_RSA_PKCS_PSS_PARAMS p{h.hash, h.mgf, hlen};
    CK_MECHANISM m = mech(CKM_RSA_PKCS_PSS, p);
    Bytes sig;
    ASSERT_EQ(sign(m, digest, sig), CKR_OK);
    EXPECT_TRUE(rsa_verify_hash(pub, h.md, h.md, static_cast<int>(hlen), digest, sig));
    EXPECT_EQ(verify(m, digest, sig), CKR_OK);
    // Randomised: a second signature differs but verifies too.
    Bytes sig2;
    ASSERT_EQ(sign(m, digest, sig2), CKR_OK);
    EXPECT_NE(sig, sig2);
    EXPECT_TRUE(rsa_verify_hash(pub, h.md, h.md, static_cast<int>(hlen), digest, sig2));
    // Wrong hash length for CKM_RSA_PKCS_PSS.
    EXPECT_EQ(sign(m, ByteView(digest).first(hlen - 1), sig), CKR_DATA_LEN_RANGE);

    CK_MECHANISM mh = mech(h.pss, p);
    SignOperation op;
    ASSERT_EQ(op.init({}, mh, Chip::get().rsa()), CKR_OK);
    ASSERT_EQ(op.update(ByteView(msg).first(10)), CKR_OK);
    ASSERT_EQ(op.update(ByteView(msg).subspan(10)), CKR_OK);
    ASSERT_EQ(op.final(Chip::get().client(), sig), CKR_OK);
    EXPECT_TRUE(rsa_verify_message(pub, h.md, static_cast<int>(hlen), msg, sig));
    VerifyOperation v;
    ASSERT_EQ(v.init({}, mh, Chip::get().rsa()), CKR_OK);
    EXPECT_EQ(v.verify(msg, sig), CKR_OK);
  }
}

TEST(RsaSign, PssSaltLengthsAndMgf) {
  EVP_PKEY* pub = Chip::get().rsa().public_key.get();
  const Bytes digest = sx::testing::digest(EVP_sha256(), random_bytes(10));
  // sLen 0 and the maximum emLen - hLen - 2 = 256 - 32 - 2 = 222; MGF1 with another hash.
  for (CK_ULONG slen : {CK_ULONG{0}, CK_ULONG{222}}) {
    CK_RSA_PKCS_PSS_PARAMS p{CKM_SHA256, CKG_MGF1_SHA1, slen};
    CK_MECHANISM m = mech(CKM_RSA_PKCS_PSS, p);
    Bytes sig;
    ASSERT_EQ(sign(m, digest, sig), CKR_OK) << slen;
    EXPECT_TRUE(rsa_verify_hash(pub, EVP_sha256(), EVP_sha1(), static_cast<int>(slen), digest, sig));
  }
  CK_RSA_PKCS_PSS_PARAMS too_long{CKM_SHA256, CKG_MGF1_SHA256, 223};
  CK_MECHANISM m = mech(CKM_RSA_PKCS_PSS, too_long);
  Bytes sig;
  EXPECT_EQ(sign(m, digest, sig), CKR_KEY_SIZE_RANGE);  // a larger key would take it (SoftHSM2's answer)
}

TEST(RsaSign, PssParameterValidation) {
  Bytes sig;
  const Bytes digest(32, 1);
  CK_RSA_PKCS_PSS_PARAMS wrong_hash{CKM_SHA384, CKG_MGF1_SHA256, 32};
  CK_MECHANISM m1 = mech(CKM_SHA256_RSA_PKCS_PSS, wrong_hash);
  EXPECT_EQ(sign(m1, digest, sig), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_PSS_PARAMS bad_mgf{CKM_SHA256, 0x99, 32};
  CK_MECHANISM m2 = mech(CKM_RSA_PKCS_PSS, bad_mgf);
  EXPECT_EQ(sign(m2, digest, sig), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_PSS_PARAMS bad_hash{CKM_MD5, CKG_MGF1_SHA256, 32};
  CK_MECHANISM m3 = mech(CKM_RSA_PKCS_PSS, bad_hash);
  EXPECT_EQ(sign(m3, digest, sig), CKR_MECHANISM_PARAM_INVALID);
  CK_MECHANISM no_params = mech(CKM_RSA_PKCS_PSS);
  EXPECT_EQ(sign(no_params, digest, sig), CKR_MECHANISM_PARAM_INVALID);
  CK_RSA_PKCS_PSS_PARAMS good{CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM short_len{CKM_RSA_PKCS_PSS, &good, sizeof(good) - 1};
  EXPECT_EQ(sign(short_len, digest, sig), CKR_MECHANISM_PARAM_INVALID);
  // A parameter on a mechanism that takes none.
  CK_MECHANISM extra{CKM_RSA_PKCS, &good, sizeof(good)};
  EXPECT_EQ(sign(extra, digest, sig), CKR_MECHANISM_PARAM_INVALID);
}

TEST(RsaSign, RawX509) {
  const KeyRef& key = Chip::get().rsa();
  CK_MECHANISM m = mech(CKM_RSA_X_509);
  Bytes data = random_bytes(100);
  Bytes sig;
  ASSERT_EQ(sign(m, data, sig), CKR_OK);
  ASSERT_EQ(verify(m, data, sig), CKR_OK);
  // s^e mod n = zero-extended input (checked with OpenSSL's raw public op).
  Bytes back = rsa_encrypt(key.public_key.get(), "none", sig);
  ASSERT_EQ(back.size(), 256u);
  EXPECT_EQ(Bytes(back.begin() + 156, back.end()), data);
  EXPECT_EQ(sign(m, random_bytes(257), sig), CKR_DATA_LEN_RANGE);
  Bytes too_big(256, 0xFF);  // >= n
  EXPECT_EQ(sign(m, too_big, sig), CKR_DATA_INVALID);
}

TEST(RsaVerify, RejectsBadSignatures) {
  const Bytes msg = random_bytes(50);
  CK_MECHANISM m = mech(CKM_SHA256_RSA_PKCS);
  Bytes sig;
  ASSERT_EQ(sign(m, msg, sig), CKR_OK);
  EXPECT_EQ(verify(m, msg, sig), CKR_OK);
  Bytes bad = sig;
  bad[100] ^= 0x40;
  EXPECT_EQ(verify(m, msg, bad), CKR_SIGNATURE_INVALID);
  EXPECT_EQ(verify(m, msg, ByteView(sig).first(255)), CKR_SIGNATURE_LEN_RANGE);
  Bytes ff(256, 0xFF);
  EXPECT_EQ(verify(m, msg, ff), CKR_SIGNATURE_INVALID);
  Bytes other = msg;
  other[0] ^= 1;
  EXPECT_EQ(verify(m, other, sig), CKR_SIGNATURE_INVALID);
  CK_RSA_PKCS_PSS_PARAMS p{CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM pss = mech(CKM_SHA256_RSA_PKCS_PSS, p);
  EXPECT_EQ(verify(pss, msg, sig), CKR_SIGNATURE_INVALID);  // a v1.5 signature is not a PSS one
}

TEST(RsaSign, MechanismKeyMismatch) {
  Bytes sig;
  SignOperation op;
  CK_MECHANISM ecdsa = mech(CKM_ECDSA);
  EXPECT_EQ(op.init({}, ecdsa, Chip::get().rsa()), CKR_KEY_TYPE_INCONSISTENT);
  CK_MECHANISM rsa = mech(CKM_RSA_PKCS);
  EXPECT_EQ(op.init({}, rsa, Chip::get().ec(se05x::Curve::NistP256)), CKR_KEY_TYPE_INCONSISTENT);
  CK_MECHANISM oaep = mech(CKM_RSA_PKCS_OAEP);
  EXPECT_EQ(op.init({}, oaep, Chip::get().rsa()), CKR_MECHANISM_INVALID);  // no CKF_SIGN
  CK_MECHANISM digest = mech(CKM_SHA256);
  EXPECT_EQ(op.init({}, digest, Chip::get().rsa()), CKR_MECHANISM_INVALID);
  CK_MECHANISM unknown = mech(CKM_MD5_RSA_PKCS);
  EXPECT_EQ(op.init({}, unknown, Chip::get().rsa()), CKR_MECHANISM_INVALID);
  ChipCapabilities no_rsa;
  no_rsa.rsa = false;
  EXPECT_EQ(op.init(no_rsa, rsa, Chip::get().rsa()), CKR_MECHANISM_INVALID);
  EXPECT_FALSE(op.active());
  EXPECT_EQ(op.sign(Chip::get().client(), Bytes(32), sig), CKR_OPERATION_NOT_INITIALIZED);
}

TEST(RsaSign, KeySizeRange) {
  // A 1024-bit public key (the size check needs no chip key).
  const KeyRef& real = Chip::get().rsa();
  KeyRef small = real;
  small.bits = 1024;
  SignOperation op;
  CK_MECHANISM m = mech(CKM_RSA_PKCS);
  EXPECT_EQ(op.init({}, m, small), CKR_KEY_SIZE_RANGE);
  ChipCapabilities caps;
  caps.rsa_1024 = true;
  EXPECT_EQ(op.init(caps, m, small), CKR_OK);
}

TEST(RsaSign, FaultyChipResultIsNeverReturned) {
  // The reference carries another modulus than the chip key (as if the chip
  // returned a wrong RSA result): the s^e check rejects every signature.
  const KeyRef& real = Chip::get().rsa();
  Bytes other_n = real.modulus;
  other_n.back() ^= 0x02;  // still odd, same size
  auto wrong = make_rsa_key_ref(real.object_id, other_n, Bytes{1, 0, 1});
  ASSERT_TRUE(wrong.ok());
  for (CK_MECHANISM_TYPE t : {CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS, CKM_RSA_X_509}) {
    SignOperation op;
    CK_MECHANISM m = mech(t);
    ASSERT_EQ(op.init({}, m, *wrong), CKR_OK);
    Bytes sig{1, 2, 3};
    EXPECT_EQ(op.sign(Chip::get().client(), Bytes(32, 7), sig), CKR_DEVICE_ERROR) << t;
    EXPECT_TRUE(sig.empty());
  }
  CK_RSA_PKCS_PSS_PARAMS p{CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM pss = mech(CKM_RSA_PKCS_PSS, p);
  SignOperation op;
  ASSERT_EQ(op.init({}, pss, *wrong), CKR_OK);
  Bytes sig;
  EXPECT_EQ(op.sign(Chip::get().client(), Bytes(32, 7), sig), CKR_DEVICE_ERROR);
  // Checking can be turned off (then the bad value comes back).
  SignOperation unchecked;
  CK_MECHANISM v15 = mech(CKM_RSA_PKCS);
  ASSERT_EQ(unchecked.init({}, v15, *wrong, SignOptions{false}), CKR_OK);
  EXPECT_EQ(unchecked.sign(Chip::get().client(), Bytes(32, 7), sig), CKR_OK);
  EXPECT_EQ(sig.size(), 256u);
}

}  // namespace
}  // namespace sx::token::test
