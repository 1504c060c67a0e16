// The host stack against the simulator over every transport (see rig.h):
// key generation and import, signatures verified by OpenSSL, binary objects up
// to the chip's maximum, listing, deletion, memory exhaustion, restarts.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/ossl.h"
#include "integration/rig.h"
#include "support/ossl_check.h"
#include "se05x/client.h"
#include "se05x/curves.h"
#include "se05x/public_key.h"

#ifndef SX_RIG_KINDS
#define SX_RIG_KINDS "t1", "jrcp-tcp", "jrcp-unix"
#endif

namespace sx::testing {
namespace {

using se05x::Client;
using se05x::Curve;

const EVP_MD* md_for(Curve c) {
  switch (c) {
    case Curve::NistP384: return EVP_sha384();
    case Curve::NistP521: return EVP_sha512();
    default: return EVP_sha256();
  }
}

class HostStack : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto r = make_rig(GetParam());
    if (!r.ok() && r.error().code == Errc::Unsupported) GTEST_SKIP() << r.error().to_string();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    rig_ = std::move(*r);
    client_ = std::make_unique<Client>(rig_->channel());
    auto v = client_->select();
    ASSERT_TRUE(v.ok()) << v.error().to_string();
  }
  Client& chip() { return *client_; }
  void reconnect() {
    auto s = rig_->restart();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    client_ = std::make_unique<Client>(rig_->channel());
    ASSERT_TRUE(client_->select().ok());
  }

  // Signs with the chip key and verifies with OpenSSL using the exported public key.
  void expect_ec_signature_verifies(uint32_t id, Curve curve) {
    auto pub = se05x::read_public_key(chip(), id);
    ASSERT_TRUE(pub.ok()) << pub.error().to_string();
    Bytes msg = random_bytes(100);
    auto sig = chip().ecdsa_sign(id, digest(md_for(curve), msg));
    ASSERT_TRUE(sig.ok()) << sig.error().to_string();
    auto ok = se05x::verify_message(pub->get(), md_for(curve), msg, *sig);
    ASSERT_TRUE(ok.ok()) << ok.error().to_string();
    EXPECT_TRUE(*ok);
    // A different message must not verify: the check above can fail.
    msg[0] ^= 1;
    EXPECT_FALSE(*se05x::verify_message(pub->get(), md_for(curve), msg, *sig));
  }

  void expect_rsa_signatures_verify(uint32_t id) {
    auto pub = se05x::read_public_key(chip(), id);
    ASSERT_TRUE(pub.ok()) << pub.error().to_string();
    Bytes msg = random_bytes(200);
    auto pkcs1 = chip().rsa_sign(id, se05x::RsaSignAlgo::Pkcs1Sha256, msg);
    ASSERT_TRUE(pkcs1.ok()) << pkcs1.error().to_string();
    EXPECT_TRUE(*se05x::verify_message(pub->get(), EVP_sha256(), msg, *pkcs1));
    auto pss = chip().rsa_sign(id, se05x::RsaSignAlgo::PssSha256, msg);
    ASSERT_TRUE(pss.ok()) << pss.error().to_string();
    EXPECT_TRUE(*se05x::verify_message(pub->get(), EVP_sha256(), msg, *pss, true));
    // The middleware's digest path: host-built PKCS#1 v1.5 block, raw private-key operation.
    const size_t k = static_cast<size_t>(EVP_PKEY_get_size(pub->get()));
    Bytes hash = digest(EVP_sha256(), msg);
    static const uint8_t kSha256Prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                            0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    Bytes info(kSha256Prefix, kSha256Prefix + sizeof kSha256Prefix);
    append(info, hash);
    // EMSA-PKCS1-v1_5: 00 01 FF..FF 00 DigestInfo
    Bytes block{0x00, 0x01};
    block.resize(k - info.size() - 1, 0xFF);
    block.push_back(0x00);
    append(block, info);
    auto raw = chip().rsa_decrypt(id, se05x::RsaEncAlgo::NoPad, block);
    ASSERT_TRUE(raw.ok()) << raw.error().to_string();
    EXPECT_TRUE(*se05x::verify_message(pub->get(), EVP_sha256(), msg, *raw));
  }

  std::unique_ptr<Rig> rig_;
  std::unique_ptr<Client> client_;
};

TEST_P(HostStack, EcKeysGeneratedOnChipSignVerifiably) {
  uint32_t id = 0x30000001;
  for (Curve c : {Curve::NistP256, Curve::NistP384, Curve::NistP521}) {
    SCOPED_TRACE(se05x::curve_info(c)->name);
    ASSERT_TRUE(chip().ensure_curve(c).ok());
    auto g = chip().generate_ec_key(id, c);
    ASSERT_TRUE(g.ok()) << g.error().to_string();
    expect_ec_signature_verifies(id, c);
    ++id;
  }
}

TEST_P(HostStack, EcKeysImportedSignVerifiably) {
  uint32_t id = 0x30000101;
  for (Curve c : {Curve::NistP256, Curve::NistP384, Curve::NistP521}) {
    SCOPED_TRACE(se05x::curve_info(c)->name);
    const auto* ci = se05x::curve_info(c);
    ossl::Pkey key(EVP_EC_gen(OBJ_nid2sn(ci->nid)));
    ASSERT_TRUE(key);
    Bytes d = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY);
    Bytes priv(ci->bytes - d.size(), 0);
    append(priv, d);
    Bytes point(1 + 2u * ci->bytes);
    size_t plen = 0;
    ASSERT_EQ(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size(), &plen), 1);
    ASSERT_TRUE(chip().ensure_curve(c).ok());
    se05x::EcKeyWrite w;
    w.id = id;
    w.curve = c;
    w.part = se05x::KeyPart::Pair;
    w.private_key = priv;
    w.public_key = point;
    auto s = chip().write_ec_key(w);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    expect_ec_signature_verifies(id, c);
    // The chip holds the imported key, not another one: OpenSSL's own key verifies too.
    Bytes msg = random_bytes(32);
    auto sig = chip().ecdsa_sign(id, digest(md_for(c), msg));
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(*se05x::verify_message(key.get(), md_for(c), msg, *sig));
    ++id;
  }
}

TEST_P(HostStack, RsaKeysGeneratedOnChipSignVerifiably) {
  uint32_t id = 0x30000201;
  for (int bits : {2048, 3072, 4096}) {
    SCOPED_TRACE(bits);
    auto g = chip().generate_rsa_key(id, static_cast<uint16_t>(bits), se05x::RsaFormat::Crt);
    ASSERT_TRUE(g.ok()) << g.error().to_string();
    expect_rsa_signatures_verify(id);
    ++id;
  }
}

TEST_P(HostStack, RsaKeysImportedSignVerifiably) {
  uint32_t id = 0x30000301;
  for (unsigned bits : {2048u, 3072u, 4096u}) {
    SCOPED_TRACE(bits);
    ossl::Pkey key(EVP_RSA_gen(bits));
    ASSERT_TRUE(key);
    Bytes p = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_FACTOR1);
    Bytes q = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_FACTOR2);
    Bytes dp = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1);
    Bytes dq = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2);
    Bytes qinv = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    Bytes e = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E);
    Bytes n = ossl::get_bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N);
    se05x::RsaKeyImport k;
    k.id = id;
    k.bits = static_cast<uint16_t>(bits);
    k.part = se05x::KeyPart::Pair;
    k.format = se05x::RsaFormat::Crt;
    k.p = p;
    k.q = q;
    k.dp = dp;
    k.dq = dq;
    k.qinv = qinv;
    k.e = e;
    k.n = n;
    auto s = chip().import_rsa_key(k);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    expect_rsa_signatures_verify(id);
    Bytes msg = random_bytes(64);
    auto sig = chip().rsa_sign(id, se05x::RsaSignAlgo::Pkcs1Sha384, msg);
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(*se05x::verify_message(key.get(), EVP_sha384(), msg, *sig));
    ++id;
  }
}

TEST_P(HostStack, BinaryObjectsFromOneByteToTheMaximum) {
  uint32_t id = 0x30000401;
  // 253..256 straddle one T=1 block, 500/501 the middleware's chunk, 892 the APDU buffer.
  for (size_t n : {size_t{1}, size_t{253}, size_t{254}, size_t{255}, size_t{256}, size_t{500}, size_t{501},
                   size_t{892}, size_t{1500}, size_t{8000}, size_t{32767}}) {
    SCOPED_TRACE(n);
    Bytes data = random_bytes(n);
    auto w = chip().create_binary(id, data);
    ASSERT_TRUE(w.ok()) << w.error().to_string();
    auto r = chip().read_binary(id);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(*r, data);
    ASSERT_TRUE(chip().delete_object(id).ok());
    ++id;
  }
  // One byte more than a binary file can hold is refused before anything is written.
  Bytes too_big(32768, 0x5A);
  EXPECT_FALSE(chip().create_binary(id, too_big).ok());
  EXPECT_FALSE(*chip().check_object_exists(id));
}

TEST_P(HostStack, ThreeHundredObjectsListedThroughPaging) {
  auto before = chip().read_all_ids();
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  for (uint32_t i = 0; i < 300; ++i) {
    const uint8_t b[1] = {static_cast<uint8_t>(i)};
    auto s = chip().create_binary(0x31000000 + i, b);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error().to_string();
  }
  auto page = chip().read_id_list(0);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->more) << "300 IDs must not fit one response";
  auto all = chip().read_all_ids();
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  EXPECT_EQ(all->size(), before->size() + 300);
  for (uint32_t i = 0; i < 300; ++i)
    EXPECT_NE(std::find(all->begin(), all->end(), 0x31000000 + i), all->end()) << i;
}

TEST_P(HostStack, DeletedObjectsAreGone) {
  const uint32_t id = 0x30000501;
  ASSERT_TRUE(chip().ensure_curve(Curve::NistP256).ok());
  ASSERT_TRUE(chip().generate_ec_key(id, Curve::NistP256).ok());
  EXPECT_TRUE(*chip().check_object_exists(id));
  ASSERT_TRUE(chip().delete_object(id).ok());
  EXPECT_FALSE(*chip().check_object_exists(id));
  Bytes digest(32, 1);
  auto s = chip().ecdsa_sign(id, digest);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::StatusWord);
  EXPECT_FALSE(chip().delete_object(id).ok());
  // Factory-provisioned objects cannot be deleted.
  EXPECT_FALSE(chip().delete_object(se05x::objid::kFactoryEcKey).ok());
  EXPECT_TRUE(*chip().check_object_exists(se05x::objid::kFactoryEcKey));
}

TEST_P(HostStack, FullMemoryIsReportedAndChangesNothing) {
  std::vector<uint32_t> made;
  Bytes chunk = random_bytes(16000);
  Error last;
  for (uint32_t id = 0x30000601; id < 0x30000601 + 64; ++id) {
    auto s = chip().create_binary(id, chunk);
    if (!s.ok()) {
      last = s.error();
      EXPECT_FALSE(*chip().check_object_exists(id)) << "a refused object must not exist";
      break;
    }
    made.push_back(id);
  }
  ASSERT_EQ(last.code, Errc::NoMemory) << last.to_string();
  EXPECT_EQ(last.sw, 0x6A84);
  EXPECT_FALSE(made.empty());
  for (uint32_t id : made) {
    auto r = chip().read_binary(id);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, chunk);
  }
  for (uint32_t id : made) ASSERT_TRUE(chip().delete_object(id).ok());
  EXPECT_TRUE(chip().create_binary(0x30000700, chunk).ok()) << "memory is usable again after deletion";
}

TEST_P(HostStack, ContentsSurviveASimulatorRestart) {
  const uint32_t key = 0x30000801, file = 0x30000802;
  ASSERT_TRUE(chip().ensure_curve(Curve::NistP256).ok());
  ASSERT_TRUE(chip().generate_ec_key(key, Curve::NistP256).ok());
  auto pub_before = chip().read_object(key);
  ASSERT_TRUE(pub_before.ok());
  Bytes data = random_bytes(1234);
  ASSERT_TRUE(chip().create_binary(file, data).ok());
  reconnect();
  EXPECT_EQ(*chip().read_binary(file), data);
  EXPECT_EQ(*chip().read_object(key), *pub_before);
  expect_ec_signature_verifies(key, Curve::NistP256);
}

INSTANTIATE_TEST_SUITE_P(Transports, HostStack, ::testing::Values(SX_RIG_KINDS),
                         [](const auto& p) {
                           std::string n = p.param;
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace sx::testing
