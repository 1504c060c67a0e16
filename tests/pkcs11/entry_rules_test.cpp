// The entry table's rules seen from outside: a login gate answers before the
// body runs, so before any chip access (checked with the simulator stopped:
// anything that reached the chip would fail with a device error instead).
#include <string>
#include <vector>

#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

using EntryRules = P11Test;

TEST_F(EntryRules, LoginGatesRefuseBeforeTheChip) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();  // R/W, nobody logged in
  sim->stop();

  CK_UTF8CHAR pin[] = "5678";
  EXPECT_EQ(f->C_InitPIN(s, pin, 4), CKR_USER_NOT_LOGGED_IN);  // row: kSoLoggedIn
  EXPECT_EQ(f->C_Logout(s), CKR_USER_NOT_LOGGED_IN);           // row: kLoggedIn
  // A row without a gate in the same state goes on to the chip, which is gone.
  CK_UTF8CHAR old_pin[] = "1234";
  const CK_RV rv = f->C_SetPIN(s, old_pin, 4, pin, 4);
  EXPECT_TRUE(rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_PRESENT) << rv;
}

// kWriteToken: a token object is written only in an R/W session by the user;
// the refusal comes after the template checks (the rule is applied where the
// body knows the object), still without any chip access.
TEST_F(EntryRules, WriteRuleAppliesAfterTheTemplate) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  sim->stop();
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  const std::string value = "x";
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_str(CKA_VALUE, value)};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(f->C_CreateObject(s, nullptr, 1, &h), CKR_ARGUMENTS_BAD);
}

}  // namespace
}  // namespace sx::p11test
