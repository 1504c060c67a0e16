// Opening, adoption of factory objects, the RAM cache and the cheap version check.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "se05x/constants.h"
#include "token/id_range.h"
#include "token_test_util.h"

namespace sx::token {
namespace {

using namespace test;
namespace oid = se05x::objid;

struct TokenTest : ::testing::Test {
  sx::testing::TempDir dir;
  std::unique_ptr<Chip> chip = Chip::fresh(dir);
};

TEST_F(TokenTest, FactoryObjectsAreAdoptedByDefault) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  const Object* key = t->find({oid::kFactoryEcKey, ObjectClass::PrivateKey});
  const Object* pub = t->find({oid::kFactoryEcKey, ObjectClass::PublicKey});
  const Object* cert = t->find({oid::kFactoryEcCert, ObjectClass::Certificate});
  ASSERT_TRUE(key && pub && cert);
  EXPECT_EQ(key->label, "sss:F0000100");
  EXPECT_EQ(to_hex(key->id), "F0000100");
  EXPECT_EQ(pub->label, key->label);
  EXPECT_EQ(pub->id, key->id);
  EXPECT_TRUE(key->adopted && key->factory && !key->has_metadata);
  EXPECT_TRUE(key->is_private);
  EXPECT_FALSE(pub->is_private);
  EXPECT_EQ(key->key_type, KeyType::Ec);
  EXPECT_EQ(key->curve, se05x::Curve::NistP256);
  EXPECT_EQ(to_hex(key->ec_params), "06082A8648CE3D030107");
  ASSERT_EQ(key->ec_point.size(), 65u);
  EXPECT_EQ(key->ec_point[0], 0x04);
  EXPECT_TRUE(key->value.empty());
  EXPECT_EQ(cert->label, "sss:F0000101");
  EXPECT_FALSE(cert->value.empty());
  EXPECT_FALSE(cert->subject.empty());
  EXPECT_FALSE(cert->issuer.empty());
  EXPECT_NE(cert->subject, cert->issuer);
  EXPECT_EQ(cert->serial[0], 0x02);  // DER INTEGER
  EXPECT_FALSE(cert->is_private);
  // RSA factory pair: modulus and exponent from the chip.
  const Object* rsa = t->find({oid::kFactoryRsaKey, ObjectClass::PrivateKey});
  ASSERT_TRUE(rsa);
  EXPECT_EQ(rsa->key_type, KeyType::Rsa);
  EXPECT_EQ(rsa->modulus_bits, 2048u);
  EXPECT_EQ(to_hex(rsa->public_exponent), "010001");
  // Applet-reserved objects (the unique ID) are hidden.
  for (const auto& o : t->objects()) EXPECT_FALSE(ids::is_applet_reserved(o.chip_id)) << o.label;
  EXPECT_EQ(t->objects().size(), 6u);  // 2 pairs x 2 views + 2 certificates
  EXPECT_EQ(t->info().store_state, StoreState::Empty);
}

TEST_F(TokenTest, OpeningAFreshChipWritesNothing) {
  auto before = chip->sim->faults().writes();
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  EXPECT_EQ(chip->sim->faults().writes(), before);
}

TEST_F(TokenTest, RelabelFactoryKeyAndCertToOneLabelAndId) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  AttributeUpdate u;
  u.label = "greengrass";
  u.id = Bytes{0x01};
  ASSERT_TRUE(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u).ok());
  ASSERT_TRUE(t->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
  for (auto* tok : {t.get()}) {
    const Object* k = find_one(*tok, "greengrass", ObjectClass::PrivateKey);
    const Object* p = find_one(*tok, "greengrass", ObjectClass::PublicKey);
    const Object* c = find_one(*tok, "greengrass", ObjectClass::Certificate);
    ASSERT_TRUE(k && p && c);
    EXPECT_EQ(k->id, Bytes{0x01});
    EXPECT_EQ(c->id, Bytes{0x01});
    EXPECT_TRUE(k->adopted && k->has_metadata);
  }
  // A fresh token on the same chip sees the same.
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  const Object* k = find_one(*t2, "greengrass", ObjectClass::PrivateKey);
  const Object* c = find_one(*t2, "greengrass", ObjectClass::Certificate);
  ASSERT_TRUE(k && c);
  EXPECT_EQ(k->chip_id, oid::kFactoryEcKey);
  EXPECT_EQ(c->chip_id, oid::kFactoryEcCert);
  EXPECT_EQ(c->id, k->id);
  // Forgetting reverts to the adoption defaults.
  ASSERT_TRUE(t2->forget(oid::kFactoryEcCert).ok());
  EXPECT_EQ(t2->find({oid::kFactoryEcCert, ObjectClass::Certificate})->label, "sss:F0000101");
}

TEST_F(TokenTest, UniquenessPerClassIsEnforced) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  AttributeUpdate u;
  u.label = "gg";
  u.id = Bytes{0x01};
  ASSERT_TRUE(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u).ok());
  // Same label on the other private key: refused; on a certificate: fine.
  auto st = t->set_attributes({oid::kFactoryRsaKey, ObjectClass::PrivateKey}, u);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::Exists);
  AttributeUpdate id_only;
  id_only.id = Bytes{0x01};
  EXPECT_EQ(t->set_attributes({oid::kFactoryRsaKey, ObjectClass::PrivateKey}, id_only).error().code, Errc::Exists);
  EXPECT_TRUE(t->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
  EXPECT_EQ(t->set_attributes({oid::kFactoryRsaCert, ObjectClass::Certificate}, u).error().code, Errc::Exists);
  // Relabelling an object to its own current values is not a conflict.
  EXPECT_TRUE(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PublicKey}, u).ok());
  // Bad values.
  AttributeUpdate bad;
  bad.label = std::string(256, 'x');
  EXPECT_EQ(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, bad).error().code,
            Errc::InvalidArgument);
  bad.label = "\xC3";
  EXPECT_EQ(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, bad).error().code,
            Errc::InvalidArgument);
  AttributeUpdate subj;
  subj.subject = Bytes{0x30, 0x00};
  EXPECT_EQ(t->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, subj).error().code,
            Errc::InvalidArgument);
  EXPECT_EQ(t->set_attributes({0x12345678, ObjectClass::PrivateKey}, u).error().code, Errc::NotFound);
}

TEST_F(TokenTest, SecondInstanceSeesChangesThroughRefreshWithOneReadWhenUnchanged) {
  RecordingChannel ch_a(*chip->raw), ch_b(*chip->raw);
  auto a = open_token(ch_a);
  auto b = open_token(ch_b);
  ASSERT_TRUE(a && b);
  ch_b.apdus = 0;
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(ch_b.apdus, 1) << "cheap check on a chip without metadata";

  AttributeUpdate u;
  u.label = "renamed";
  ASSERT_TRUE(a->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
  EXPECT_EQ(b->find({oid::kFactoryEcCert, ObjectClass::Certificate})->label, "sss:F0000101");  // cached
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(b->find({oid::kFactoryEcCert, ObjectClass::Certificate})->label, "renamed");
  ch_b.apdus = 0;
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(ch_b.apdus, 1) << "nothing changed: exactly one small read";
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(ch_b.apdus, 2);

  // A new object created through A: B sees it, and its certificate is not re-read by A.
  auto cert = sx::testing::self_signed_cert_der("second instance");
  NewObject n;
  n.label = "c2";
  auto ref = a->create_certificate(cert, n);
  ASSERT_TRUE(ref.ok()) << ref.error().to_string();
  ASSERT_TRUE(b->refresh().ok());
  const Object* seen = b->find(*ref);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->label, "c2");
  // The index describes it; its bytes are read when asked for, once.
  EXPECT_FALSE(seen->bytes_loaded);
  ASSERT_TRUE(b->load_bytes(ref->chip_id).ok());
  EXPECT_EQ(seen->value, cert);
  ch_b.apdus = 0;
  ASSERT_TRUE(b->load_bytes(ref->chip_id).ok());
  EXPECT_EQ(ch_b.apdus, 0);
}

TEST_F(TokenTest, RefreshDoesNotReReadCachedCertificates) {
  RecordingChannel ch_a(*chip->raw), ch_b(*chip->raw);
  auto a = open_token(ch_a);
  auto b = open_token(ch_b);
  ASSERT_TRUE(a && b);
  AttributeUpdate u;
  u.label = "x";
  ASSERT_TRUE(a->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u).ok());
  ch_b.apdus = 0;
  ASSERT_TRUE(b->refresh().ok());
  // pointer + ReadIDList + store load (3 exists + 2x size/read + pointer) and no per-object reads.
  EXPECT_LE(ch_b.apdus, 12);
  EXPECT_EQ(b->find({oid::kFactoryEcKey, ObjectClass::PrivateKey})->label, "x");
}

TEST_F(TokenTest, MetadataOfVanishedObjectIsIgnoredAndCleaned) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "doomed";
  auto ref = t->create_certificate(sx::testing::self_signed_cert_der("doomed"), n);
  ASSERT_TRUE(ref.ok());
  // Another tool deletes the chip object behind our back.
  se05x::Client other(*chip->raw);
  ASSERT_TRUE(other.select().ok());
  ASSERT_TRUE(other.delete_object(ref->chip_id).ok());
  // A cold open trusts the object index (no ReadIDList): the object is still listed.
  // The chip's list, asked for by a search the index cannot answer alone, drops it,
  // and (the store being writable) the record and the index entry go at once.
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_NE(t2->find(*ref), nullptr);
  ASSERT_TRUE(t2->list_chip().ok());
  EXPECT_EQ(t2->find(*ref), nullptr);
  EXPECT_TRUE(t2->find_label("doomed").empty());
  auto t3 = open_token(*chip->ch);  // cleaned by t2's listing: no record, no index entry
  ASSERT_TRUE(t3);
  EXPECT_EQ(t3->info().store_state, StoreState::Loaded);
  EXPECT_TRUE(t3->find_label("doomed").empty());
}

TEST_F(TokenTest, ObjectsOfOtherToolsAreShownAndOurRangeWithoutMetadataIsAdopted) {
  se05x::Client other(*chip->raw);
  ASSERT_TRUE(other.select().ok());
  ASSERT_TRUE(other.ensure_curve(se05x::Curve::NistP256).ok());
  ASSERT_TRUE(other.generate_ec_key(0x20181001, se05x::Curve::NistP256).ok());
  ASSERT_TRUE(other.create_binary(0x20181003, hex("DEADBEEF")).ok());
  ASSERT_TRUE(other.create_binary(ids::kAllocFirst + 7, hex("CAFE")).ok());
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  const Object* k = t->find({0x20181001, ObjectClass::PrivateKey});
  ASSERT_TRUE(k);
  EXPECT_EQ(k->label, "sss:20181001");
  EXPECT_FALSE(k->factory);
  const Object* d = t->find({0x20181003, ObjectClass::Data});
  ASSERT_TRUE(d);
  EXPECT_EQ(to_hex(d->value), "DEADBEEF");
  // In our range but never recorded: not provably ours, so shown (not deleted).
  const Object* mine = t->find({ids::kAllocFirst + 7, ObjectClass::Data});
  ASSERT_TRUE(mine);
  EXPECT_TRUE(mine->adopted);
  // A non-factory adopted object can be destroyed; a factory one cannot.
  ASSERT_TRUE(t->destroy({0x20181003, ObjectClass::Data}).ok());
  auto ex = other.check_object_exists(0x20181003);
  ASSERT_TRUE(ex.ok());
  EXPECT_FALSE(*ex);
  auto st = t->destroy({oid::kFactoryEcCert, ObjectClass::Certificate});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::Unsupported);
  // New allocations skip the occupied ID range.
  auto ref = t->create_data(hex("01"), {});
  ASSERT_TRUE(ref.ok());
  EXPECT_GT(ref->chip_id, ids::kAllocFirst + 7);
}

TEST_F(TokenTest, CorruptMetadataIsTreatedAsAbsentAndNothingIsDeleted) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  NewObject n;
  n.label = "kept";
  auto ref = t->create_data(hex("0102"), n);
  ASSERT_TRUE(ref.ok());
  se05x::Client other(*chip->raw);
  ASSERT_TRUE(other.select().ok());
  ASSERT_TRUE(other.update_binary(ids::kSlotA, hex("00"), 0).ok());
  ASSERT_TRUE(other.update_binary(ids::kSlotB, hex("00"), 0).ok());
  // The head's object index is a checked copy of the last image: a cold open still
  // stands on it. With the head broken as well, the metadata is gone.
  auto t1 = open_token(*chip->ch);
  ASSERT_TRUE(t1);
  ASSERT_TRUE(t1->find(*ref));
  EXPECT_EQ(t1->find(*ref)->label, "kept");
  ASSERT_TRUE(other.update_binary(ids::kPointer, hex("00"), 0).ok());
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->info().store_state, StoreState::Corrupt);
  const Object* o = t2->find(*ref);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->label, default_label(ref->chip_id));
}

TEST_F(TokenTest, NewerFormatMetadataIsReadAsAbsentAndNeverOverwritten) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  AttributeUpdate u;
  u.label = "v1";
  ASSERT_TRUE(t->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
  se05x::Client other(*chip->raw);
  ASSERT_TRUE(other.select().ok());
  ASSERT_TRUE(other.update_binary(ids::kSlotA, hex("02"), 4).ok());
  // A newer module writes its own head format too (this one reads it as unusable).
  ASSERT_TRUE(other.update_binary(ids::kPointer, hex("03"), 4).ok());
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->info().store_state, StoreState::Newer);
  EXPECT_EQ(t2->find({oid::kFactoryEcCert, ObjectClass::Certificate})->label, "sss:F0000101");
  const auto writes = chip->sim->faults().writes();
  EXPECT_EQ(t2->create_data(hex("01"), {}).error().code, Errc::Unsupported);
  EXPECT_EQ(t2->set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).error().code, Errc::Unsupported);
  EXPECT_EQ(chip->sim->faults().writes(), writes);
}

TEST_F(TokenTest, LockFileIsUsedAndNestedChannelLocksReachTheChannelOnce) {
  const std::string lock = dir.file("se05x.lock");
  auto t = open_token(*chip->ch, test_options(lock));
  ASSERT_TRUE(t);
  EXPECT_TRUE(std::filesystem::exists(lock));
  chip->ch->locks = chip->ch->unlocks = chip->ch->max_depth = 0;
  NewObject n;
  n.label = "locked";
  ASSERT_TRUE(t->create_data(hex("0102"), n).ok());
  EXPECT_EQ(chip->ch->locks, 1);
  EXPECT_EQ(chip->ch->unlocks, 1);
  EXPECT_EQ(chip->ch->max_depth, 1);
  // An unusable lock path is skipped, not fatal.
  auto t2 = Token::open(*chip->ch, test_options("/nonexistent-dir/x.lock"));
  EXPECT_TRUE(t2.ok());
}

}  // namespace
}  // namespace sx::token

namespace sx::token {
namespace {

// Exclusion between holders and nesting: tests/device/chip_lock_test.cpp.
TEST(FileLock, HoldingTheTokenAllowsTokenOperationsOnTheSameThread) {
  sx::testing::TempDir dir;
  auto chip = test::Chip::fresh(dir);
  auto t = test::open_token(*chip->ch, test::test_options(dir.file("l.lock")));
  ASSERT_TRUE(t);
  auto hold = t->hold();
  ASSERT_TRUE(hold.ok());
  AttributeUpdate u;
  u.label = "while held";
  EXPECT_TRUE(t->set_attributes({se05x::objid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
}

}  // namespace
}  // namespace sx::token
