// ECDH against an OpenSSL peer, host digests.
#include <gtest/gtest.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

#include "chip_fixture.h"
#include "mech_helpers.h"
#include "support/ossl_check.h"
#include "token/mech/derive_ecdh.h"
#include "token/mech/digest_operation.h"

namespace sx::token::test {
namespace {

using sx::testing::random_bytes;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey peer_key(const char* group) { return Pkey(EVP_EC_gen(group)); }

Bytes peer_point(EVP_PKEY* k) {
  Bytes out(200);
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len);
  out.resize(len);
  return out;
}

Bytes ossl_derive(EVP_PKEY* mine, EVP_PKEY* peer) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, mine, nullptr);
  size_t len = 0;
  Bytes out;
  if (EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
      EVP_PKEY_derive(ctx, nullptr, &len) == 1) {
    out.resize(len);
    EVP_PKEY_derive(ctx, out.data(), &len);
    out.resize(len);
  }
  EVP_PKEY_CTX_free(ctx);
  return out;
}

CK_RV derive(const KeyRef& key, ByteView public_data, Bytes& secret, CK_ULONG kdf = CKD_NULL) {
  CK_ECDH1_DERIVE_PARAMS p{kdf, 0, nullptr, static_cast<CK_ULONG>(public_data.size()),
                           const_cast<CK_BYTE_PTR>(public_data.data())};
  CK_MECHANISM m = mech(CKM_ECDH1_DERIVE, p);
  return ecdh1_derive(Chip::get().client(), {}, m, key, secret);
}

TEST(Ecdh, MatchesOpenSslPeerRawAndDerWrapped) {
  struct C {
    se05x::Curve curve;
    const char* group;
    size_t fb;
  };
  for (const C& c : {C{se05x::Curve::NistP256, "P-256", 32}, C{se05x::Curve::NistP384, "P-384", 48},
                     C{se05x::Curve::NistP521, "P-521", 66}}) {
    SCOPED_TRACE(c.group);
    const KeyRef& key = Chip::get().ec(c.curve);
    Pkey peer = peer_key(c.group);
    const Bytes point = peer_point(peer.get());
    ASSERT_EQ(point.size(), 1 + 2 * c.fb);
    const Bytes expected = ossl_derive(peer.get(), key.public_key.get());
    ASSERT_EQ(expected.size(), c.fb);

    Bytes secret;
    ASSERT_EQ(derive(key, point, secret), CKR_OK);
    EXPECT_EQ(secret, expected);

    // CKA_EC_POINT form: DER OCTET STRING around the point.
    Bytes wrapped = {0x04};
    if (point.size() >= 0x80) wrapped.push_back(0x81);
    wrapped.push_back(static_cast<uint8_t>(point.size()));
    append(wrapped, point);
    Bytes secret2;
    ASSERT_EQ(derive(key, wrapped, secret2), CKR_OK);
    EXPECT_EQ(secret2, expected);
  }
}

TEST(Ecdh, RejectsBadPointsAndParams) {
  const KeyRef& key = Chip::get().ec(se05x::Curve::NistP256);
  Pkey peer = peer_key("P-256");
  Bytes point = peer_point(peer.get());
  Bytes secret;
  Bytes off_curve = point;
  off_curve[40] ^= 1;
  EXPECT_EQ(derive(key, off_curve, secret), CKR_MECHANISM_PARAM_INVALID);
  Pkey p384 = peer_key("P-384");
  EXPECT_EQ(derive(key, peer_point(p384.get()), secret), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(derive(key, ByteView(point).first(64), secret), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(derive(key, point, secret, 0x4242), CKR_MECHANISM_PARAM_INVALID);  // no such kdf
  EXPECT_EQ(derive(key, {}, secret), CKR_MECHANISM_PARAM_INVALID);
  CK_ECDH1_DERIVE_PARAMS shared{CKD_NULL, 4, point.data(), static_cast<CK_ULONG>(point.size()), point.data()};
  CK_MECHANISM m = mech(CKM_ECDH1_DERIVE, shared);
  EXPECT_EQ(ecdh1_derive(Chip::get().client(), {}, m, key, secret), CKR_MECHANISM_PARAM_INVALID);
  CK_ECDH1_DERIVE_PARAMS good{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(point.size()), point.data()};
  CK_MECHANISM mg = mech(CKM_ECDH1_DERIVE, good);
  ChipCapabilities fips;
  fips.ecdh = false;
  EXPECT_EQ(ecdh1_derive(Chip::get().client(), fips, mg, key, secret), CKR_MECHANISM_INVALID);
  EXPECT_EQ(ecdh1_derive(Chip::get().client(), {}, mg, Chip::get().rsa(), secret), CKR_KEY_TYPE_INCONSISTENT);
  // Compressed peer points are accepted (converted for the chip).
  Bytes compressed(33);
  compressed[0] = static_cast<uint8_t>(0x02 | (point[64] & 1));
  std::copy(point.begin() + 1, point.begin() + 33, compressed.begin() + 1);
  ASSERT_EQ(derive(key, compressed, secret), CKR_OK);
  EXPECT_EQ(secret, ossl_derive(peer.get(), key.public_key.get()));
}

TEST(Digest, AllHashesSingleAndMultiPart) {
  struct H {
    CK_MECHANISM_TYPE m;
    const EVP_MD* md;
  };
  const Bytes msg = random_bytes(777);
  for (const H& h : {H{CKM_SHA_1, EVP_sha1()}, H{CKM_SHA224, EVP_sha224()}, H{CKM_SHA256, EVP_sha256()},
                     H{CKM_SHA384, EVP_sha384()}, H{CKM_SHA512, EVP_sha512()}}) {
    DigestOperation op;
    CK_MECHANISM m = mech(h.m);
    ASSERT_EQ(op.init({}, m), CKR_OK);
    EXPECT_EQ(op.digest_length(), static_cast<CK_ULONG>(EVP_MD_get_size(h.md)));
    Bytes out;
    ASSERT_EQ(op.digest(msg, out), CKR_OK);
    EXPECT_EQ(out, sx::testing::digest(h.md, msg));
    EXPECT_EQ(op.digest(msg, out), CKR_OPERATION_NOT_INITIALIZED);
    ASSERT_EQ(op.init({}, m), CKR_OK);
    ASSERT_EQ(op.update(ByteView(msg).first(7)), CKR_OK);
    EXPECT_EQ(op.digest(msg, out), CKR_OPERATION_ACTIVE);
    ASSERT_EQ(op.update(ByteView(msg).subspan(7)), CKR_OK);
    ASSERT_EQ(op.final(out), CKR_OK);
    EXPECT_EQ(out, sx::testing::digest(h.md, msg));
  }
  DigestOperation op;
  CK_MECHANISM bad = mech(CKM_MD5);
  EXPECT_EQ(op.init({}, bad), CKR_MECHANISM_INVALID);
  CK_MECHANISM sign = mech(CKM_ECDSA);
  EXPECT_EQ(op.init({}, sign), CKR_MECHANISM_INVALID);
  CK_ULONG junk = 1;
  CK_MECHANISM param{CKM_SHA256, &junk, sizeof junk};
  EXPECT_EQ(op.init({}, param), CKR_MECHANISM_PARAM_INVALID);
}

}  // namespace
}  // namespace sx::token::test
