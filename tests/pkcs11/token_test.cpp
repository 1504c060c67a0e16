// Slot and token information, token initialisation, PINs, sessions and the
// token-wide login state, against a simulated SE050.
#include <cstring>

#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

using TokenTest = P11Test;

std::string field(const unsigned char* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

TEST_F(TokenTest, SlotInfoWithoutSlotList) {
  init();
  CK_SLOT_INFO si;
  ASSERT_EQ(f->C_GetSlotInfo(0, &si), CKR_OK);  // SunPKCS11 comes here first
  EXPECT_EQ(si.flags, CKF_TOKEN_PRESENT | CKF_HW_SLOT);
  CK_SLOT_ID ids[2] = {99, 99};
  CK_ULONG n = 0;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  ASSERT_EQ(n, 1u);
  n = 0;
  EXPECT_EQ(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(n, 1u);
  n = 2;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(ids[0], 0u);
  EXPECT_EQ(ids[1], 99u);
}

TEST_F(TokenTest, FreshTokenInfo) {
  init();
  CK_TOKEN_INFO ti = token_info();
  EXPECT_EQ(field(ti.label, 32), "SE050" + std::string(27, ' '));
  EXPECT_EQ(field(ti.model, 16), "SE050" + std::string(11, ' '));
  const std::string serial = field(ti.serialNumber, 16);
  EXPECT_EQ(serial.find_first_not_of("0123456789ABCDEF"), std::string::npos) << serial;
  EXPECT_EQ(ti.flags, CKF_RNG | CKF_LOGIN_REQUIRED);  // neither initialised nor a user PIN yet
  EXPECT_EQ(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
  EXPECT_EQ(ti.ulMaxRwSessionCount, CK_EFFECTIVELY_INFINITE);
  EXPECT_EQ(ti.ulMinPinLen, 4u);
  EXPECT_EQ(ti.ulMaxPinLen, 64u);
  // Not asked of the chip (a cold C_GetTokenInfo costs no extra APDU, issue 16).
  EXPECT_EQ(ti.ulFreePublicMemory, CK_UNAVAILABLE_INFORMATION);
  // Login before a user PIN exists.
  CK_SESSION_HANDLE s = open(false);
  EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_USER_PIN_NOT_INITIALIZED);
}

TEST_F(TokenTest, InitTokenThenPin) {
  init();
  provision("greengrass");
  CK_TOKEN_INFO ti = token_info();
  EXPECT_EQ(field(ti.label, 32), "greengrass" + std::string(22, ' '));
  EXPECT_EQ(ti.flags,
            CKF_RNG | CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED);
  // Re-initialisation needs the SO PIN, keeps PINs, changes only the label.
  CK_UTF8CHAR label[32];
  std::memset(label, ' ', 32);
  std::memcpy(label, "relabelled", 10);
  EXPECT_EQ(f->C_InitToken(0, (CK_UTF8CHAR_PTR) "wrong-so", 8, label), CKR_PIN_INCORRECT);
  EXPECT_NE(token_info().flags & CKF_SO_PIN_COUNT_LOW, 0u);
  ASSERT_EQ(f->C_InitToken(0, (CK_UTF8CHAR_PTR)kSoPin, 8, label), CKR_OK);
  ti = token_info();
  EXPECT_EQ(field(ti.label, 10), "relabelled");
  EXPECT_EQ(ti.flags & CKF_SO_PIN_COUNT_LOW, 0u);
  EXPECT_NE(ti.flags & CKF_USER_PIN_INITIALIZED, 0u);
  // Not while a session is open.
  CK_SESSION_HANDLE s = open();
  EXPECT_EQ(f->C_InitToken(0, (CK_UTF8CHAR_PTR)kSoPin, 8, label), CKR_SESSION_EXISTS);
  login(s);
}

TEST_F(TokenTest, WrongPinsCountAndLock) {
  init();
  provision();
  CK_SESSION_HANDLE s = open(false);
  EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "9999", 4), CKR_PIN_INCORRECT);
  EXPECT_NE(token_info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  // An empty / NULL PIN is refused without being counted (aws-c-io sends one).
  EXPECT_EQ(f->C_Login(s, CKU_USER, nullptr, 0), CKR_PIN_INCORRECT);
  EXPECT_EQ(f->C_Login(s, CKU_USER, nullptr, 4), CKR_ARGUMENTS_BAD);
  login(s);  // resets the counter
  EXPECT_EQ(token_info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "9999", 4), CKR_PIN_INCORRECT);
  EXPECT_NE(token_info().flags & CKF_USER_PIN_FINAL_TRY, 0u);
  EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "9999", 4), CKR_PIN_LOCKED);
  EXPECT_NE(token_info().flags & CKF_USER_PIN_LOCKED, 0u);
  EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_PIN_LOCKED);  // even the right one
  // The SO unlocks by setting a new user PIN.
  CK_SESSION_HANDLE so = open(true);
  ASSERT_EQ(f->C_CloseSession(s), CKR_OK);  // no RO session may exist for an SO login
  ASSERT_EQ(f->C_Login(so, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_OK);
  EXPECT_EQ(f->C_InitPIN(so, (CK_UTF8CHAR_PTR) "12", 2), CKR_PIN_LEN_RANGE);
  ASSERT_EQ(f->C_InitPIN(so, (CK_UTF8CHAR_PTR) "5678", 4), CKR_OK);
  ASSERT_EQ(f->C_Logout(so), CKR_OK);
  EXPECT_EQ(token_info().flags & CKF_USER_PIN_LOCKED, 0u);
  login(so, "5678");
}

TEST_F(TokenTest, SetPin) {
  init();
  provision();
  CK_SESSION_HANDLE ro = open(false);
  EXPECT_EQ(f->C_SetPIN(ro, (CK_UTF8CHAR_PTR)kUserPin, 4, (CK_UTF8CHAR_PTR) "4321", 4), CKR_SESSION_READ_ONLY);
  CK_SESSION_HANDLE rw = open(true);
  login(rw);
  EXPECT_EQ(f->C_SetPIN(rw, (CK_UTF8CHAR_PTR) "0000", 4, (CK_UTF8CHAR_PTR) "4321", 4), CKR_PIN_INCORRECT);
  EXPECT_EQ(f->C_SetPIN(rw, (CK_UTF8CHAR_PTR)kUserPin, 4, (CK_UTF8CHAR_PTR) "43", 2), CKR_PIN_LEN_RANGE);
  ASSERT_EQ(f->C_SetPIN(rw, (CK_UTF8CHAR_PTR)kUserPin, 4, (CK_UTF8CHAR_PTR) "4321", 4), CKR_OK);
  ASSERT_EQ(f->C_Logout(rw), CKR_OK);
  EXPECT_EQ(f->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_PIN_INCORRECT);
  login(rw, "4321");
}

// HMAC zero-pads PBKDF2's password: "1234", "1234\0" and "1234" + 60 NULs
// derived the same verifier. A PIN with a NUL is invalid everywhere (never
// counted), so only the exact PIN logs in.
TEST_F(TokenTest, PinsWithNulBytesAreInvalid) {
  init();
  provision();
  auto p = [](const std::string& s) { return (CK_UTF8CHAR_PTR)s.data(); };
  const std::string one(std::string(kUserPin) + std::string(1, '\0')), sixty(std::string(kUserPin) + std::string(60, '\0'));
  CK_SESSION_HANDLE rw = open(true);
  EXPECT_EQ(f->C_Login(rw, CKU_USER, p(one), one.size()), CKR_PIN_INVALID);
  EXPECT_EQ(f->C_Login(rw, CKU_USER, p(sixty), sixty.size()), CKR_PIN_INVALID);
  EXPECT_EQ(token_info().flags & CKF_USER_PIN_COUNT_LOW, 0u);  // not counted
  login(rw);
  const std::string seven("7\0\0\0", 4);
  EXPECT_EQ(f->C_SetPIN(rw, (CK_UTF8CHAR_PTR)kUserPin, 4, p(seven), seven.size()), CKR_PIN_INVALID);
  EXPECT_EQ(f->C_SetPIN(rw, p(one), one.size(), (CK_UTF8CHAR_PTR) "4321", 4), CKR_PIN_INVALID);
  ASSERT_EQ(f->C_Logout(rw), CKR_OK);
  EXPECT_EQ(f->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR) "7", 1), CKR_PIN_INCORRECT);
  login(rw);  // the PIN is unchanged
  ASSERT_EQ(f->C_Logout(rw), CKR_OK);
  const std::string so_nul(std::string(kSoPin) + std::string(1, '\0'));
  ASSERT_EQ(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_OK);
  EXPECT_EQ(f->C_InitPIN(rw, p(seven), seven.size()), CKR_PIN_INVALID);
  ASSERT_EQ(f->C_Logout(rw), CKR_OK);
  ASSERT_EQ(f->C_CloseSession(rw), CKR_OK);
  CK_UTF8CHAR label[32];
  std::memset(label, ' ', 32);
  EXPECT_EQ(f->C_InitToken(0, p(so_nul), so_nul.size(), label), CKR_PIN_INVALID);
  EXPECT_EQ(token_info().flags & CKF_SO_PIN_COUNT_LOW, 0u);
}

TEST_F(TokenTest, SessionsShareTheLoginState) {
  init();
  provision();
  CK_SESSION_HANDLE ro = open(false), rw = open(true);
  CK_SESSION_INFO si;
  ASSERT_EQ(f->C_GetSessionInfo(ro, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RO_PUBLIC_SESSION);
  EXPECT_EQ(si.flags, CKF_SERIAL_SESSION);
  ASSERT_EQ(f->C_GetSessionInfo(rw, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RW_PUBLIC_SESSION);
  EXPECT_EQ(si.flags, CKF_SERIAL_SESSION | CKF_RW_SESSION);
  EXPECT_EQ(f->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);
  login(ro);  // on a read-only session, as aws-c-io does
  EXPECT_EQ(f->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_USER_ALREADY_LOGGED_IN);
  EXPECT_EQ(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
  ASSERT_EQ(f->C_GetSessionInfo(rw, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RW_USER_FUNCTIONS);
  CK_SESSION_HANDLE later = open(false);
  ASSERT_EQ(f->C_GetSessionInfo(later, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RO_USER_FUNCTIONS);
  // Survives closing sessions while one remains...
  ASSERT_EQ(f->C_CloseSession(ro), CKR_OK);
  ASSERT_EQ(f->C_CloseSession(later), CKR_OK);
  ASSERT_EQ(f->C_GetSessionInfo(rw, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RW_USER_FUNCTIONS);
  CK_TOKEN_INFO ti = token_info();
  EXPECT_EQ(ti.ulSessionCount, 1u);
  EXPECT_EQ(ti.ulRwSessionCount, 1u);
  // ...and C_CloseAllSessions logs out.
  ASSERT_EQ(f->C_CloseAllSessions(0), CKR_OK);
  EXPECT_EQ(f->C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID);
  CK_SESSION_HANDLE again = open(false);
  ASSERT_EQ(f->C_GetSessionInfo(again, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RO_PUBLIC_SESSION);
  // SO needs R/W sessions only.
  EXPECT_EQ(f->C_Login(again, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_SESSION_READ_ONLY_EXISTS);
  EXPECT_EQ(f->C_Login(again, 7, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_USER_TYPE_INVALID);
  CK_SESSION_HANDLE h;
  EXPECT_EQ(f->C_OpenSession(0, CKF_RW_SESSION, nullptr, nullptr, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
  EXPECT_EQ(f->C_OpenSession(3, CKF_SERIAL_SESSION, nullptr, nullptr, &h), CKR_SLOT_ID_INVALID);
  EXPECT_EQ(f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, nullptr), CKR_ARGUMENTS_BAD);
}

TEST_F(TokenTest, DoubleInitializeKeepsState) {
  init();
  provision();
  CK_SESSION_HANDLE s = open(false);
  login(s);
  CK_C_INITIALIZE_ARGS a{};
  a.flags = CKF_OS_LOCKING_OK;
  EXPECT_EQ(f->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  CK_SESSION_INFO si;
  ASSERT_EQ(f->C_GetSessionInfo(s, &si), CKR_OK);  // session and login survived
  EXPECT_EQ(si.state, CKS_RO_USER_FUNCTIONS);
}

TEST_F(TokenTest, MechanismsInBits) {
  init();
  CK_ULONG n = 0;
  ASSERT_EQ(f->C_GetMechanismList(0, nullptr, &n), CKR_OK);
  ASSERT_GT(n, 0u);
  std::vector<CK_MECHANISM_TYPE> list(n);
  ASSERT_EQ(f->C_GetMechanismList(0, list.data(), &n), CKR_OK);
  EXPECT_NE(std::find(list.begin(), list.end(), CKM_ECDSA), list.end());
  EXPECT_NE(std::find(list.begin(), list.end(), CKM_RSA_PKCS), list.end());
  CK_MECHANISM_INFO mi;
  ASSERT_EQ(f->C_GetMechanismInfo(0, CKM_ECDSA, &mi), CKR_OK);
  EXPECT_NE(mi.flags & CKF_SIGN, 0u);
  EXPECT_EQ(mi.ulMinKeySize, 256u);  // bits, not bytes (SunPKCS11 checks them)
  EXPECT_EQ(mi.ulMaxKeySize, 521u);
  EXPECT_EQ(f->C_GetMechanismInfo(0, CKM_MD5, &mi), CKR_MECHANISM_INVALID);
}

}  // namespace
}  // namespace sx::p11test
