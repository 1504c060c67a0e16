// C_Login on a chip-PIN token (docs/chip-pin.md §3, docs/pkcs11-module.md §9a):
// after the chip accepts the session the token re-reads only what the public
// listing could not read, so the login costs a few APDUs whatever the number of
// objects; and a private data object made by another process is seen, with its
// value, after the login.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "p11_fixture.h"

namespace sx::p11test {
namespace {

class ChipLoginCostTest : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                          "\nlog_level = warn\nfreshness_ms = 5000\npin_storage = chip\n");
  }
  // C_InitToken (chip PINs), the user PIN through the SO session; the module stays initialised.
  void chip_provision() {
    init();
    CK_UTF8CHAR label[32];
    std::fill(std::begin(label), std::end(label), ' ');
    ASSERT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8, label), CKR_OK);
    CK_SESSION_HANDLE s = open();
    ASSERT_EQ(f->C_Login(s, CKU_SO, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8), CKR_OK);
    ASSERT_EQ(f->C_InitPIN(s, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kUserPin)),
                           static_cast<CK_ULONG>(std::strlen(kUserPin))),
              CKR_OK);
    ASSERT_EQ(f->C_Logout(s), CKR_OK);
    ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
  }
  CK_OBJECT_HANDLE create_data(CK_SESSION_HANDLE s, const std::string& label, const std::string& value,
                               bool is_private) {
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL priv = is_private ? CK_TRUE : CK_FALSE;
    std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, priv),
                                   attr_str(CKA_VALUE, value), attr_str(CKA_LABEL, label)};
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    EXPECT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK) << label;
    return h;
  }
};

// The old login listed the whole token again inside the session (metadata and every
// object: 29 APDUs with the factory objects and a key). Now: the refresh's version read,
// the chip's unique ID (a process's first login), CreateSession, VerifySessionUserID and
// the metadata pointer — the same with more objects.
TEST_F(ChipLoginCostTest, LoginDoesNotListTheTokenAgain) {
  chip_provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  for (int i = 0; i < 3; ++i) generate_ec(s, "key" + std::to_string(i), Bytes{static_cast<uint8_t>(i + 1)});
  for (int i = 0; i < 3; ++i) create_data(s, "pub" + std::to_string(i), "public value", false);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

  init();  // a new process's view: the token is listed without a session
  s = open();
  for (int round = 0; round < 2; ++round) {
    const double before = sim_apdus();
    login(s);
    const double after = sim_apdus();
    ASSERT_GE(before, 0) << "simulator statistics unreadable";
    ASSERT_GE(after, 0) << "simulator statistics unreadable";
    EXPECT_LE(after - before, 5) << "C_Login round " << round << ": " << after - before << " APDUs";
    EXPECT_EQ(find_label(s, "key2", CKO_PRIVATE_KEY).size(), 1u);
    EXPECT_EQ(find_label(s, "pub2", CKO_DATA).size(), 1u);
    ASSERT_EQ(f->C_Logout(s), CKR_OK);
  }
}

// A private data object created by another process after this one listed the token
// (publicly: its value was refused) is visible with its value once logged in.
TEST_F(ChipLoginCostTest, PrivateDataFromAnotherProcessReadAfterLogin) {
  SX_SKIP_WITH_SCP03();
  chip_provision();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  const std::string secret = "made by the other process";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(go[1]);
    char c = 0;
    if (::read(go[0], &c, 1) != 1) _exit(2);
    CK_SESSION_HANDLE cs = CK_INVALID_HANDLE;
    if (f->C_Initialize(nullptr) != CKR_OK ||
        f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &cs) != CKR_OK ||
        f->C_Login(cs, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kUserPin)),
                   static_cast<CK_ULONG>(std::strlen(kUserPin))) != CKR_OK)
      _exit(3);
    const CK_OBJECT_HANDLE h = create_data(cs, "other", secret, true);
    const bool ok = h != CK_INVALID_HANDLE && f->C_Logout(cs) == CKR_OK && f->C_Finalize(nullptr) == CKR_OK;
    _exit(ok ? 0 : 4);
  }
  ::close(go[0]);
  init();
  CK_SESSION_HANDLE s = open();  // listed now, before the other process writes
  EXPECT_TRUE(find_label(s, "other", CKO_DATA).empty());
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  int st = -1;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "child status " << st;
  EXPECT_TRUE(find_label(s, "other", CKO_DATA).empty()) << "private: hidden before the login";
  login(s);
  auto found = find_label(s, "other", CKO_DATA);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(get(s, found[0], CKA_VALUE), Bytes(secret.begin(), secret.end()));
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
}

}  // namespace
}  // namespace sx::p11test
