// Power cut at every chip write of each update, both before the write and torn
// inside it: the simulator is reopened from its NVM file and a fresh token must
// open, show each object wholly or not at all, and leave nothing on the chip it
// cannot show. Loops N = 1.. until the operation completes without a cut.
#include <gtest/gtest.h>

#include <functional>

#include <openssl/obj_mac.h>

#include "se05x/constants.h"
#include "token/id_range.h"
#include "token_test_util.h"

namespace sx::token {
namespace {

using namespace test;
namespace fs = std::filesystem;
namespace oid = se05x::objid;

enum class Seen { Old, New };

struct Scenario {
  std::function<void(Token&)> setup;
  std::function<Status(Token&)> op;
  // Asserts the token shows exactly the old or exactly the new state.
  std::function<Seen(const Token&)> classify;
};

// Every chip object the chip lists (bar applet-reserved and the store) is visible.
void expect_nothing_hidden(Chip& chip, const Token& t) {
  se05x::Client c(*chip.raw);
  ASSERT_TRUE(c.select().ok());
  auto ids = c.read_all_ids();
  ASSERT_TRUE(ids.ok());
  for (uint32_t id : *ids) {
    if (ids::is_applet_reserved(id) || ids::is_store_object(id)) continue;
    bool shown = false;
    for (const auto& o : t.objects()) shown |= o.chip_id == id;
    EXPECT_TRUE(shown) << "chip object " << default_label(id) << " is on the chip but not in the token";
  }
}

void run_mode(const Scenario& s, sim::CutMode mode, std::optional<size_t> keep) {
  sx::testing::TempDir dir;
  const std::string base = dir.file("base.nvm"), work = dir.file("work.nvm");
  fs::copy_file(factory_nvm(), base);
  {
    auto chip = Chip::open_file(base);
    ASSERT_TRUE(chip);
    auto t = open_token(*chip->ch);
    ASSERT_TRUE(t);
    if (s.setup) s.setup(*t);
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_EQ(s.classify(*t), Seen::Old);
  }
  int cuts = 0;
  bool old_seen = false, new_seen = false;
  for (uint64_t n = 1; n <= 200; ++n) {
    SCOPED_TRACE("cut at write " + std::to_string(n) + (mode == sim::CutMode::TornWrite ? " (torn, keep " + (keep ? std::to_string(*keep) : std::string("half")) + ")" : " (before)"));
    fs::copy_file(base, work, fs::copy_options::overwrite_existing);
    Status result;
    {
      auto chip = Chip::open_file(work);
      ASSERT_TRUE(chip);
      auto t = open_token_read(*chip->ch);
      ASSERT_TRUE(t);
      chip->sim->faults().cut_at_write(n, mode, keep);
      result = s.op(*t);
      if (chip->sim->powered()) {
        ASSERT_TRUE(result.ok()) << result.error().to_string();
        EXPECT_EQ(s.classify(*t), Seen::New);
        EXPECT_GT(cuts, 0);
        // Torn writes may leave a complete image (the tear fell after its end), so only here:
        if (mode == sim::CutMode::BeforeWrite) {
          EXPECT_TRUE(old_seen) << "a cut before the first write must leave the old state";
        }
        return;
      }
      EXPECT_FALSE(result.ok());
    }
    ++cuts;
    // Power back: a new simulator from the NVM file, a new token.
    auto chip = Chip::open_file(work);
    ASSERT_TRUE(chip);
    auto t = open_token_read(*chip->ch);
    ASSERT_TRUE(t);
    const Seen seen = s.classify(*t);
    (seen == Seen::Old ? old_seen : new_seen) = true;
    expect_nothing_hidden(*chip, *t);
    // Cleanup happened at that open: a second open writes nothing and agrees.
    const auto writes = chip->sim->faults().writes();
    auto t2 = open_token_read(*chip->ch);
    ASSERT_TRUE(t2);
    EXPECT_EQ(chip->sim->faults().writes(), writes);
    EXPECT_EQ(s.classify(*t2), seen);
    // And the operation can be completed from the old state.
    if (seen == Seen::Old) {
      auto again = s.op(*t2);
      ASSERT_TRUE(again.ok()) << again.error().to_string();
      EXPECT_EQ(s.classify(*t2), Seen::New);
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  FAIL() << "the operation never completed";
}

// Before the write; torn at half of the chunk; torn inside the 32-byte slot header.
void run(const Scenario& s) {
  run_mode(s, sim::CutMode::BeforeWrite, std::nullopt);
  if (::testing::Test::HasFatalFailure()) return;
  run_mode(s, sim::CutMode::TornWrite, std::nullopt);
  if (::testing::Test::HasFatalFailure()) return;
  run_mode(s, sim::CutMode::TornWrite, 20);
}

const Bytes& cert_der() {
  static const Bytes der = sx::testing::self_signed_cert_der("power cut device");
  return der;
}

NewObject gg() {
  NewObject n;
  n.label = "gg";
  n.id = Bytes{0x01};
  return n;
}

Status generate(Token& t) {
  auto r = t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, gg());
  return r.ok() ? Status{} : Status(r.error());
}

Seen classify_key(const Token& t) {
  const Object* k = nullptr;
  size_t n = 0;
  for (const auto& o : t.objects())
    if (o.label == "gg" && o.cls == ObjectClass::PrivateKey) k = &o, ++n;
  EXPECT_LE(n, 1u);
  if (!k) {
    EXPECT_EQ(count_class(t, ObjectClass::PrivateKey), 2u) << "no other private key may appear";
    return Seen::Old;
  }
  EXPECT_TRUE(ids::in_range(k->chip_id));
  EXPECT_FALSE(k->adopted);
  EXPECT_EQ(k->id, Bytes{0x01});
  EXPECT_EQ(k->ec_point.size(), 65u);
  const Object* p = t.find({k->chip_id, ObjectClass::PublicKey});
  EXPECT_TRUE(p && p->label == "gg" && p->ec_point == k->ec_point);
  EXPECT_EQ(count_class(t, ObjectClass::PrivateKey), 3u);
  return Seen::New;
}

Seen classify_cert(const Token& t) {
  std::vector<const Object*> certs;
  for (const auto& o : t.objects())
    if (o.cls == ObjectClass::Certificate && !o.factory) certs.push_back(&o);
  EXPECT_LE(certs.size(), 1u);
  if (certs.empty()) return Seen::Old;
  EXPECT_EQ(certs[0]->value, cert_der());
  EXPECT_EQ(certs[0]->label, "gg");
  EXPECT_EQ(certs[0]->id, Bytes{0x01});
  EXPECT_FALSE(certs[0]->subject.empty());
  return Seen::New;
}

TEST(PowerCut, GenerateKeyPair) {
  Scenario s{nullptr, generate, classify_key};
  run(s);
}

TEST(PowerCut, ImportCertificateNextToAKey) {
  Scenario s{[](Token& t) { ASSERT_TRUE(generate(t).ok()); },
             [](Token& t) {
               auto r = t.create_certificate(cert_der(), gg());
               return r.ok() ? Status{} : Status(r.error());
             },
             classify_cert};
  run(s);
}

TEST(PowerCut, RelabelFactoryKey) {
  Scenario s{[](Token& t) {
               // Some metadata exists already, so the update goes to the second slot.
               AttributeUpdate u;
               u.label = "cert";
               ASSERT_TRUE(t.set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
             },
             [](Token& t) {
               AttributeUpdate u;
               u.label = "gg";
               u.id = Bytes{0x01};
               return t.set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u);
             },
             [](const Token& t) {
               const Object* k = t.find({oid::kFactoryEcKey, ObjectClass::PrivateKey});
               const Object* c = t.find({oid::kFactoryEcCert, ObjectClass::Certificate});
               EXPECT_TRUE(k && c);
               if (!k || !c) return Seen::Old;
               EXPECT_EQ(c->label, "cert");
               if (k->label == "sss:F0000100") {
                 EXPECT_EQ(to_hex(k->id), "F0000100");
                 return Seen::Old;
               }
               EXPECT_EQ(k->label, "gg");
               EXPECT_EQ(k->id, Bytes{0x01});
               return Seen::New;
             }};
  run(s);
}

TEST(PowerCut, RelabelThatOutgrowsTheSlot) {
  // A 1000-byte CKA_SUBJECT makes the image outgrow the 512-byte slot: delete + recreate.
  Scenario s{[](Token& t) {
               AttributeUpdate u;
               u.label = "small";
               ASSERT_TRUE(t.set_attributes({oid::kFactoryEcCert, ObjectClass::Certificate}, u).ok());
               u.label = "small2";
               ASSERT_TRUE(t.set_attributes({oid::kFactoryRsaCert, ObjectClass::Certificate}, u).ok());
             },
             [](Token& t) {
               AttributeUpdate u;
               u.subject = Bytes(1000, 0x5A);
               return t.set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u);
             },
             [](const Token& t) {
               const Object* k = t.find({oid::kFactoryEcKey, ObjectClass::PrivateKey});
               EXPECT_TRUE(k);
               if (!k) return Seen::Old;
               EXPECT_EQ(t.find({oid::kFactoryRsaCert, ObjectClass::Certificate})->label, "small2");
               if (k->subject.empty()) return Seen::Old;
               EXPECT_EQ(k->subject, Bytes(1000, 0x5A));
               return Seen::New;
             }};
  run(s);
}

TEST(PowerCut, DestroyCertificate) {
  Scenario s{[](Token& t) {
               ASSERT_TRUE(generate(t).ok());
               ASSERT_TRUE(t.create_certificate(cert_der(), gg()).ok());
             },
             [](Token& t) {
               const Object* c = find_one(t, "gg", ObjectClass::Certificate);
               if (!c) return Status(make_error(Errc::NotFound, "certificate gone"));
               return t.destroy(c->ref());
             },
             [](const Token& t) {
               EXPECT_EQ(classify_key(t), Seen::New);  // the key is untouched
               return classify_cert(t) == Seen::New ? Seen::Old : Seen::New;
             }};
  run(s);
}

TEST(PowerCut, DestroyKeyPair) {
  Scenario s{[](Token& t) { ASSERT_TRUE(generate(t).ok()); },
             [](Token& t) {
               const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
               if (!k) return Status(make_error(Errc::NotFound, "key gone"));
               return t.destroy(k->ref());
             },
             [](const Token& t) { return classify_key(t) == Seen::New ? Seen::Old : Seen::New; }};
  run(s);
}

const Bytes& key_der() {
  static const Bytes der = sx::testing::ec_private_der(NID_X9_62_prime256v1);
  return der;
}

// Key and certificate: one commit makes both visible, so a cut shows neither or both.
TEST(PowerCut, ImportKeyWithCertificate) {
  Scenario s{nullptr,
             [](Token& t) {
               auto mat = parse_private_key_der(key_der());
               if (!mat) return Status(mat.error());
               auto r = t.import_private_key_with_certificate(std::move(*mat), cert_der(), gg());
               return r.ok() ? Status{} : Status(r.error());
             },
             [](const Token& t) {
               const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
               const Object* c = find_one(t, "gg", ObjectClass::Certificate);
               EXPECT_EQ(k == nullptr, c == nullptr) << "a key without its certificate or the reverse";
               if (!k || !c) {
                 EXPECT_EQ(count_class(t, ObjectClass::PrivateKey), 2u);
                 return Seen::Old;
               }
               EXPECT_EQ(k->id, Bytes{0x01});
               EXPECT_EQ(c->id, Bytes{0x01});
               EXPECT_EQ(c->value, cert_der());
               EXPECT_TRUE(t.find({k->chip_id, ObjectClass::PublicKey}));
               return Seen::New;
             }};
  run(s);
}

// Relabelling a key and its certificate together: one commit for both.
TEST(PowerCut, RelabelKeyAndCertificateTogether) {
  Scenario s{[](Token& t) {
               ASSERT_TRUE(generate(t).ok());
               ASSERT_TRUE(t.create_certificate(cert_der(), gg()).ok());
             },
             [](Token& t) {
               const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
               const Object* c = find_one(t, "gg", ObjectClass::Certificate);
               if (!k || !c) return Status(make_error(Errc::NotFound, "not labelled gg"));
               AttributeUpdate u;
               u.label = "renamed";
               u.id = Bytes{0x02};
               return t.set_attributes({{k->ref(), u}, {c->ref(), u}});
             },
             [](const Token& t) {
               const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
               const Object* c = find_one(t, "gg", ObjectClass::Certificate);
               if (k && c) return Seen::Old;
               EXPECT_FALSE(k || c) << "key and certificate under different labels";
               k = find_one(t, "renamed", ObjectClass::PrivateKey);
               c = find_one(t, "renamed", ObjectClass::Certificate);
               EXPECT_TRUE(k && c);
               if (k && c) {
                 EXPECT_EQ(k->id, Bytes{0x02});
                 EXPECT_EQ(c->id, Bytes{0x02});
               }
               return Seen::New;
             }};
  run(s);
}

}  // namespace
}  // namespace sx::token
