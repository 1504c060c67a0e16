// RSA: generation, component import (CRT / RAW / public), sign/verify, encrypt/decrypt, SE050E.
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "sim_test_util.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;

using Key = ossl::Pkey;

Bytes bn_param(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, name, &bn);
  Bytes out(static_cast<size_t>(BN_num_bytes(bn)));
  BN_bn2bin(bn, out.data());
  BN_free(bn);
  return out;
}

Key rsa_pub(ByteView n, ByteView e) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* bn = BN_bin2bn(n.data(), static_cast<int>(n.size()), nullptr);
  BIGNUM* be = BN_bin2bn(e.data(), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn);
  BN_free(be);
  return Key(key);
}

bool host_verify(EVP_PKEY* key, const EVP_MD* md, bool pss, ByteView msg, ByteView sig) {
  EVP_MD_CTX* m = EVP_MD_CTX_new();
  EVP_PKEY_CTX* p = nullptr;
  bool ok = EVP_DigestVerifyInit(m, &p, md, nullptr, key) == 1;
  if (pss) ok = ok && EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING) == 1;
  ok = ok && EVP_DigestVerify(m, sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  EVP_MD_CTX_free(m);
  return ok;
}

Bytes host_crypt(EVP_PKEY* key, bool encrypt, int pad, ByteView in) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
  if (encrypt) EVP_PKEY_encrypt_init(ctx); else EVP_PKEY_decrypt_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, pad);
  Bytes out(1024);
  size_t len = out.size();
  const int r = encrypt ? EVP_PKEY_encrypt(ctx, out.data(), &len, in.data(), in.size())
                        : EVP_PKEY_decrypt(ctx, out.data(), &len, in.data(), in.size());
  EVP_PKEY_CTX_free(ctx);
  out.resize(r == 1 ? len : 0);
  return out;
}

Bytes even(Bytes v) {  // the MW's "ByteShift"
  if (v.size() % 2) v.insert(v.begin(), 0x00);
  return v;
}

struct RsaCard : Card {
  RsaCard() { select(); }
  Key public_key(uint32_t id) {
    auto n = cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, id).u8(t::k4, 0).take(), se05x::LeMode::Extended);
    auto e = cmd(0x02, 0x00, 0x00, TlvWriter().u32(t::k1, id).u8(t::k4, 1).take(), se05x::LeMode::Extended);
    EXPECT_EQ(n.sw, 0x9000);
    EXPECT_EQ(e.sw, 0x9000);
    return rsa_pub(value(n), value(e));
  }
  se05x::Response sign(uint32_t id, uint8_t algo, ByteView msg) {
    return cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, msg).take(),
               se05x::LeMode::Extended);
  }
  se05x::Response crypt(uint32_t id, bool enc, uint8_t algo, ByteView data) {
    return cmd(0x03, 0x02, enc ? 0x37 : 0x38, TlvWriter().u32(t::k1, id).u8(t::k2, algo).bytes(t::k3, data).take(),
               se05x::LeMode::Extended);
  }
};

TEST(SimRsa, Generate2048RawSignVerifyEncryptDecrypt) {
  RsaCard c;
  ASSERT_EQ(c.tx("80 01 62 4F 0A 41 04 20 18 10 11 42 02 08 00").sw, 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 20 18 10 11").data, hex("410104420101"));
  EXPECT_EQ(c.tx("80 02 00 07 06 41 04 20 18 10 11").data, hex("41020100"));
  Key pub = c.public_key(0x20181011);
  ASSERT_TRUE(pub);
  EXPECT_EQ(EVP_PKEY_get_bits(pub.get()), 2048);
  const Bytes msg = hex("48656C6C6F2C2053453035302100");
  auto s1 = c.sign(0x20181011, 0x28, msg);
  ASSERT_EQ(s1.sw, 0x9000);
  EXPECT_EQ(value(s1).size(), 256u);
  EXPECT_TRUE(host_verify(pub.get(), EVP_sha256(), false, msg, value(s1)));
  auto s2 = c.sign(0x20181011, 0x2C, msg);
  ASSERT_EQ(s2.sw, 0x9000);
  EXPECT_TRUE(host_verify(pub.get(), EVP_sha256(), true, msg, value(s2)));
  auto s3 = c.sign(0x20181011, 0x2A, msg);
  EXPECT_TRUE(host_verify(pub.get(), EVP_sha512(), false, msg, value(s3)));
  // Card verify.
  auto v = c.cmd(0x03, 0x0C, 0x0A,
                 TlvWriter().u32(t::k1, 0x20181011).u8(t::k2, 0x2C).bytes(t::k3, msg).bytes(t::k5, value(s2)).take());
  EXPECT_EQ(v.data, hex("410101"));
  auto vbad = c.cmd(0x03, 0x0C, 0x0A,
                    TlvWriter().u32(t::k1, 0x20181011).u8(t::k2, 0x28).bytes(t::k3, msg).bytes(t::k5, value(s2)).take());
  EXPECT_EQ(vbad.data, hex("410102"));
  // Raw private op (host-padded digest signature, the MW's sign_digest path).
  Bytes block(256, 0x00);
  block[1] = 0x01;
  for (size_t i = 2; i < 200; ++i) block[i] = 0xFF;
  for (size_t i = 201; i < 256; ++i) block[i] = static_cast<uint8_t>(i);
  auto raw = c.crypt(0x20181011, false, 0x0C, block);
  ASSERT_EQ(raw.sw, 0x9000);
  EXPECT_EQ(host_crypt(pub.get(), true, RSA_NO_PADDING, value(raw)), block);  // s^e == block
  EXPECT_EQ(c.crypt(0x20181011, false, 0x0C, Bytes(255, 1)).sw, 0x6A80);      // NO_PAD needs k bytes
  // PKCS#1 and OAEP round trips, card encrypt -> card decrypt and host encrypt -> card decrypt.
  for (uint8_t algo : {uint8_t{0x0A}, uint8_t{0x0F}}) {
    auto ct = c.crypt(0x20181011, true, algo, msg);
    ASSERT_EQ(ct.sw, 0x9000);
    auto pt = c.crypt(0x20181011, false, algo, value(ct));
    ASSERT_EQ(pt.sw, 0x9000);
    EXPECT_EQ(value(pt), msg);
  }
  auto host_ct = host_crypt(pub.get(), true, RSA_PKCS1_OAEP_PADDING, msg);
  EXPECT_EQ(value(c.crypt(0x20181011, false, 0x0F, host_ct)), msg);
  EXPECT_EQ(c.crypt(0x20181011, false, 0x0A, host_ct).sw, 0x6A80);  // wrong padding
  // Unknown algorithm bytes.
  EXPECT_EQ(c.sign(0x20181011, 0x99, msg).sw, 0x6A80);
  EXPECT_EQ(c.crypt(0x20181011, true, 0x99, msg).sw, 0x6A80);
}

TEST(SimRsa, ComponentImportCrtRawAndPublic) {
  RsaCard c;
  Key k(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  ASSERT_TRUE(k);
  const Bytes n = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_N), e = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_E),
              d = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_D), p = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR1),
              q = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_FACTOR2), dp = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1),
              dq = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2),
              qi = bn_param(k.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  const Bytes msg = hex("0102030405");

  // CRT pair: p, q, dp, dq, qinv, e, n; the first APDU carries the key part + size.
  const std::pair<uint8_t, Bytes> crt[] = {{t::k3, p},  {t::k4, q}, {t::k5, dp}, {t::k6, dq},
                                           {t::k7, qi}, {t::k8, e}, {t::k10, n}};
  bool first = true;
  for (const auto& [tag, v] : crt) {
    TlvWriter w;
    w.u32(t::k1, 0x500);
    if (first) w.u16(t::k2, 1024);
    w.bytes(tag, tag == t::k8 ? v : even(v));
    EXPECT_EQ(c.sw(0x01, first ? 0x62 : 0x02, 0x00, w.data()), 0x9000);
    if (first) {
      EXPECT_EQ(c.sign(0x500, 0x28, msg).sw, 0x6985);  // incomplete
    }
    first = false;
  }
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 00 00 05 00").data, hex("410105420101"));
  auto s = c.sign(0x500, 0x28, msg);
  ASSERT_EQ(s.sw, 0x9000);
  EXPECT_TRUE(host_verify(k.get(), EVP_sha256(), false, msg, value(s)));
  // Format is fixed: a RAW write to the CRT key is refused.
  EXPECT_EQ(c.sw(0x01, 0x02, 0x4F, TlvWriter().u32(t::k1, 0x500).bytes(t::k9, d).take()), 0x6A80);

  // RAW pair: e, d, n.
  EXPECT_EQ(c.sw(0x01, 0x62, 0x4F, TlvWriter().u32(t::k1, 0x501).u16(t::k2, 1024).bytes(t::k8, e).take()), 0x9000);
  EXPECT_EQ(c.sw(0x01, 0x02, 0x4F, TlvWriter().u32(t::k1, 0x501).bytes(t::k9, even(d)).take()), 0x9000);
  EXPECT_EQ(c.sw(0x01, 0x02, 0x4F, TlvWriter().u32(t::k1, 0x501).bytes(t::k10, even(n)).take()), 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 00 00 05 01").data, hex("410104420101"));
  auto s2 = c.sign(0x501, 0x15, msg);
  ASSERT_EQ(s2.sw, 0x9000);
  EXPECT_TRUE(host_verify(k.get(), EVP_sha1(), true, msg, value(s2)));
  // CRT component in a RAW key.
  EXPECT_EQ(c.sw(0x01, 0x02, 0x4F, TlvWriter().u32(t::k1, 0x501).bytes(t::k3, p).take()), 0x6A80);

  // Public key: e, n. Encrypt on card, decrypt on host.
  EXPECT_EQ(c.sw(0x01, 0x22, 0x4F, TlvWriter().u32(t::k1, 0x502).u16(t::k2, 1024).bytes(t::k8, e).take()), 0x9000);
  EXPECT_EQ(c.sw(0x01, 0x02, 0x4F, TlvWriter().u32(t::k1, 0x502).bytes(t::k10, n).take()), 0x9000);
  EXPECT_EQ(c.tx("80 02 00 26 06 41 04 00 00 05 02").data, hex("410108420101"));
  auto ct = c.crypt(0x502, true, 0x0A, msg);
  ASSERT_EQ(ct.sw, 0x9000);
  EXPECT_EQ(host_crypt(k.get(), false, RSA_PKCS1_PADDING, value(ct)), msg);
  EXPECT_EQ(c.crypt(0x502, false, 0x0A, value(ct)).sw, 0x6985);  // no private part
  EXPECT_EQ(c.sign(0x502, 0x28, msg).sw, 0x6985);
  // Component too long for the declared size; bad key size on create.
  EXPECT_EQ(c.sw(0x01, 0x22, 0x4F, TlvWriter().u32(t::k1, 0x503).u16(t::k2, 1024).bytes(t::k10, Bytes(129, 1)).take()),
            0x6A80);
  EXPECT_EQ(c.sw(0x01, 0x62, 0x4F, TlvWriter().u32(t::k1, 0x503).u16(t::k2, 1000).take()), 0x6A80);
  // ReadObject of an RSA key needs TAG_4.
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(0x502), se05x::LeMode::Extended).sw, 0x6A80);
}

TEST(SimRsa, Se050eHasNoRsa) {
  Card c(make_cfg("SE050E"));
  c.select();
  EXPECT_EQ(c.tx("80 01 62 4F 0A 41 04 20 18 10 11 42 02 08 00").sw, 0x6D00);
  EXPECT_EQ(c.cmd(0x03, 0x02, 0x37, TlvWriter().u32(t::k1, 0xF0000100).u8(t::k2, 0x0A).bytes(t::k3, hex("01")).take()).sw,
            0x6D00);
  EXPECT_EQ(c.tx("80 04 00 27 06 41 04 F0 00 01 10").data, hex("410102"));  // no factory RSA key
  // RSA algo on an EC key -> wrong data (algo unknown for EC)
  EXPECT_EQ(c.cmd(0x03, 0x0C, 0x09, TlvWriter().u32(t::k1, 0xF0000100).u8(t::k2, 0x28).bytes(t::k3, hex("01")).take()).sw,
            0x6A80);
}

}  // namespace
}  // namespace sx::sim::test
