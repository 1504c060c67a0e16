// PIN checks: exact comparison (no NUL padding equivalence), verifiers of
// earlier versions, and a failure counter that fails closed when the chip
// cannot record a failure.
#include <gtest/gtest.h>

#include "se05x/client.h"
#include "se05x/constants.h"
#include "token_test_util.h"

namespace sx::token {
namespace {

using namespace test;
namespace oid = se05x::objid;

std::string with_nuls(std::string_view pin, size_t n) { return std::string(pin) + std::string(n, '\0'); }

TEST(PinVerifier, OnlyTheExactPinMatchesNotItsNulPaddedForms) {
  auto v = make_pin_verifier("4821", kMinPinIterations);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(check_pin(*v, "4821"));
  // HMAC zero-pads its key: these used to derive the same hash.
  EXPECT_FALSE(check_pin(*v, with_nuls("4821", 1)));
  EXPECT_FALSE(check_pin(*v, with_nuls("4821", 60)));
  EXPECT_FALSE(check_pin(*v, std::string("48\0" "21", 5)));
  // A new PIN with a NUL in it is refused (it would equal its prefix).
  auto seven = make_pin_verifier(with_nuls("7", 3), kMinPinIterations);
  ASSERT_FALSE(seven.ok());
  EXPECT_EQ(seven.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(make_pin_verifier(std::string(kMaxPinBytes + 1, 'x'), kMinPinIterations).ok());
  EXPECT_TRUE(make_pin_verifier(std::string(kMaxPinBytes, 'x'), kMinPinIterations).ok());
}

TEST(PinVerifier, VerifiersWrittenByEarlierVersionsStillVerify) {
  // PBKDF2-HMAC-SHA256("4821", salt 00..0F, 1000 iterations), as the first
  // release stored it (computed independently with Python's hashlib).
  PinVerifier v;
  v.iterations = 1000;
  for (uint8_t i = 0; i < 16; ++i) v.salt.push_back(i);
  v.hash = hex("67a24ecbc3e38514e649e75e487b67ec7c4f879d908f595c0c6623d4f73bf5c5");
  EXPECT_TRUE(check_pin(v, "4821"));
  EXPECT_FALSE(check_pin(v, with_nuls("4821", 1)));
  EXPECT_FALSE(check_pin(v, "4822"));
}

TEST(PinVerifier, IterationsAreBounded) {
  EXPECT_FALSE(make_pin_verifier("4821", kMinPinIterations - 1).ok());
  EXPECT_FALSE(make_pin_verifier("4821", kMaxPinIterations + 1).ok());
  EXPECT_FALSE(make_pin_verifier("4821", 0x80000000u).ok());
}

struct PinTest : ::testing::Test {
  sx::testing::TempDir dir;
  std::unique_ptr<Chip> chip = Chip::fresh(dir);
  std::vector<uint32_t> fillers;

  // Foreign binary files, halving the size until nothing fits any more.
  void fill_chip() {
    se05x::Client c(*chip->raw);
    ASSERT_TRUE(c.select().ok());
    uint32_t id = 0x10000001;
    for (size_t size = 16384; size >= 16;) {
      if (c.create_binary(id, Bytes(size, 0xA5)).ok()) fillers.push_back(id++);
      else size /= 2;
    }
    ASSERT_FALSE(fillers.empty());
  }
  void empty_chip() {
    se05x::Client c(*chip->raw);
    ASSERT_TRUE(c.select().ok());
    for (uint32_t id : fillers) ASSERT_TRUE(c.delete_object(id).ok());
    fillers.clear();
  }
};

TEST_F(PinTest, NulInAPinIsRefusedWithoutCounting) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->set_pin(UserType::User, "4821").ok());
  auto r = t->check_pin(UserType::User, with_nuls("4821", 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(t->info().user_failures, 0);
  auto set = t->set_pin(UserType::User, with_nuls("7", 3));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, Errc::InvalidArgument);
  EXPECT_EQ(*t->check_pin(UserType::User, "4821"), PinResult::Ok);
  EXPECT_EQ(*t->check_pin(UserType::User, "7"), PinResult::Incorrect);
}

// The audit's attack: with the chip full (filling it needs no PIN) a failure
// could not be recorded, each wrong guess returned an error and the right PIN
// still logged in — unlimited online guessing. A check that cannot record its
// attempt must not answer.
TEST_F(PinTest, APinCheckThatCannotRecordItsAttemptDoesNotAnswer) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->set_pin(UserType::User, "4821").ok());
  ASSERT_TRUE(t->set_pin(UserType::So, "so-secret").ok());
  // Grow the metadata past a slot's first capacity: the next commit must
  // recreate the other, smaller slot, which needs free memory.
  AttributeUpdate u;
  u.label = std::string(255, 'k');
  u.id = Bytes(255, 0x01);
  ASSERT_TRUE(t->set_attributes({oid::kFactoryEcKey, ObjectClass::PrivateKey}, u).ok());
  fill_chip();
  if (HasFatalFailure()) return;
  for (int i = 0; i < 30; ++i) {
    auto r = t->check_pin(UserType::User, "0000");
    ASSERT_FALSE(r.ok()) << "attempt " << i << " answered " << static_cast<int>(*r);
    EXPECT_EQ(r.error().code, Errc::NoMemory);
  }
  auto right = t->check_pin(UserType::User, "4821");
  EXPECT_FALSE(right.ok()) << "the right PIN was confirmed although no failure could be recorded";
  auto so = t->check_pin(UserType::So, "so-secret");
  EXPECT_FALSE(so.ok());
  // Memory back: counting works again and the right PIN logs in.
  empty_chip();
  EXPECT_EQ(*t->check_pin(UserType::User, "0000"), PinResult::Incorrect);
  EXPECT_EQ(t->info().user_failures, 1);
  EXPECT_EQ(*t->check_pin(UserType::User, "4821"), PinResult::Ok);
  EXPECT_EQ(t->info().user_failures, 0);
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->info().user_failures, 0);
}

// The attempt is on the chip before the answer: a check cut off after it
// leaves the failure counted, also for the right PIN.
TEST_F(PinTest, TheAttemptIsCountedBeforeTheComparison) {
  auto t = open_token(*chip->ch);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->set_pin(UserType::User, "4821").ok());
  // Warm up: both metadata slots exist, so every later commit costs the same writes.
  for (int i = 0; i < 2; ++i) ASSERT_EQ(*t->check_pin(UserType::User, "0000"), PinResult::Incorrect);
  const auto writes = chip->sim->faults().writes();
  ASSERT_EQ(*t->check_pin(UserType::User, "4821"), PinResult::Ok);
  const auto per_check = chip->sim->faults().writes() - writes;
  ASSERT_GE(per_check, 2u);  // count, then reset
  uint64_t count_writes = 0;
  {
    const auto w0 = chip->sim->faults().writes();
    ASSERT_EQ(*t->check_pin(UserType::User, "0000"), PinResult::Incorrect);
    count_writes = chip->sim->faults().writes() - w0;
  }
  // Cut power at the first write after the count (the reset of the counter).
  chip->sim->faults().cut_at_write(count_writes + 1, sim::CutMode::BeforeWrite);
  EXPECT_FALSE(t->check_pin(UserType::User, "4821").ok());
  chip.reset();
  chip = Chip::open_file(dir.file("chip.nvm"));
  ASSERT_TRUE(chip);
  auto t2 = open_token(*chip->ch);
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->info().user_failures, 2);
  EXPECT_EQ(*t2->check_pin(UserType::User, "4821"), PinResult::Ok);
  EXPECT_EQ(t2->info().user_failures, 0);
}

}  // namespace
}  // namespace sx::token
