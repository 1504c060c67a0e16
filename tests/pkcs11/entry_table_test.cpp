// The entry table (src/pkcs11/entry_table.h): one row per CK_FUNCTION_LIST
// member, in list order, naming the exported function at that place; and the
// rules the module's login and lock design rests on hold in it.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pkcs11/entry_table.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

using sx::p11::Entry;
using sx::p11::kEntryRules;
using sx::p11::Lock;
using sx::p11::Lookup;
using sx::p11::rule;

TEST(EntryTable, OneRowPerFunctionListMemberInListOrder) {
  CK_FUNCTION_LIST* f = fl();
  ASSERT_NE(f, nullptr);
  void* lib = dlopen(module_path().c_str(), RTLD_NOW | RTLD_LOCAL);  // the handle fl() holds
  ASSERT_NE(lib, nullptr);
  const auto* first = reinterpret_cast<const void* const*>(&f->C_Initialize);
  const auto* last = reinterpret_cast<const void* const*>(&f->C_WaitForSlotEvent);
  ASSERT_EQ(static_cast<size_t>(last - first + 1), std::size(kEntryRules));
  std::set<std::string> names;
  for (size_t i = 0; i < std::size(kEntryRules); ++i) {
    const char* name = kEntryRules[i].name;
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    void* sym = dlsym(lib, name);
    EXPECT_NE(sym, nullptr) << name << " not exported";
    EXPECT_EQ(first[i], sym) << "list member " << i << " is not " << name;
  }
  // By member name, not by place: each row's entry sits in the member of its name.
#define SX_P11_TEST_MEMBER(fn, lookup, lock, login)                                          \
  EXPECT_EQ(reinterpret_cast<void*>(f->fn), dlsym(lib, #fn)) << #fn;                        \
  EXPECT_EQ(reinterpret_cast<const void*>(first[static_cast<size_t>(Entry::fn)]),           \
            reinterpret_cast<const void*>(f->fn)) << #fn;                                    \
  EXPECT_STREQ(rule(Entry::fn).name, #fn);
  SX_P11_ENTRY_TABLE(SX_P11_TEST_MEMBER)
#undef SX_P11_TEST_MEMBER
  dlclose(lib);
}

// Only the calls that may run without an initialised module skip the lookup.
TEST(EntryTable, OnlyLifecycleCallsRunWithoutTheModule) {
  std::set<std::string> without;
  for (const auto& r : kEntryRules)
    if (r.lookup == Lookup::kNoLookup) without.insert(r.name);
  EXPECT_EQ(without, (std::set<std::string>{"C_Initialize", "C_Finalize", "C_GetFunctionList"}));
}

// auth_mu serialises exactly the calls that read and change the login state
// or a PIN; all of them also need the chip (C_Logout closes the chip session).
TEST(EntryTable, AuthLockIsForLoginAndPinCalls) {
  std::set<std::string> auth;
  for (const auto& r : kEntryRules)
    if (r.lock == Lock::kAuth || r.lock == Lock::kAuthChip) auth.insert(r.name);
  EXPECT_EQ(auth, (std::set<std::string>{"C_InitToken", "C_InitPIN", "C_SetPIN", "C_Login", "C_Logout"}));
  EXPECT_EQ(rule(Entry::C_Logout).lock, Lock::kAuthChip);
}

// A login gate needs a session to be logged in to; an object rule needs the
// objects, which live behind chip_mu.
TEST(EntryTable, LoginRulesSitOnRowsThatCanCheckThem) {
  for (const auto& r : kEntryRules) {
    if ((r.login & sx::p11::kLoginGates) != 0) {
      EXPECT_EQ(r.lookup, Lookup::kBySession) << r.name;
    }
    if ((r.login & (sx::p11::kWriteToken | sx::p11::kPrivateObject)) != 0) {
      EXPECT_EQ(r.lookup, Lookup::kBySession) << r.name;
      EXPECT_EQ(r.lock, Lock::kChip) << r.name;
    }
  }
  EXPECT_EQ(rule(Entry::C_InitPIN).login, sx::p11::kSoLoggedIn);
  EXPECT_EQ(rule(Entry::C_Logout).login, sx::p11::kLoggedIn);
  EXPECT_TRUE(sx::p11::has(rule(Entry::C_SignInit).login, sx::p11::kPrivateObject));
  EXPECT_TRUE(sx::p11::has(rule(Entry::C_GenerateKeyPair).login, sx::p11::kWriteToken));
}

// Host-only work (verify, encrypt, digest, finds in progress) never waits for the chip.
TEST(EntryTable, HostOnlyCallsTakeNoModuleMutex) {
  for (Entry e : {Entry::C_Verify, Entry::C_VerifyUpdate, Entry::C_VerifyFinal, Entry::C_Encrypt, Entry::C_Digest,
                  Entry::C_DigestUpdate, Entry::C_DigestFinal, Entry::C_SignUpdate, Entry::C_FindObjects,
                  Entry::C_FindObjectsFinal, Entry::C_GetSessionInfo, Entry::C_CloseSession})
    EXPECT_EQ(rule(e).lock, Lock::kFree) << rule(e).name;
}

}  // namespace
}  // namespace sx::p11test
