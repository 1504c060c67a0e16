// Key usage in the token layer (issue 15, docs/pkcs11-module.md §8b): the usage a
// key is created with is kept in its record and read back after a reopen (defaults
// where nothing was given), and on a chip-PIN token it is the key's chip policy:
// an RSA key with neither CKA_SIGN nor CKA_DECRYPT lacks the raw private operation
// even in the user's session, and an RSA key with only one of them is refused (the
// chip's raw operation serves both, docs/se05x-protocol.md §4.6.10).
#include <gtest/gtest.h>

#include <filesystem>

#include "device/reselect_channel.h"
#include "device/user_session.h"
#include "se05x/constants.h"
#include "token_test_util.h"

// Own namespace: the unity build puts this file beside the other token tests.
namespace sx::token::usage_test {
namespace {

using namespace test;
namespace fs = std::filesystem;

constexpr std::string_view kUsageSo = "so-secret-15", kUsageUser = "1515";

// Simulator -> recovery -> user session -> token, as the module stacks a chip-PIN token.
struct UsageStack {
  std::unique_ptr<Chip> chip;
  std::unique_ptr<device::ReselectChannel> rec;
  std::unique_ptr<device::UserSession> session;
  std::unique_ptr<Token> tok;

  static std::unique_ptr<UsageStack> open(const std::string& nvm) {
    auto s = std::make_unique<UsageStack>();
    s->chip = Chip::open_file(nvm);
    if (!s->chip) return nullptr;
    s->rec = std::make_unique<device::ReselectChannel>(*s->chip->ch);
    s->session = std::make_unique<device::UserSession>(*s->rec);
    TokenOptions o = test_options();
    o.chip_pin = true;
    o.session = s->session.get();
    auto t = Token::open(*s->session, o);
    if (!t.ok()) {
      ADD_FAILURE() << "Token::open: " << t.error().to_string();
      return nullptr;
    }
    s->tok = std::move(*t);
    return s;
  }
};

NewObject usage_named(const std::string& label) {
  NewObject n;
  n.label = label;
  n.id = Bytes(label.begin(), label.end());
  return n;
}

PinResult login_user(Token& t) {
  auto r = t.login(UserType::User, kUsageUser);
  return r.ok() ? *r : PinResult::NotSet;
}

// A provisioned chip-PIN token in `dir`, the user logged in.
std::unique_ptr<UsageStack> provisioned(const sx::testing::TempDir& dir) {
  const std::string nvm = dir.file("chip.nvm");
  fs::copy_file(factory_nvm(), nvm);
  auto s = UsageStack::open(nvm);
  if (!s) return nullptr;
  Token& t = *s->tok;
  EXPECT_TRUE(t.init_chip_token("usage", kUsageSo).ok());
  auto so = t.login(UserType::So, kUsageSo);
  EXPECT_TRUE(so.ok() && *so == PinResult::Ok);
  EXPECT_TRUE(t.init_chip_user_pin(kUsageUser).ok());
  EXPECT_TRUE(t.logout().ok());
  EXPECT_EQ(login_user(t), PinResult::Ok);
  return s;
}

TEST(TokenUsage, RsaWithoutUsesLacksTheRawOperationOnTheChip) {
  sx::testing::TempDir dir;
  auto s = provisioned(dir);
  ASSERT_TRUE(s);
  Token& t = *s->tok;
  NewObject none = usage_named("rsa-none");
  none.sign = false;
  none.decrypt = false;
  auto a = t.generate_key_pair({KeyType::Rsa, se05x::Curve::None, 1024}, none);
  auto b = t.generate_key_pair({KeyType::Rsa, se05x::Curve::None, 1024}, usage_named("rsa-all"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(t.find(*a)->sign);
  EXPECT_FALSE(t.find(*a)->decrypt);
  EXPECT_TRUE(t.find(*b)->sign);
  EXPECT_TRUE(t.find(*b)->decrypt);
  // The raw private operation (how RSA signs and decrypts here), in the user's session.
  const Bytes block(128, 0x01);
  auto ra = t.client().rsa_decrypt(a->chip_id, se05x::RsaEncAlgo::NoPad, block);
  ASSERT_FALSE(ra.ok());
  EXPECT_TRUE(ra.error().code == Errc::AccessDenied || ra.error().sw == 0x6986) << ra.error().to_string();
  EXPECT_TRUE(t.client().rsa_decrypt(b->chip_id, se05x::RsaEncAlgo::NoPad, block).ok());
  // One without the other cannot be restricted by the chip: refused, nothing created.
  const size_t before = t.objects().size();
  NewObject sign_only = usage_named("rsa-sign-only");
  sign_only.decrypt = false;
  auto c = t.generate_key_pair({KeyType::Rsa, se05x::Curve::None, 1024}, sign_only);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::InvalidArgument);
  EXPECT_EQ(t.objects().size(), before);
}

TEST(TokenUsage, RecordedUsesSurviveAReopenAndDefaultsStayDefaults) {
  sx::testing::TempDir dir;
  const std::string nvm = dir.file("chip.nvm");
  {
    auto s = provisioned(dir);
    ASSERT_TRUE(s);
    Token& t = *s->tok;
    NewObject odd = usage_named("odd");
    odd.sign = false;
    odd.decrypt = true;
    odd.unwrap = true;
    odd.sign_recover = true;
    odd.verify = false;
    odd.encrypt = true;
    odd.wrap = true;
    odd.verify_recover = true;
    odd.pub_derive = true;
    odd.always_authenticate = true;
    ASSERT_TRUE(t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, odd).ok());
    ASSERT_TRUE(t.generate_key_pair({KeyType::Ec, se05x::Curve::NistP256, 0}, usage_named("plain")).ok());
    NewObject rsa = usage_named("rsa-derive");
    rsa.derive = true;
    rsa.encrypt = false;
    ASSERT_TRUE(t.generate_key_pair({KeyType::Rsa, se05x::Curve::None, 1024}, rsa).ok());
    ASSERT_TRUE(t.logout().ok());
  }
  auto s = UsageStack::open(nvm);
  ASSERT_TRUE(s);
  Token& t = *s->tok;
  ASSERT_EQ(login_user(t), PinResult::Ok);
  const Object* o = find_one(t, "odd", ObjectClass::PrivateKey);
  ASSERT_NE(o, nullptr);
  EXPECT_FALSE(o->sign);
  EXPECT_TRUE(o->decrypt);
  EXPECT_TRUE(o->derive);  // not given: the EC default
  EXPECT_TRUE(o->unwrap);
  EXPECT_TRUE(o->sign_recover);
  EXPECT_FALSE(o->verify);
  EXPECT_TRUE(o->encrypt);
  EXPECT_TRUE(o->wrap);
  EXPECT_TRUE(o->verify_recover);
  EXPECT_TRUE(o->pub_derive);
  EXPECT_TRUE(o->always_authenticate);
  const Object* p = find_one(t, "plain", ObjectClass::PrivateKey);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->sign);
  EXPECT_FALSE(p->decrypt);
  EXPECT_TRUE(p->derive);
  EXPECT_FALSE(p->unwrap || p->sign_recover || p->wrap || p->verify_recover || p->pub_derive || p->encrypt);
  EXPECT_TRUE(p->verify);
  EXPECT_FALSE(p->always_authenticate);
  const Object* r = find_one(t, "rsa-derive", ObjectClass::PrivateKey);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->sign);
  EXPECT_TRUE(r->decrypt);  // not given: the RSA default
  EXPECT_TRUE(r->derive);
  EXPECT_FALSE(r->encrypt);
  EXPECT_TRUE(r->verify);
}

}  // namespace
}  // namespace sx::token::usage_test
