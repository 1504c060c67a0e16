// EC curves, key generation/import, ECDSA sign/verify, ECDH, policies, 7.2 type codes.
#include <openssl/core_names.h>

#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

constexpr uint32_t kKey = 0x20181001;

struct EcCard : Card {
  EcCard() {
    select();
    create_curve(*this, 0x03, "prime256v1");
  }
  Bytes pub(uint32_t id) {
    auto r = cmd(0x02, 0x00, 0x00, id_tlv(id), se05x::LeMode::Extended);
    EXPECT_EQ(r.sw, 0x9000);
    se05x::TlvReader rd(r.data);
    auto v = rd.expect(t::k1);
    return v.ok() ? Bytes(v->begin(), v->end()) : Bytes{};
  }
  Bytes sign(uint32_t id, ByteView digest, uint8_t algo = 0x21) {
    auto r = cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, digest).take());
    EXPECT_EQ(r.sw, 0x9000);
    se05x::TlvReader rd(r.data);
    auto v = rd.expect(t::k1);
    return v.ok() ? Bytes(v->begin(), v->end()) : Bytes{};
  }
  uint8_t verify(uint32_t id, ByteView digest, ByteView sig) {
    auto r = cmd(0x03, 0x0C, 0x0A,
                 TlvWriter().u32(t::k1, id).u8(t::k2, 0x21).bytes(t::k3, digest).bytes(t::k5, sig).take());
    EXPECT_EQ(r.sw, 0x9000);
    return r.data.size() == 3 ? r.data[2] : 0;
  }
};

using Key = ossl::Pkey;

Key gen_ossl(const char* group) { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group)); }
Bytes priv_of(EVP_PKEY* k, size_t len) {
  BIGNUM* d = nullptr;
  EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d);
  Bytes out(len);
  BN_bn2binpad(d, out.data(), static_cast<int>(len));
  BN_free(d);
  return out;
}
Bytes pub_of(EVP_PKEY* k) {
  Bytes out(200);
  size_t len = 0;
  EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len);
  out.resize(len);
  return out;
}

TEST(SimEc, CurveListCreateAndParameterCheck) {
  Card c;
  c.select();
  auto r = c.tx("80 02 0B 25 00");
  ASSERT_EQ(r.sw, 0x9000);
  std::string all_unset = "4111";
  for (int i = 0; i < 17; ++i) all_unset += "01";
  EXPECT_EQ(to_hex(r.data), all_unset);
  // Key generation needs the curve on applet 3.x.
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x6A80);
  EXPECT_EQ(c.tx("80 01 0B 04 03 41 01 03").sw, 0x9000);
  // Wrong A (last byte FD instead of FC) is refused.
  EXPECT_EQ(c.tx("80 01 0B 40 28 41 01 03 42 01 01 43 20 FF FF FF FF 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "FF FF FF FF FF FF FF FF FF FF FF FD")
                .sw,
            0x6A80);
  // The documented A is accepted.
  EXPECT_EQ(c.tx("80 01 0B 40 28 41 01 03 42 01 01 43 20 FF FF FF FF 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 "
                 "FF FF FF FF FF FF FF FF FF FF FF FC")
                .sw,
            0x9000);
  EXPECT_EQ(curve_state(c, 3), 0x01);  // not complete yet
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x6A80);
  create_curve(c, 0x03, "prime256v1");  // interrupted sequence restarts
  EXPECT_EQ(curve_state(c, 3), 0x02);
  EXPECT_EQ(c.tx("80 01 0B 04 03 41 01 03").sw, 0x6A80);  // exists
  EXPECT_EQ(c.tx("80 01 0B 04 03 41 01 11").sw, 0x6A80);  // BN-P256 not implemented
  // GetECCurveId / DeleteECCurve
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  EXPECT_EQ(to_hex(c.tx("80 02 0B 36 06 41 04 20 18 10 01").data), "410103");
  EXPECT_EQ(c.tx("80 04 0B 28 03 41 01 03").sw, 0x6985);  // still in use
  EXPECT_EQ(c.tx("80 04 00 28 06 41 04 20 18 10 01").sw, 0x9000);
  EXPECT_EQ(c.tx("80 04 0B 28 03 41 01 03").sw, 0x9000);
  EXPECT_EQ(curve_state(c, 3), 0x01);
  EXPECT_EQ(c.tx("80 04 0B 28 03 41 01 03").sw, 0x6A80);
}

TEST(SimEc, GenerateQueryReadSignVerify) {
  EcCard c;
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 20 18 10 01").data, hex("410102"));
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 20 18 10 01").data, hex("410101"));
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 01").data, hex("410101420101"));
  EXPECT_EQ(c.tx("80 02 00 07 06 41 04 20 18 10 01").data, hex("41020020"));
  auto rp = c.tx("80 02 00 00 00 00 06 41 04 20 18 10 01 00 00");
  ASSERT_EQ(rp.sw, 0x9000);
  ASSERT_EQ(rp.data.size(), 67u);
  EXPECT_EQ(rp.data[0], 0x41);
  EXPECT_EQ(rp.data[1], 0x41);
  EXPECT_EQ(rp.data[2], 0x04);
  const Bytes point(rp.data.begin() + 2, rp.data.end());

  const Bytes digest = sha256(hex("68656C6C6F"));
  Bytes apdu = hex("80 03 0C 09 2B 41 04 20 18 10 01 42 01 21 43 20");
  append(apdu, digest);
  auto rs = c.tx(apdu);
  ASSERT_EQ(rs.sw, 0x9000);
  ASSERT_EQ(rs.data[0], 0x41);
  const Bytes der(rs.data.begin() + 2, rs.data.end());
  EXPECT_EQ(der[0], 0x30);
  EXPECT_GE(der.size(), 8u);
  EXPECT_LE(der.size(), 72u);
  Key pub(ec_public_key("prime256v1", point));
  ASSERT_TRUE(pub);
  EXPECT_TRUE(verify_der(pub.get(), digest, der));
  Bytes other = digest;
  other[0] ^= 1;
  EXPECT_FALSE(verify_der(pub.get(), other, der));

  // Card verify: good, tampered.
  EXPECT_EQ(c.verify(kKey, digest, der), 0x01);
  EXPECT_EQ(c.verify(kKey, other, der), 0x02);
  EXPECT_EQ(c.verify(kKey, digest, hex("3003020100")), 0x02);  // garbage DER -> failure result

  // Algo byte must match the digest length.
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, kKey).u8(t::k2, 0x22).bytes(t::k3, digest).take()), 0x6A80);
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, kKey).u8(t::k2, 0x77).bytes(t::k3, digest).take()), 0x6A80);
  // SHA-384 and SHA-1 sized digests with their algo bytes.
  const Bytes d48(48, 0x11), d20(20, 0x22);
  EXPECT_TRUE(verify_der(pub.get(), d48, c.sign(kKey, d48, 0x22)));
  EXPECT_TRUE(verify_der(pub.get(), d20, c.sign(kKey, d20, 0x11)));
  // Non-existent key.
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, 0x999).u8(t::k2, 0x21).bytes(t::k3, digest).take()), 0x6A80);
}

TEST(SimEc, VerifyAcceptsNonMinimalAndNegativeIntegers) {
  EcCard c;
  ASSERT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  const Bytes digest = sha256(hex("01"));
  // Sign until r and s both have the top bit set, so NXP's encoding differs from DER.
  for (int i = 0; i < 64; ++i) {
    Bytes der = c.sign(kKey, digest);
    ECDSA_SIG* sig = nullptr;
    const unsigned char* p = der.data();
    sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    ASSERT_NE(sig, nullptr);
    Bytes r(32), s(32);
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), r.data(), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), s.data(), 32);
    ECDSA_SIG_free(sig);
    // NXP style: fixed 32-byte INTEGERs, no sign byte.
    Bytes nxp = {0x30, 68, 0x02, 32};
    append(nxp, r);
    nxp.push_back(0x02);
    nxp.push_back(32);
    append(nxp, s);
    EXPECT_EQ(c.verify(kKey, digest, nxp), 0x01);
    // Non-minimal: extra leading zeros.
    Bytes padded = {0x30, 72, 0x02, 34, 0, 0};
    append(padded, r);
    padded.insert(padded.end(), {0x02, 34, 0, 0});
    append(padded, s);
    EXPECT_EQ(c.verify(kKey, digest, padded), 0x01);
    if ((r[0] & 0x80) && (s[0] & 0x80)) return;
  }
}

TEST(SimEc, ImportPairPublicPrivateAndEcdh) {
  EcCard c;
  Key a = gen_ossl("prime256v1"), b = gen_ossl("prime256v1");
  const Bytes da = priv_of(a.get(), 32), qa = pub_of(a.get()), db = priv_of(b.get(), 32), qb = pub_of(b.get());
  // Import pair with the doc's layout.
  Bytes pair = hex("80 01 61 00 6E 41 04 20 18 10 01 42 01 03 43 20");
  append(pair, da);
  pair.insert(pair.end(), {0x44, 0x41});
  append(pair, qa);
  EXPECT_EQ(c.tx(pair).sw, 0x9000);
  EXPECT_EQ(c.pub(kKey), qa);
  // Import public only.
  Bytes pub = hex("80 01 21 00 4C 41 04 20 18 10 03 42 01 03 44 41");
  append(pub, qb);
  EXPECT_EQ(c.tx(pub).sw, 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 03").data, hex("410103420101"));
  // Import private only (with a DER-style leading 00): not readable.
  Bytes priv = {0x00};
  append(priv, db);
  EXPECT_EQ(c.sw(0x01, 0x41, 0x00,
                 TlvWriter().u32(t::k1, 0x20181004).u8(t::k2, 0x03).bytes(t::k3, priv).take()),
            0x9000);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(0x20181004), se05x::LeMode::Extended).sw, 0x6985);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 04").data, hex("410102420101"));
  // A public key cannot sign.
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, 0x20181003).u8(t::k2, 0x21).bytes(t::k3, Bytes(32)).take()),
            0x6985);
  // A signature by the public key's owner verifies on the public-only object.
  Bytes digest = sha256(hex("AA"));
  Bytes sig_b = c.sign(0x20181004, digest);
  EXPECT_EQ(c.verify(0x20181003, digest, sig_b), 0x01);

  // ECDH: card(a) x Qb == card(b) x Qa == OpenSSL.
  auto s1 = c.cmd(0x03, 0x01, 0x0F, TlvWriter().u32(t::k1, kKey).bytes(t::k2, qb).take(), se05x::LeMode::Extended);
  auto s2 = c.cmd(0x03, 0x01, 0x0F, TlvWriter().u32(t::k1, 0x20181004).bytes(t::k2, qa).take(), se05x::LeMode::Extended);
  ASSERT_EQ(s1.sw, 0x9000);
  ASSERT_EQ(s2.sw, 0x9000);
  EXPECT_EQ(s1.data, s2.data);
  EXPECT_EQ(s1.data.size(), 34u);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, a.get(), nullptr);
  EVP_PKEY_derive_init(ctx);
  EVP_PKEY_derive_set_peer(ctx, b.get());
  Bytes x(32);
  size_t xl = 32;
  EVP_PKEY_derive(ctx, x.data(), &xl);
  EVP_PKEY_CTX_free(ctx);
  EXPECT_EQ(Bytes(s1.data.begin() + 2, s1.data.end()), x);
  // Invalid peer point.
  Bytes bad = qb;
  bad[10] ^= 1;
  EXPECT_EQ(c.cmd(0x03, 0x01, 0x0F, TlvWriter().u32(t::k1, kKey).bytes(t::k2, bad).take()).sw, 0x6A80);
  // ECDH with a public key -> wrong type.
  EXPECT_EQ(c.cmd(0x03, 0x01, 0x0F, TlvWriter().u32(t::k1, 0x20181003).bytes(t::k2, qa).take()).sw, 0x6985);

  // Invalid imports: point off the curve, scalar too long.
  EXPECT_EQ(c.sw(0x01, 0x21, 0x00, TlvWriter().u32(t::k1, 0x20181005).u8(t::k2, 3).bytes(t::k4, bad).take()), 0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x41, 0x00, TlvWriter().u32(t::k1, 0x20181005).u8(t::k2, 3).bytes(t::k3, Bytes(33, 1)).take()),
            0x6A80);
  // Pair import with only one part.
  EXPECT_EQ(c.sw(0x01, 0x61, 0x00, TlvWriter().u32(t::k1, 0x20181005).u8(t::k2, 3).bytes(t::k4, qa).take()), 0x6A80);
}

TEST(SimEc, UpdateExistingKeyWithoutCurveAndTypeClashes) {
  EcCard c;
  ASSERT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  Key k = gen_ossl("prime256v1");
  // MW update form: P1 = 0x01, no curve, no policy.
  EXPECT_EQ(c.sw(0x01, 0x01, 0x00,
                 TlvWriter().u32(t::k1, kKey).bytes(t::k3, priv_of(k.get(), 32)).bytes(t::k4, pub_of(k.get())).take()),
            0x9000);
  EXPECT_EQ(c.pub(kKey), pub_of(k.get()));
  // Regenerate in place (no key TLVs).
  EXPECT_EQ(c.sw(0x01, 0x01, 0x00, id_tlv(kKey)), 0x9000);
  EXPECT_NE(c.pub(kKey), pub_of(k.get()));
  // Same ID, other curve / other type.
  create_curve(c, 0x04, "secp384r1");
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 04").sw, 0x6A80);
  EXPECT_EQ(c.tx("80 01 06 00 0D 41 04 20 18 10 01 43 02 00 10 44 01 AA").sw, 0x6A80);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 01").data, hex("410101420101"));
  // Reserved / invalid IDs.
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 7F FF 03 00 42 01 03").sw, 0x6A80);
  EXPECT_EQ(c.tx("80 01 61 00 09 41 04 00 00 00 00 42 01 03").sw, 0x6A80);
}

TEST(SimEc, PolicyIsEnforced) {
  EcCard c;
  // "all users may only SIGN and DELETE" (doc example).
  ASSERT_EQ(c.tx("80 01 61 00 14 11 09 08 00 00 00 00 10 04 00 00 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  const Bytes digest(32, 0x42);
  c.sign(kKey, digest);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(kKey), se05x::LeMode::Extended).sw, 0x6986);
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x0A,
                 TlvWriter().u32(t::k1, kKey).u8(t::k2, 0x21).bytes(t::k3, digest).bytes(t::k5, hex("3006020101020101")).take()),
            0x6986);
  EXPECT_EQ(c.sw(0x01, 0x01, 0x00, id_tlv(kKey)), 0x6986);  // no WRITE
  // Attributes (applet 3.x: TAG_2) carry the policy and origin INTERNAL.
  auto a = c.tx("80 02 00 3B 06 41 04 20 18 10 01");
  ASSERT_EQ(a.sw, 0x9000);
  EXPECT_EQ(to_hex(a.data), "4218" "20181001" "01" "01" "0000" "00000000" "0000" "08000000001004000002");
  EXPECT_EQ(c.tx("80 04 00 28 06 41 04 20 18 10 01").sw, 0x9000);
  // Policy for another auth object only: plain user denied everything.
  ASSERT_EQ(c.tx("80 01 61 00 14 11 09 08 7D A0 00 01 1F FC 10 00 41 04 20 18 10 01 42 01 03").sw, 0x9000);
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, kKey).u8(t::k2, 0x21).bytes(t::k3, digest).take()), 0x6986);
  EXPECT_EQ(c.tx("80 04 00 28 06 41 04 20 18 10 01").sw, 0x6986);
  // Malformed policy (entry length 7).
  EXPECT_EQ(c.tx("80 01 61 00 13 11 08 07 00 00 00 00 10 04 00 41 04 20 18 10 02 42 01 03").sw, 0x6984);
  // FORBID_ALL
  ASSERT_EQ(c.tx("80 01 61 00 14 11 09 08 00 00 00 00 30 04 00 00 41 04 20 18 10 03 42 01 03").sw, 0x9000);
  EXPECT_EQ(c.sw(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, 0x20181003).u8(t::k2, 0x21).bytes(t::k3, digest).take()),
            0x6986);
}

TEST(SimEc, OtherCurvesSignAndVerify) {
  EcCard c;
  const struct {
    uint8_t id;
    const char* group;
    size_t len;
  } curves[] = {{0x04, "secp384r1", 48}, {0x05, "secp521r1", 66}, {0x10, "secp256k1", 32}, {0x09, "brainpoolP256r1", 32}};
  uint32_t id = 0x30000000;
  for (const auto& cv : curves) {
    create_curve(c, cv.id, cv.group);
    ASSERT_EQ(c.sw(0x01, 0x61, 0x00, TlvWriter().u32(t::k1, ++id).u8(t::k2, cv.id).take()), 0x9000) << cv.group;
    Bytes point = c.pub(id);
    ASSERT_EQ(point.size(), 1 + 2 * cv.len);
    auto size = c.cmd(0x02, 0x00, 0x07, id_tlv(id));
    EXPECT_EQ(get_u16(size.data, 2), cv.len);
    const Bytes digest(64, 0x5A);
    Bytes sig = c.sign(id, digest, 0x26);
    Key pub(ec_public_key(cv.group, point));
    EXPECT_TRUE(verify_der(pub.get(), digest, sig)) << cv.group;
  }
}

TEST(SimEc, Applet72UsesPerCurveTypeCodesAndBuiltInCurves) {
  Card c(make_cfg("SE050E"));
  c.select();
  ASSERT_EQ(c.tx("80 01 61 00 09 41 04 20 18 10 01 42 01 03").sw, 0x9000);  // no curve creation needed
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 01").data, hex("410129420101"));
  ASSERT_EQ(c.sw(0x01, 0x61, 0x00, TlvWriter().u32(t::k1, 0x20181002).u8(t::k2, 0x04).take()), 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 02").data, hex("41012D420101"));
  auto a = c.tx("80 02 00 3B 06 41 04 20 18 10 01");
  ASSERT_EQ(a.sw, 0x9000);
  EXPECT_EQ(a.data[0], 0x43);  // attributes in TAG_3 from 7.2
  EXPECT_EQ(a.data.size(), 2u + 4 + 1 + 1 + 2 + 4 + 2 + 9 + 1 + 4);
  EXPECT_EQ(a.data[2 + 4], 0x29);
  // ReadIDList type filter uses the same codes.
  auto l = c.tx("80 02 00 25 00 00 07 41 02 00 00 42 01 29 00 00");
  ASSERT_EQ(l.sw, 0x9000);
  EXPECT_EQ(to_hex(l.data), "410101" "4208" "20181001F0000100");
}

}  // namespace
}  // namespace sx::sim::test
