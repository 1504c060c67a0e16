// The module without a chip: function list, C_Initialize argument handling,
// configuration errors and an unreachable chip. No simulator needed.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "device/token_open.h"
#include "pkcs11/config.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

class NoChip : public ::testing::Test {
 protected:
  void SetUp() override {
    f = fl();
    ASSERT_NE(f, nullptr);
    setenv("SE05X_PORT", ("unix:" + dir.file("no-such.sock")).c_str(), 1);
    use_config(dir.file("p11.conf"), "pin_iterations = 1000\nlog_level = none\n");
  }
  void TearDown() override { (void)f->C_Finalize(nullptr); }
  CK_FUNCTION_LIST* f = nullptr;
  sx::testing::TempDir dir;
};

CK_RV dummy_create(CK_VOID_PTR_PTR m) {
  *m = nullptr;
  return CKR_OK;
}
CK_RV dummy_mutex(CK_VOID_PTR) { return CKR_OK; }

TEST_F(NoChip, FunctionListIs240AndComplete) {
  EXPECT_EQ(f->version.major, 2);
  EXPECT_EQ(f->version.minor, 40);
  // Every slot of the 2.40 list after the version is a function pointer.
  const auto* first = reinterpret_cast<const void* const*>(&f->C_Initialize);
  const auto* last = reinterpret_cast<const void* const*>(&f->C_WaitForSlotEvent);
  ASSERT_EQ(last - first, 67);
  for (const void* const* p = first; p <= last; ++p) EXPECT_NE(*p, nullptr) << "entry " << (p - first);
  EXPECT_EQ(f->C_GetFunctionList(nullptr), CKR_ARGUMENTS_BAD);
  CK_FUNCTION_LIST* again = nullptr;
  EXPECT_EQ(f->C_GetFunctionList(&again), CKR_OK);
  EXPECT_EQ(again, f);
}

TEST_F(NoChip, CallsBeforeInitialize) {
  CK_INFO info;
  EXPECT_EQ(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
  CK_ULONG n = 0;
  EXPECT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_CRYPTOKI_NOT_INITIALIZED);
  EXPECT_EQ(f->C_CloseSession(1), CKR_CRYPTOKI_NOT_INITIALIZED);
}

TEST_F(NoChip, InitializeVariants) {
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_OK);
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  EXPECT_EQ(f->C_Finalize(reinterpret_cast<void*>(1)), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);

  CK_C_INITIALIZE_ARGS a{};
  a.flags = CKF_OS_LOCKING_OK;  // SunPKCS11
  EXPECT_EQ(f->C_Initialize(&a), CKR_OK);
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);

  a.CreateMutex = dummy_create;  // aws-c-io: callbacks and OS locking
  a.DestroyMutex = dummy_mutex;
  a.LockMutex = dummy_mutex;
  a.UnlockMutex = dummy_mutex;
  EXPECT_EQ(f->C_Initialize(&a), CKR_OK);
  EXPECT_EQ(f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);

  a.flags = 0;  // callbacks only: still served with the module's own mutexes
  EXPECT_EQ(f->C_Initialize(&a), CKR_OK);
  EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);

  CK_C_INITIALIZE_ARGS partial{};
  partial.CreateMutex = dummy_create;
  EXPECT_EQ(f->C_Initialize(&partial), CKR_ARGUMENTS_BAD);
  CK_C_INITIALIZE_ARGS reserved{};
  int x = 0;
  reserved.pReserved = &x;
  EXPECT_EQ(f->C_Initialize(&reserved), CKR_ARGUMENTS_BAD);
  CK_INFO info;
  EXPECT_EQ(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);  // the refused calls initialised nothing
}

TEST_F(NoChip, GetInfo) {
  ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK);
  CK_INFO info;
  ASSERT_EQ(f->C_GetInfo(&info), CKR_OK);
  EXPECT_EQ(info.cryptokiVersion.major, 2);
  EXPECT_EQ(info.cryptokiVersion.minor, 40);
  EXPECT_EQ(info.manufacturerID[31], ' ');
  EXPECT_EQ(f->C_GetInfo(nullptr), CKR_ARGUMENTS_BAD);
}

TEST_F(NoChip, MalformedConfigFailsInitialize) {
  use_config(dir.file("bad.conf"), "port = unix:/x\nlog_level = loud\n");
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_GENERAL_ERROR);
  use_config(dir.file("bad2.conf"), "no equals sign here\n");
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_GENERAL_ERROR);
  setenv("SE05X_PKCS11_CONF", dir.file("missing.conf").c_str(), 1);
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_GENERAL_ERROR);
  use_config(dir.file("good.conf"), "log_level = none\n");
  EXPECT_EQ(f->C_Initialize(nullptr), CKR_OK);
}

TEST_F(NoChip, UnreachableChipMeansNoToken) {
  ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK);
  CK_ULONG n = 5;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  EXPECT_EQ(n, 0u);
  ASSERT_EQ(f->C_GetSlotList(CK_FALSE, nullptr, &n), CKR_OK);
  EXPECT_EQ(n, 1u);
  CK_SLOT_INFO si;
  ASSERT_EQ(f->C_GetSlotInfo(0, &si), CKR_OK);
  EXPECT_EQ(si.flags & CKF_TOKEN_PRESENT, 0u);
  EXPECT_NE(si.flags & CKF_HW_SLOT, 0u);
  EXPECT_EQ(si.flags & CKF_REMOVABLE_DEVICE, 0u);
  CK_TOKEN_INFO ti;
  EXPECT_EQ(f->C_GetTokenInfo(0, &ti), CKR_TOKEN_NOT_PRESENT);
  CK_SESSION_HANDLE h;
  EXPECT_EQ(f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_TOKEN_NOT_PRESENT);
  EXPECT_EQ(f->C_GetSlotInfo(1, &si), CKR_SLOT_ID_INVALID);
}

// --- configuration parser (linked directly)

TEST(Config, ParsesAllKeys) {
  auto c = sx::p11::parse_config(
      "# comment\n\n port = unix:/run/se05x/se05xd.sock \ntoken_label = greengrass\nlog_level = debug\n"
      "log_target = syslog\nlock_file =\npin_iterations = 5000\r\n",
      "test.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->port, "unix:/run/se05x/se05xd.sock");
  EXPECT_EQ(c->token_label, "greengrass");
  EXPECT_EQ(c->log_level, sx::p11::LogLevel::Debug);
  EXPECT_EQ(c->log_target, sx::p11::LogTarget::Syslog);
  EXPECT_EQ(c->lock_file, "");
  EXPECT_EQ(c->pin_iterations, 5000u);
}

TEST(Config, Defaults) {
  auto c = sx::p11::parse_config("", "empty");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token_label, "SE050");
  EXPECT_EQ(c->port, "");
  EXPECT_EQ(c->lock_file, "/run/se05x-pkcs11/chip.lock");
  EXPECT_EQ(c->lock_wait_ms, 30000u);
  EXPECT_EQ(c->pin_iterations, 20000u);
}

// SE05X_PKCS11_CONF may name any file the caller can read (in a setuid
// program: any file at all). A message must never carry its content.
TEST(Config, ErrorsNeverEchoTheFileContent) {
  const char* texts[] = {
      "root:$y$j9T$secrethash:19000:0:99999:7:::\n",
      "secret-token = value\n",
      "port = x\nAKIASECRET=1\n",
      "token_label = \"SECRET-SECRET-SECRET-SECRET-SECRET\"\n",
  };
  for (const char* t : texts) {
    auto c = sx::p11::parse_config(t, "x.conf");
    ASSERT_FALSE(c.ok()) << t;
    EXPECT_EQ(c.error().message.find("root"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("ecret"), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("AKIA"), std::string::npos) << c.error().message;
  }
  // A typo of a known key is named by the key it resembles (a known-safe word).
  auto typo = sx::p11::parse_config("lock_flie = /x\n", "x.conf");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("lock_file"), std::string::npos) << typo.error().message;
  EXPECT_EQ(typo.error().message.find("flie"), std::string::npos) << typo.error().message;
}

TEST(Config, DuplicateKeysAreErrors) {
  auto c = sx::p11::parse_config("port = unix:/a\nlog_level = info\nport = unix:/b\n", "x.conf");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message.rfind("x.conf:3:", 0), 0u) << c.error().message;
  EXPECT_NE(c.error().message.find("line 1"), std::string::npos) << c.error().message;
}

TEST(Config, NumbersAreBounded) {
  for (const char* bad : {"pin_iterations = 2147483648\n", "pin_iterations = 4294967295\n",
                          "pin_iterations = 99999999999\n", "pin_iterations = 1000001\n", "pin_iterations = -5\n",
                          "lock_wait_ms = 600001\n", "lock_wait_ms = x\n", "freshness_ms = 60001\n"}) {
    auto c = sx::p11::parse_config(bad, "x.conf");
    EXPECT_FALSE(c.ok()) << bad;
  }
  auto c = sx::p11::parse_config("pin_iterations = 1000000\nlock_wait_ms = 0\n", "x.conf");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->pin_iterations, 1000000u);
  EXPECT_EQ(c->lock_wait_ms, 0u);
  auto rel = sx::p11::parse_config("lock_file = relative.lock\n", "x.conf");
  EXPECT_FALSE(rel.ok());
}

TEST(Config, OnlyARegularFileIsAConfiguration) {
  sx::testing::TempDir dir;
  setenv("SE05X_PKCS11_CONF", dir.path().c_str(), 1);  // a directory
  auto d = sx::p11::load_config();
  EXPECT_FALSE(d.ok());
  setenv("SE05X_PKCS11_CONF", "/dev/null", 1);
  auto n = sx::p11::load_config();
  EXPECT_FALSE(n.ok());
  use_config(dir.file("ok.conf"), "log_level = info\n");
  auto ok = sx::p11::load_config();
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->log_level, sx::p11::LogLevel::Info);
  unsetenv("SE05X_PKCS11_CONF");
}

TEST(Config, VerifySignatures) {
  auto d = sx::p11::parse_config("", "empty");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->verify_rsa);  // RSA-CRT fault attacks: on unless explicitly off
  EXPECT_FALSE(d->verify_ecdsa);
  auto yes = sx::p11::parse_config("verify_signatures = yes\n", "y");
  ASSERT_TRUE(yes.ok());
  EXPECT_TRUE(yes->verify_rsa);
  EXPECT_TRUE(yes->verify_ecdsa);
  auto no = sx::p11::parse_config("verify_signatures = no\n", "n");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->verify_rsa);
  EXPECT_FALSE(no->verify_ecdsa);
  auto rsa = sx::p11::parse_config("verify_signatures = rsa\n", "r");
  ASSERT_TRUE(rsa.ok());
  EXPECT_TRUE(rsa->verify_rsa);
  EXPECT_FALSE(rsa->verify_ecdsa);
  auto bad = sx::p11::parse_config("verify_signatures = maybe\n", "x.conf");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x.conf:1:"), std::string::npos);
}

TEST(Config, PinStorage) {
  auto d = sx::p11::parse_config("", "d");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->chip_pin);  // the chip enforces the PIN unless the legacy host mode is asked for
  EXPECT_TRUE(sx::p11::default_config().chip_pin);
  EXPECT_TRUE(sx::device::TokenSettings{}.chip_pin);
  EXPECT_EQ(d->pin_max_attempts, 10u);
  auto chip = sx::p11::parse_config("pin_storage = chip\nuser_pin_max_attempts = 5\n", "c");
  ASSERT_TRUE(chip.ok());
  EXPECT_TRUE(chip->chip_pin);
  EXPECT_EQ(chip->pin_max_attempts, 5u);
  EXPECT_FALSE(sx::p11::parse_config("pin_storage = host\n", "h")->chip_pin);
  EXPECT_FALSE(sx::p11::parse_config("pin_storage = disk\n", "x.conf").ok());
  EXPECT_FALSE(sx::p11::parse_config("user_pin_max_attempts = 0\n", "x.conf").ok());
  EXPECT_FALSE(sx::p11::parse_config("user_pin_max_attempts = 256\n", "x.conf").ok());
}

TEST(Config, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* line;
  } cases[] = {
      {"log_level = info\nfoo = 1\n", "x.conf:2:"},
      {"\n\nport =\n", "x.conf:3:"},
      {"pin_iterations = 10\n", "x.conf:1:"},
      {"pin_iterations = 12ab\n", "x.conf:1:"},
      {"log_target = file\n", "x.conf:1:"},
      {"token_label = 0123456789012345678901234567890123\n", "x.conf:1:"},
      {"just words\n", "x.conf:1:"},
  };
  for (const auto& k : cases) {
    auto c = sx::p11::parse_config(k.text, "x.conf");
    ASSERT_FALSE(c.ok()) << k.text;
    EXPECT_EQ(c.error().message.rfind(k.line, 0), 0u) << c.error().message;
  }
}

}  // namespace
}  // namespace sx::p11test

namespace {
TEST(Config, FreshnessWindow) {
  auto d = sx::p11::parse_config("", "empty");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->freshness_ms, 250u);
  auto zero = sx::p11::parse_config("freshness_ms = 0\n", "z");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->freshness_ms, 0u);
  for (const char* bad : {"freshness_ms = -1\n", "freshness_ms = 60001\n", "freshness_ms = 1s\n", "freshness_ms =\n"}) {
    auto r = sx::p11::parse_config(bad, "bad");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("bad:1: freshness_ms"), std::string::npos) << r.error().message;
  }
}
}  // namespace
