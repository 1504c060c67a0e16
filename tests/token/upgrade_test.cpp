// The upgrade of a host-PIN token (format-1 metadata with PBKDF2 verifiers) to a
// chip-PIN token at the SO's first login and the user's next one (docs/chip-pin.md
// §5), with a power cut at every chip write of each step: after the cut the token
// is the old one, usable with the old PINs, or the new one, usable with the same
// PINs — never neither. Plus the rights a key's CKA_SIGN/DECRYPT/DERIVE leave in its
// chip policy, and the token's list of objects the chip does not protect.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <functional>

#include "device/reselect_channel.h"
#include "device/user_session.h"
#include "se05x/constants.h"
#include "token/id_range.h"
#include "token/store.h"
#include "token_test_util.h"

// Own namespace: the unity build puts this file beside power_cut_test.cpp.
namespace sx::token::upgrade_test {
namespace {

using namespace test;
namespace fs = std::filesystem;

constexpr std::string_view kSo = "so-secret-77", kUser = "4821";
const Bytes kDigest(32, 0x5A);

// The module's stack for a chip-PIN token: simulator -> recovery -> user session -> token.
struct Stack {
  std::unique_ptr<Chip> chip;
  std::unique_ptr<device::ReselectChannel> rec;
  std::unique_ptr<device::UserSession> session;
  std::unique_ptr<Token> tok;

  static std::unique_ptr<Stack> open(const std::string& nvm, bool chip_pin) {
    auto s = std::make_unique<Stack>();
    s->chip = Chip::open_file(nvm);
    if (!s->chip) return nullptr;
    s->rec = std::make_unique<device::ReselectChannel>(*s->chip->ch);
    s->session = std::make_unique<device::UserSession>(*s->rec);
    TokenOptions o = test_options();
    o.chip_pin = chip_pin;
    o.pin_max_attempts = 5;
    o.session = chip_pin ? s->session.get() : nullptr;
    auto t = Token::open(*s->session, o);
    if (!t.ok()) {
      ADD_FAILURE() << "Token::open: " << t.error().to_string();
      return nullptr;
    }
    s->tok = std::move(*t);
    return s;
  }
};

NewObject named(const std::string& label, uint8_t id, std::optional<bool> priv = std::nullopt) {
  NewObject n;
  n.label = label;
  n.id = Bytes{id};
  n.is_private = priv;
  return n;
}

const Bytes& cert_der() {
  static const Bytes der = sx::testing::self_signed_cert_der("upgrade device");
  return der;
}
const Bytes kSecret = {'t', 'o', 'p', ' ', 's', 'e', 'c', 'r', 'e', 't'};
const Bytes kPublic = {'h', 'e', 'l', 'l', 'o'};

// A host-PIN token as the previous release wrote it: both PINs, a key, its
// certificate, a private and a public data object.
void make_host_token(const std::string& nvm) {
  auto s = Stack::open(nvm, false);
  ASSERT_TRUE(s);
  Token& t = *s->tok;
  ASSERT_TRUE(t.set_pin(UserType::So, kSo).ok());
  ASSERT_TRUE(t.set_pin(UserType::User, kUser).ok());
  ASSERT_TRUE(t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, named("gg", 1)).ok());
  ASSERT_TRUE(t.create_certificate(cert_der(), named("gg", 1)).ok());
  ASSERT_TRUE(t.create_data(kSecret, named("secret", 2, true)).ok());
  ASSERT_TRUE(t.create_data(kPublic, named("public", 3, false)).ok());
  ASSERT_FALSE(t.chip_pin());
}

// The metadata images of both slots, raw, and the current one decoded.
struct StoreView {
  Bytes raw;
  Metadata md;
};
StoreView read_store(const std::string& nvm) {
  auto chip = Chip::open_file(nvm);
  StoreView v;
  if (!chip) return v;
  se05x::Client c(*chip->raw);
  EXPECT_TRUE(c.select().ok());
  for (uint32_t id : {ids::kSlotA, ids::kSlotB}) {
    auto b = c.read_binary(id);
    if (b.ok()) append(v.raw, *b);
  }
  MetadataStore st(c);
  EXPECT_TRUE(st.load(false).ok());
  v.md = st.metadata();
  return v;
}

bool contains(const Bytes& hay, const Bytes& needle) {
  return !needle.empty() && std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// The objects the old token had, whole, under their labels. The private data object
// reads back only on the host-PIN token or in the user's session.
void expect_objects(Token& t, bool user = false) {
  ASSERT_TRUE(t.load_all_bytes().ok());  // the index describes them; their bytes come on demand
  const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
  const Object* c = find_one(t, "gg", ObjectClass::Certificate);
  const Object* d = find_one(t, "secret", ObjectClass::Data);
  const Object* p = find_one(t, "public", ObjectClass::Data);
  ASSERT_TRUE(k && c && d && p);
  EXPECT_EQ(c->value, cert_der());
  EXPECT_EQ(c->id, Bytes{1});
  EXPECT_TRUE(d->is_private);
  if (!t.chip_pin() || user) {
    EXPECT_EQ(d->value, kSecret);
  }
  EXPECT_EQ(p->value, kPublic);
}

Status sign_with_gg(Token& t) {
  const Object* k = find_one(t, "gg", ObjectClass::PrivateKey);
  if (!k) return make_error(Errc::NotFound, "no key gg");
  auto sig = t.client().ecdsa_sign(k->chip_id, kDigest);
  return sig.ok() ? Status{} : Status(sig.error());
}

PinResult value(Result<PinResult> r) {
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : PinResult::NotSet;
}

PinResult login(Token& t, UserType who, std::string_view pin) {
  auto r = t.login(who, pin);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : PinResult::NotSet;
}

TEST(Upgrade, SoLoginUpgradesUserLoginFinishesNoVerifierLeft) {
  sx::testing::TempDir dir;
  const std::string nvm = dir.file("chip.nvm");
  fs::copy_file(factory_nvm(), nvm);
  make_host_token(nvm);
  const Metadata old = read_store(nvm).md;
  ASSERT_TRUE(old.token.so_pin.set() && old.token.user_pin.set());
  {
    auto s = Stack::open(nvm, true);
    ASSERT_TRUE(s);
    Token& t = *s->tok;
    EXPECT_EQ(t.upgrade_state(), Token::Upgrade::Host);
    // Still the host-PIN token until the SO logs in: the user logs in with the verifier.
    EXPECT_EQ(value(t.check_pin(UserType::User, kUser)), PinResult::Ok);
    EXPECT_EQ(value(t.check_pin(UserType::So, "wrong-so-pin")), PinResult::Incorrect);
    EXPECT_FALSE(t.chip_pin());
    ASSERT_EQ(value(t.check_pin(UserType::So, kSo)), PinResult::Ok);
    EXPECT_TRUE(t.chip_pin());
    EXPECT_TRUE(t.logged_in());
    EXPECT_EQ(t.upgrade_state(), Token::Upgrade::UserPending);
    expect_objects(t);
    ASSERT_TRUE(t.logout().ok());
    EXPECT_EQ(login(t, UserType::User, "0000"), PinResult::Incorrect);
    ASSERT_EQ(login(t, UserType::User, kUser), PinResult::Ok);
    EXPECT_EQ(t.upgrade_state(), Token::Upgrade::Done);
    expect_objects(t, true);
    EXPECT_TRUE(sign_with_gg(t).ok());
    // A key made now is bound to the user's session; the old key is listed as unprotected.
    ASSERT_TRUE(t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, named("new", 9)).ok());
    auto un = t.unprotected_objects();
    ASSERT_TRUE(un.ok()) << un.error().to_string();
    std::set<std::string> labels;
    for (const auto& u : *un) labels.insert(u.label);
    EXPECT_TRUE(labels.count("gg"));
    EXPECT_FALSE(labels.count("new"));
    EXPECT_FALSE(labels.count("secret"));
    EXPECT_FALSE(labels.count("public"));
    ASSERT_TRUE(t.logout().ok());
    // The chip counts now: the old PIN works, a wrong one costs a try.
    EXPECT_EQ(login(t, UserType::User, "0000"), PinResult::Incorrect);
    ASSERT_TRUE(t.read_pin_counters(std::chrono::seconds(0)).ok());
    EXPECT_EQ(t.info().user_failures, 1);
    ASSERT_EQ(login(t, UserType::So, kSo), PinResult::Ok);
    ASSERT_TRUE(t.logout().ok());
  }
  const StoreView after = read_store(nvm);
  EXPECT_FALSE(after.md.token.so_pin.set());
  EXPECT_FALSE(after.md.token.user_pin.set());
  EXPECT_FALSE(after.md.token.flags & tokflag::kUpgradeSlots);
  for (const PinVerifier* v : {&old.token.so_pin, &old.token.user_pin}) {
    EXPECT_FALSE(contains(after.raw, v->hash));
    EXPECT_FALSE(contains(after.raw, v->salt));
  }
  // Both slots and the pointer carry a policy now; the originals are gone.
  auto chip = Chip::open_file(nvm);
  se05x::Client c(*chip->raw);
  ASSERT_TRUE(c.select().ok());
  for (uint32_t id : {ids::kSlotA, ids::kSlotB, ids::kPointer}) {
    auto a = c.read_object_attributes(id);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->policy, Token::chip_policy(ObjectClass::Data, false, true)) << std::hex << id;
  }
  for (const ObjectRecord& r : old.objects)
    if (r.cls == ObjectClass::Certificate || r.cls == ObjectClass::Data) {
      EXPECT_FALSE(*c.check_object_exists(r.chip_id)) << std::hex << r.chip_id;
    }
}

// --- power cuts ----------------------------------------------------------------

enum class Seen { Old, New };

// Opens the state after a cut and proves it usable with the PINs it had: the old
// (host) token with both old PINs, or the new (chip) token with the same PINs.
// On a copy, so that the loop continues from the cut state itself.
Seen probe(const std::string& work, const std::string& probe_file, bool user_step) {
  fs::copy_file(work, probe_file, fs::copy_options::overwrite_existing);
  auto s = Stack::open(probe_file, true);
  EXPECT_TRUE(s);
  if (!s) return Seen::Old;
  Token& t = *s->tok;
  expect_objects(t);
  const bool upgraded = user_step ? t.upgrade_state() == Token::Upgrade::Done : t.chip_pin();
  if (!t.chip_pin()) {
    // The old token: the user's verifier, keys usable as before; the SO's login upgrades.
    EXPECT_EQ(value(t.check_pin(UserType::User, kUser)), PinResult::Ok);
    EXPECT_TRUE(sign_with_gg(t).ok());
    EXPECT_EQ(value(t.check_pin(UserType::So, kSo)), PinResult::Ok);
    EXPECT_TRUE(t.chip_pin());
  } else {
    EXPECT_EQ(login(t, UserType::So, kSo), PinResult::Ok);
  }
  expect_objects(t);
  EXPECT_TRUE(t.logout().ok());
  EXPECT_EQ(login(t, UserType::User, kUser), PinResult::Ok);
  EXPECT_TRUE(sign_with_gg(t).ok());
  EXPECT_EQ(t.upgrade_state(), Token::Upgrade::Done);
  expect_objects(t, true);
  // Nothing the interrupted step wrote is left hidden on the chip.
  auto ids = t.client().read_all_ids();
  EXPECT_TRUE(ids.ok());
  if (ids.ok())
    for (uint32_t id : *ids) {
      if (ids::is_applet_reserved(id) || ids::is_store_object(id)) continue;
      bool shown = false;
      for (const auto& o : t.objects()) shown |= o.chip_id == id;
      EXPECT_TRUE(shown) << default_label(id) << " is on the chip but not in the token";
    }
  return upgraded ? Seen::New : Seen::Old;
}

// `setup` on the base image; then for N = 1.. a cut at write N of `op`, the probe,
// and the operation completed from the state the cut left.
void run_cuts(const std::function<void(Stack&)>& setup, const std::function<Result<PinResult>(Token&)>& op,
              bool user_step, sim::CutMode mode) {
  sx::testing::TempDir dir;
  const std::string base = dir.file("base.nvm"), work = dir.file("work.nvm"), probe_file = dir.file("probe.nvm");
  fs::copy_file(factory_nvm(), base);
  make_host_token(base);
  if (setup) {
    auto s = Stack::open(base, true);
    ASSERT_TRUE(s);
    setup(*s);
  }
  if (::testing::Test::HasFatalFailure()) return;
  bool old_seen = false, new_seen = false;
  for (uint64_t n = 1; n <= 400; ++n) {
    SCOPED_TRACE("cut at write " + std::to_string(n) + (mode == sim::CutMode::TornWrite ? " (torn)" : ""));
    fs::copy_file(base, work, fs::copy_options::overwrite_existing);
    {
      auto s = Stack::open(work, true);
      ASSERT_TRUE(s);
      s->chip->sim->faults().cut_at_write(n, mode, std::nullopt);
      auto r = op(*s->tok);
      if (s->chip->sim->powered()) {
        ASSERT_TRUE(r.ok()) << r.error().to_string();
        EXPECT_EQ(*r, PinResult::Ok);
        EXPECT_EQ(probe(work, probe_file, user_step), Seen::New);
        if (mode == sim::CutMode::BeforeWrite) {
          EXPECT_TRUE(old_seen);
        }
        EXPECT_GT(n, 1u);
        std::printf("[ upgrade  ] %s step: %llu chip writes, a cut at each%s\n", user_step ? "user" : "SO",
                    static_cast<unsigned long long>(n - 1), mode == sim::CutMode::TornWrite ? " (torn)" : "");
        return;
      }
    }
    const Seen seen = probe(work, probe_file, user_step);
    (seen == Seen::Old ? old_seen : new_seen) = true;
    // And the step completes from there.
    auto s = Stack::open(work, true);
    ASSERT_TRUE(s);
    auto again = op(*s->tok);
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_EQ(*again, PinResult::Ok);
    if (::testing::Test::HasFatalFailure()) return;
  }
  FAIL() << "the upgrade never completed";
}

Result<PinResult> so_login(Token& t) {
  // The SO login as the module makes it on a host-PIN token, or on the chip once upgraded.
  return t.chip_pin() ? t.login(UserType::So, kSo) : t.check_pin(UserType::So, kSo);
}

TEST(UpgradePowerCut, SoStepEveryWrite) {
  run_cuts(nullptr, so_login, false, sim::CutMode::BeforeWrite);
  if (::testing::Test::HasFatalFailure()) return;
  run_cuts(nullptr, so_login, false, sim::CutMode::TornWrite);
}

TEST(UpgradePowerCut, UserStepEveryWrite) {
  auto setup = [](Stack& s) {
    ASSERT_EQ(value(s.tok->check_pin(UserType::So, kSo)), PinResult::Ok);
    ASSERT_TRUE(s.tok->logout().ok());
  };
  auto user_login = [](Token& t) { return t.login(UserType::User, kUser); };
  run_cuts(setup, user_login, true, sim::CutMode::BeforeWrite);
  if (::testing::Test::HasFatalFailure()) return;
  run_cuts(setup, user_login, true, sim::CutMode::TornWrite);
}

// --- rights from the key's attributes --------------------------------------------

TEST(ChipRights, SignFalseIsMissingEvenInTheUsersSession) {
  sx::testing::TempDir dir;
  const std::string nvm = dir.file("chip.nvm");
  fs::copy_file(factory_nvm(), nvm);
  auto s = Stack::open(nvm, true);
  ASSERT_TRUE(s);
  Token& t = *s->tok;
  ASSERT_TRUE(t.init_chip_token("rights", kSo).ok());
  ASSERT_EQ(login(t, UserType::So, kSo), PinResult::Ok);
  ASSERT_TRUE(t.init_chip_user_pin(kUser).ok());
  ASSERT_TRUE(t.logout().ok());
  ASSERT_EQ(login(t, UserType::User, kUser), PinResult::Ok);
  NewObject no_sign = named("no-sign", 1);
  no_sign.sign = false;
  NewObject no_derive = named("no-derive", 2);
  no_derive.derive = false;
  auto a = t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, no_sign);
  auto b = t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, no_derive);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(t.find(*a)->sign);
  EXPECT_TRUE(t.find(*a)->derive);
  EXPECT_TRUE(t.find(*b)->sign);
  EXPECT_FALSE(t.find(*b)->derive);
  // In the user's session: the chip refuses the use the attributes deny, and only it.
  auto sa = t.client().ecdsa_sign(a->chip_id, kDigest);
  ASSERT_FALSE(sa.ok());
  EXPECT_EQ(sa.error().sw, 0x6986);
  EXPECT_TRUE(t.client().ecdsa_sign(b->chip_id, kDigest).ok());
  const Bytes peer = t.find(*a)->ec_point;
  EXPECT_TRUE(t.client().ecdh(a->chip_id, peer).ok());
  auto db = t.client().ecdh(b->chip_id, peer);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().sw, 0x6986);
  // Neither is reported unprotected: no other session may use them.
  auto un = t.unprotected_objects();
  ASSERT_TRUE(un.ok());
  for (const auto& u : *un) EXPECT_GE(u.chip_id, 0xF0000000u) << u.label << ": " << u.why;  // the factory objects
  EXPECT_FALSE(un->empty());  // the factory keys are
}

}  // namespace
}  // namespace sx::token::upgrade_test
