// Creating, importing, destroying; leftovers of interrupted creations; PINs.
#include <gtest/gtest.h>

#include <openssl/obj_mac.h>

#include "se05x/constants.h"
#include "token/id_range.h"
#include "token/store.h"
#include "support/test_rsa_key.h"
#include "token_test_util.h"

namespace sx::token {
namespace {

using namespace test;
namespace oid = se05x::objid;

struct WriteTest : ::testing::Test {
  sx::testing::TempDir dir;
  std::unique_ptr<Chip> chip = Chip::fresh(dir);
};

TEST_F(WriteTest, GeneratedKeyAndCertificateShareLabelAndIdAcrossAFreshToken) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "greengrass";
  n.id = Bytes{0xAB, 0xCD};
  n.subject = {0x30, 0x00};
  auto key = t->generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, n);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_TRUE(ids::in_range(key->chip_id));
  EXPECT_FALSE(ids::is_store_object(key->chip_id));
  const Bytes cert = sx::testing::self_signed_cert_der("device");
  auto c = t->create_certificate(cert, n);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_NE(c->chip_id, key->chip_id);

  auto t2 = open_token_read(*chip->ch);
  ASSERT_TRUE(t2);
  const Object* k = find_one(*t2, "greengrass", ObjectClass::PrivateKey);
  const Object* p = find_one(*t2, "greengrass", ObjectClass::PublicKey);
  const Object* ce = find_one(*t2, "greengrass", ObjectClass::Certificate);
  ASSERT_TRUE(k && p && ce);
  EXPECT_EQ(to_hex(k->id), "ABCD");
  EXPECT_EQ(ce->id, k->id);
  EXPECT_EQ(ce->value, cert);
  EXPECT_FALSE(k->adopted);
  EXPECT_EQ(k->subject, (Bytes{0x30, 0x00}));
  EXPECT_EQ(k->ec_point.size(), 65u);
  EXPECT_EQ(k->ec_point, p->ec_point);
  EXPECT_EQ(k->ec_point, t->find(*key)->ec_point);
  // The chip really signs with it.
  auto sig = t2->client().ecdsa_sign(k->chip_id, Bytes(32, 0x5A));
  ASSERT_TRUE(sig.ok());
  auto ok = t2->client().ecdsa_verify(k->chip_id, Bytes(32, 0x5A), *sig);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  // Second key with the same label: refused, nothing left behind.
  auto dup = t2->generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, n);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, Errc::Exists);
  EXPECT_EQ(count_class(*t2, ObjectClass::PrivateKey), 3u);
}

TEST_F(WriteTest, CurvesAndSizesOutsideTheListAreRefused) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->generate_key_pair({KeyType::Ec, se05x::Curve::Secp256k1, 0}, {}).error().code, Errc::InvalidArgument);
  // 512 the chip takes, but it is unsafe; 1536 the chip does not take (1024 is now offered).
  EXPECT_EQ(t->generate_key_pair({KeyType::Rsa, se05x::Curve::None, 512}, {}).error().code, Errc::InvalidArgument);
  EXPECT_EQ(t->generate_key_pair({KeyType::Rsa, se05x::Curve::None, 1536}, {}).error().code, Errc::InvalidArgument);
  EXPECT_EQ(t->create_certificate(hex("3000"), {}).error().code, Errc::InvalidArgument);
  EXPECT_EQ(t->create_data({}, {}).error().code, Errc::InvalidArgument);
}

TEST_F(WriteTest, GeneratesP384AndP521) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  for (auto [curve, len] : {std::pair{se05x::Curve::NistP384, 97u}, std::pair{se05x::Curve::NistP521, 133u}}) {
    auto r = t->generate_key_pair({KeyType::Ec, curve, 0}, {});
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const Object* o = t->find(*r);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->curve, curve);
    EXPECT_EQ(o->ec_point.size(), len);
    EXPECT_EQ(o->label, default_label(r->chip_id));
    EXPECT_EQ(o->id, default_ckid(r->chip_id));
  }
}

TEST_F(WriteTest, GeneratesOneRsa2048Key) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "rsa";
  auto r = t->generate_key_pair({KeyType::Rsa, se05x::Curve::None, 2048}, n);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Object* o = t->find(*r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->key_type, KeyType::Rsa);
  EXPECT_EQ(o->modulus_bits, 2048u);
  EXPECT_FALSE(o->public_exponent.empty());
  ASSERT_TRUE(t->find({r->chip_id, ObjectClass::PublicKey}));
}

TEST_F(WriteTest, ImportsAnEcKeyFromDerAndWipesIt) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  auto mat = parse_private_key_der(sx::testing::ec_private_der(NID_X9_62_prime256v1));
  ASSERT_TRUE(mat.ok()) << mat.error().to_string();
  const Bytes q = mat->ec()->q;
  NewObject n;
  n.label = "imported";
  auto r = t->import_private_key(std::move(*mat), n);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Object* o = t->find(*r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->ec_point, q);
  EXPECT_FALSE(o->adopted);
  EXPECT_EQ(parse_private_key_der(hex("300100")).error().code, Errc::InvalidArgument);
}

TEST_F(WriteTest, ImportsAnRsaKeyFromPkcs8) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  auto mat = parse_private_key_der(sx::testing::test_rsa_key_pkcs8());
  ASSERT_TRUE(mat.ok()) << mat.error().to_string();
  ASSERT_TRUE(mat->rsa());
  EXPECT_EQ(mat->rsa()->bits(), 2048);
  const Bytes n = mat->rsa()->n;
  NewObject attrs;
  attrs.label = "rsa-imported";
  auto r = t->import_private_key(std::move(*mat), attrs);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Object* o = t->find(*r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->modulus, n);
  EXPECT_EQ(o->modulus_bits, 2048u);
  auto sig = t->client().rsa_sign(r->chip_id, se05x::RsaSignAlgo::Pkcs1Sha256, hex("616263"));
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  auto ok = t->client().rsa_verify(r->chip_id, se05x::RsaSignAlgo::Pkcs1Sha256, hex("616263"), *sig);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
}

TEST_F(WriteTest, PrivateKeyMaterialWipesItself) {
  EcKeyMaterial ec;
  ec.d = Bytes(32, 0x77);
  PrivateKeyMaterial m(std::move(ec));
  m.wipe();
  EXPECT_TRUE(m.ec()->d.empty());
}

TEST_F(WriteTest, DestroyDeletesChipObjectAndMetadata) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "tmp";
  auto key = t->generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, n);
  ASSERT_TRUE(key.ok());
  // Destroying the public view hides it only.
  ASSERT_TRUE(t->destroy({key->chip_id, ObjectClass::PublicKey}).ok());
  EXPECT_EQ(t->find({key->chip_id, ObjectClass::PublicKey}), nullptr);
  ASSERT_TRUE(t->find(*key));
  ASSERT_TRUE(t->destroy(*key).ok());
  EXPECT_EQ(t->find(*key), nullptr);
  auto ex = t->client().check_object_exists(key->chip_id);
  ASSERT_TRUE(ex.ok());
  EXPECT_FALSE(*ex);
  auto t2 = open_token_read(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_TRUE(t2->find_label("tmp").empty());
  EXPECT_EQ(t2->destroy(*key).error().code, Errc::NotFound);
  // A factory public view can be hidden (metadata only).
  ASSERT_TRUE(t2->destroy({oid::kFactoryEcKey, ObjectClass::PublicKey}).ok());
  EXPECT_EQ(t2->find({oid::kFactoryEcKey, ObjectClass::PublicKey}), nullptr);
  EXPECT_TRUE(t2->find({oid::kFactoryEcKey, ObjectClass::PrivateKey}));
}

TEST_F(WriteTest, LeftoverOfAnInterruptedCreationIsDeletedAtOpen) {
  // Reproduce the state after a cut between "pending" and "committed": a pending
  // record plus the chip object.
  se05x::Client c(*chip->raw);
  ASSERT_TRUE(c.select().ok());
  MetadataStore s(c);
  ASSERT_TRUE(s.load(true).ok());
  Metadata md;
  ObjectRecord r;
  r.chip_id = ids::kAllocFirst;
  r.state = RecordState::Pending;
  r.cls = ObjectClass::Certificate;
  r.label = "half";
  md.objects.push_back(r);
  ObjectRecord gone = r;  // pending, chip object never created
  gone.chip_id = ids::kAllocFirst + 1;
  md.objects.push_back(gone);
  ASSERT_TRUE(s.commit(md).ok());
  ASSERT_TRUE(c.create_binary(ids::kAllocFirst, sx::testing::self_signed_cert_der("half")).ok());

  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->find_label("half").empty());
  EXPECT_EQ(t->find({ids::kAllocFirst, ObjectClass::Certificate}), nullptr);
  auto ex = c.check_object_exists(ids::kAllocFirst);
  ASSERT_TRUE(ex.ok());
  EXPECT_FALSE(*ex);
  MetadataStore after(c);
  ASSERT_TRUE(after.load(true).ok());
  EXPECT_TRUE(after.metadata().objects.empty());
}

TEST_F(WriteTest, DataObjectsKeepApplicationAndObjectId) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "cfg";
  n.application = "greengrass";
  n.object_id = {0x06, 0x01, 0x2A};
  auto r = t->create_data(hex("00112233"), n);
  ASSERT_TRUE(r.ok());
  AttributeUpdate u;
  u.application = "gg2";
  ASSERT_TRUE(t->set_attributes(*r, u).ok());
  auto t2 = open_token_read(*chip->ch);
  const Object* o = t2->find(*r);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->application, "gg2");
  EXPECT_EQ(to_hex(o->object_id), "06012A");
  EXPECT_EQ(to_hex(o->value), "00112233");
  // A data object whose bytes happen to be a certificate stays a data object.
  auto cert_as_data = t2->create_data(sx::testing::self_signed_cert_der("as data"), {});
  ASSERT_TRUE(cert_as_data.ok());
  auto t3 = open_token(*chip->ch);
  EXPECT_TRUE(t3->find(*cert_as_data));
}

TEST_F(WriteTest, PinsAreVerifiedCountedAndLocked) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->check_pin(UserType::User, "1234"), PinResult::NotSet);
  ASSERT_TRUE(t->set_pin(UserType::User, "1234").ok());
  ASSERT_TRUE(t->set_pin(UserType::So, "so-secret").ok());
  ASSERT_TRUE(t->set_token_label("greengrass").ok());
  EXPECT_EQ(*t->check_pin(UserType::User, "1234"), PinResult::Ok);
  EXPECT_EQ(*t->check_pin(UserType::User, "9999"), PinResult::Incorrect);
  EXPECT_EQ(*t->check_pin(UserType::So, "1234"), PinResult::Incorrect);
  auto t2 = open_token_read(*chip->ch);
  ASSERT_TRUE(t2);
  TokenInfo i = t2->info();
  EXPECT_EQ(i.label, "greengrass");
  EXPECT_TRUE(i.initialized && i.user_pin_set);
  EXPECT_EQ(i.user_failures, 1);
  EXPECT_EQ(i.so_failures, 1);
  EXPECT_EQ(*t2->check_pin(UserType::User, "1234"), PinResult::Ok);
  EXPECT_EQ(t2->info().user_failures, 0);
  for (int n = 1; n < kMaxPinFailures; ++n) EXPECT_EQ(*t2->check_pin(UserType::User, "bad"), PinResult::Incorrect);
  EXPECT_EQ(*t2->check_pin(UserType::User, "bad"), PinResult::Locked);
  EXPECT_EQ(*t2->check_pin(UserType::User, "1234"), PinResult::Locked);
  // The verifier on the chip is salted: same PIN, different hash.
  auto a = make_pin_verifier("1234", kMinPinIterations), b = make_pin_verifier("1234", kMinPinIterations);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->hash, b->hash);
  EXPECT_TRUE(check_pin(*a, "1234"));
  EXPECT_FALSE(check_pin(*a, "1235"));
  EXPECT_EQ(t2->set_token_label(std::string(33, 'x')).error().code, Errc::InvalidArgument);
}

// Key and certificate in one go: when the certificate does not fit, the key
// written before it is deleted again, nothing becomes visible, and the error
// says so (it used to claim "removed again" without checking).
TEST_F(WriteTest, KeyWithACertificateThatDoesNotFitLeavesNothing) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  // Both metadata slots exist (later commits need no new memory).
  ASSERT_TRUE(t->set_token_label("a").ok());
  ASSERT_TRUE(t->set_token_label("b").ok());
  se05x::Client c(*chip->raw);
  ASSERT_TRUE(c.select().ok());
  auto free_now = [&] {
    auto f = c.get_free_memory(se05x::MemoryType::Persistent);
    EXPECT_TRUE(f.ok());
    return f.ok() ? size_t{*f} : size_t{0};
  };
  // GetFreeMemory saturates at 0x7FFF: first fill below that.
  uint32_t filler = 0x10000001;
  while (free_now() >= 0x7000) ASSERT_TRUE(c.create_binary(filler++, Bytes(0x4000, 0xA5)).ok());
  // The simulator's per-object overhead, measured.
  const size_t f0 = free_now();
  ASSERT_TRUE(c.create_binary(0x10000000, Bytes(100, 0xA5)).ok());
  const size_t overhead = f0 - free_now() - 100;
  ASSERT_TRUE(c.delete_object(0x10000000).ok());
  // Leave room for the P-256 key pair (97 bytes) and 50 more: not for the certificate.
  const size_t want = overhead + 97 + 50;
  for (size_t f = free_now(); f > want + overhead; f = free_now())
    ASSERT_TRUE(c.create_binary(filler++, Bytes(std::min<size_t>(f - want - overhead, 0x7FFF), 0xA5)).ok());
  const size_t before_free = free_now();
  ASSERT_GE(before_free, overhead + 97);
  const Bytes cert = sx::testing::self_signed_cert_der("too big to fit", false);
  ASSERT_GT(cert.size() + overhead, before_free - (overhead + 97));
  auto before = open_token(*chip->ch);
  ASSERT_TRUE(before);
  ASSERT_TRUE(before->list_chip().ok());  // the fillers, written by another client, included
  const size_t objects = before->objects().size();
  auto mat = parse_private_key_der(sx::testing::ec_private_der(NID_X9_62_prime256v1));
  ASSERT_TRUE(mat.ok());
  NewObject n;
  n.label = "gg";
  n.id = Bytes{0x01};
  auto r = t->import_private_key_with_certificate(std::move(*mat), cert, n);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::NoMemory) << r.error().to_string();
  EXPECT_NE(r.error().message.find("nothing was created"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("hidden"), std::string::npos) << r.error().message;
  EXPECT_FALSE(find_one(*t, "gg", ObjectClass::PrivateKey));
  EXPECT_EQ(free_now(), before_free) << "the key written first was not deleted";
  auto t2 = open_token_read(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->objects().size(), objects);
  EXPECT_FALSE(find_one(*t2, "gg", ObjectClass::PrivateKey));
  auto ids = c.read_all_ids();
  ASSERT_TRUE(ids.ok());
  for (uint32_t id : *ids) EXPECT_FALSE(ids::in_range(id) && !ids::is_store_object(id)) << default_label(id);
}

}  // namespace
}  // namespace sx::token
