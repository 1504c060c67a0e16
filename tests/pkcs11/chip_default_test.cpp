// The chip-enforced PIN as the module's default (issue 12, docs/pkcs11-module.md
// §5a): a configuration without pin_storage makes chip-PIN tokens; the login
// survives a device error that makes the module reopen the link (transparent
// re-login) or ends cleanly when the chip refuses it; a second process with the
// same PIN on a direct link is refused by the chip with one log line naming the
// broker. pin_storage = host stays available (the legacy mode).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "p11_fixture.h"

namespace sx::p11test {
namespace {

constexpr uint32_t kDefFirstKey = 0x7B5E0001;  // token/id_range.h kAllocFirst: the first generated key

// ECDSASign of 32 bytes with `key` from a client on the link layer only: no
// module, no session (docs/se05x-protocol.md §4.9.5). The status word.
uint16_t raw_sign_sw(const std::string& conn, uint32_t key) {
  link::JrcpClient c(*link::parse_endpoint(conn));
  if (!c.open().ok()) return 0;
  const Bytes select = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00,
                        0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00};
  if (!c.transceive(select).ok()) return 0;
  Bytes cmd = {0x80, 0x03, 0x0C, 0x09, 0x00, 0x41, 0x04, static_cast<uint8_t>(key >> 24),
               static_cast<uint8_t>(key >> 16), static_cast<uint8_t>(key >> 8), static_cast<uint8_t>(key),
               0x42, 0x01, 0x21, 0x43, 0x20};
  cmd.insert(cmd.end(), 32, 0x5A);
  cmd[4] = static_cast<uint8_t>(cmd.size() - 5);
  cmd.push_back(0x00);
  auto r = c.transceive(cmd);
  if (!r.ok() || r->size() < 2) return 0;
  return static_cast<uint16_t>((*r)[r->size() - 2] << 8 | r->back());
}

class ChipDefaultTest : public P11Test {
 protected:
  // Provisions (the fixture's configuration names no pin_storage), logs in and
  // makes one P-256 key; `session` stays logged in.
  CK_OBJECT_HANDLE provision_and_key() {
    init();
    provision();
    session = open();
    login(session);
    return generate_ec(session, "dflt", Bytes{9}).second;
  }
  CK_RV try_sign(CK_OBJECT_HANDLE key) {
    CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
    CK_RV rv = f->C_SignInit(session, &m, key);
    if (rv != CKR_OK) return rv;
    Bytes digest(32, 3), sig(128);
    CK_ULONG n = static_cast<CK_ULONG>(sig.size());
    return f->C_Sign(session, digest.data(), 32, sig.data(), &n);
  }
  CK_STATE state() {
    CK_SESSION_INFO si{};
    EXPECT_EQ(f->C_GetSessionInfo(session, &si), CKR_OK);
    return si.state;
  }
  // The simulator dies (a power loss of the chip's host side) and comes back on
  // the same socket, with its NVM (`nvm`) or a fresh chip.
  void restart_sim(const std::string& nvm = "chip.nvm") {
    sim->kill_hard();
    sim = sx::testing::start_sim_in(*dir, nvm);
    ASSERT_NE(sim, nullptr);
    ASSERT_EQ(sim->endpoints()[0], std::string(getenv("SE05X_PORT")));
  }

  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
};

TEST_F(ChipDefaultTest, DefaultConfigurationMakesAChipPinToken) {
  const CK_OBJECT_HANDLE key = provision_and_key();
  EXPECT_EQ(try_sign(key), CKR_OK);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  // The chip refuses the key to a client without the user's session.
  EXPECT_EQ(raw_sign_sw(sim->endpoints()[0], kDefFirstKey), 0x6986);
}

TEST_F(ChipDefaultTest, HostModeStaysAvailableAsTheLegacyMode) {
  use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                        "\npin_iterations = 1000\nlog_level = warn\npin_storage = host\n");
  const CK_OBJECT_HANDLE key = provision_and_key();
  EXPECT_EQ(try_sign(key), CKR_OK);
  // The host counts wrong PINs in the metadata (docs/pkcs11-module.md §5).
  ASSERT_EQ(f->C_Logout(session), CKR_OK);
  EXPECT_EQ(f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>("9999")), 4),
            CKR_PIN_INCORRECT);
  EXPECT_NE(token_info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  login(session);
  EXPECT_EQ(token_info().flags & CKF_USER_PIN_COUNT_LOW, 0u);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  // Host PINs: the chip knows nothing of them (why chip is the default).
  EXPECT_EQ(raw_sign_sw(sim->endpoints()[0], kDefFirstKey), 0x9000);
}

// A device error makes the module reopen the link; the reopen's SELECT ended the
// chip session, and the module opens it again with the value it kept.
TEST_F(ChipDefaultTest, DeviceErrorReopenKeepsTheUserLoggedIn) {
  const CK_OBJECT_HANDLE key = provision_and_key();
  ASSERT_EQ(try_sign(key), CKR_OK);
  restart_sim();
  // The first call after the loss meets the dead link (the module resets it) or,
  // if the link error came earlier, already signs on the reopened one.
  const CK_RV first = try_sign(key);
  EXPECT_TRUE(first == CKR_DEVICE_ERROR || first == CKR_OK) << std::hex << first;
  EXPECT_EQ(try_sign(key), CKR_OK);
  EXPECT_EQ(try_sign(key), CKR_OK);
  EXPECT_EQ(state(), static_cast<CK_STATE>(CKS_RW_USER_FUNCTIONS));
  // Twice: the kept value is used once per loss, then held by the new session.
  restart_sim();
  (void)try_sign(key);
  EXPECT_EQ(try_sign(key), CKR_OK);
  EXPECT_EQ(f->C_Logout(session), CKR_OK);
  EXPECT_EQ(try_sign(key), CKR_USER_NOT_LOGGED_IN);
}

// Logged out while the link was down: nothing is re-opened afterwards.
TEST_F(ChipDefaultTest, LogoutWhileTheLinkIsDownForgetsTheKeptLogin) {
  const CK_OBJECT_HANDLE key = provision_and_key();
  sim->kill_hard();
  EXPECT_EQ(try_sign(key), CKR_DEVICE_ERROR);
  EXPECT_EQ(f->C_Logout(session), CKR_OK);
  sim = sx::testing::start_sim_in(*dir);
  ASSERT_NE(sim, nullptr);
  EXPECT_EQ(state(), static_cast<CK_STATE>(CKS_RW_PUBLIC_SESSION));
  EXPECT_EQ(try_sign(key), CKR_USER_NOT_LOGGED_IN);
  // The chip holds no session of ours: a fresh login opens one.
  login(session);
  EXPECT_EQ(try_sign(key), CKR_OK);
}

// The chip refuses the re-login (here: another chip, which has no such UserID):
// the application is logged out, as after C_Logout, instead of getting 6986 later.
TEST_F(ChipDefaultTest, RefusedReloginLogsOutConsistently) {
  const CK_OBJECT_HANDLE key = provision_and_key();
  ASSERT_EQ(try_sign(key), CKR_OK);
  restart_sim("other-chip.nvm");
  (void)try_sign(key);  // meets the dead link, or the reopen
  (void)find(session, {});  // a call that opens the token
  EXPECT_EQ(state(), static_cast<CK_STATE>(CKS_RW_PUBLIC_SESSION));
  EXPECT_EQ(try_sign(key), CKR_KEY_HANDLE_INVALID);  // not on this chip
  EXPECT_EQ(f->C_Logout(session), CKR_USER_NOT_LOGGED_IN);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A second process, forked: C_Initialize and a session (its token is open: the
// SELECT is behind it), then a C_Login with the user PIN each time the parent
// says so. Its stderr (the module's log) goes to `log`.
class SecondProcess {
 public:
  SecondProcess(CK_FUNCTION_LIST* fn, const std::string& log) {
    if (pipe(to_child_) != 0 || pipe(to_parent_) != 0) return;
    pid_ = fork();
    if (pid_ == 0) run_child(fn, log);
    ::close(to_child_[0]);
    ::close(to_parent_[1]);
  }
  ~SecondProcess() {
    ::close(to_child_[1]);  // the child's read ends: it finalises and exits
    int st = 0;
    if (pid_ > 0) waitpid(pid_, &st, 0);
    ::close(to_parent_[0]);
  }
  // The child's answer to the last request: 'o' open, 'k' CKR_OK, 'd' CKR_DEVICE_ERROR,
  // 'x' anything else; 0 when the child is gone.
  char next() {
    char c = 0;
    return ::read(to_parent_[0], &c, 1) == 1 ? c : 0;
  }
  char login() {
    const char go = 'l';
    if (::write(to_child_[1], &go, 1) != 1) return 0;
    return next();
  }

 private:
  [[noreturn]] void run_child(CK_FUNCTION_LIST* fn, const std::string& log) {
    ::close(to_child_[1]);
    ::close(to_parent_[0]);
    auto say = [&](char c) { (void)!::write(to_parent_[1], &c, 1); };
    if (freopen(log.c_str(), "w", stderr) == nullptr) _exit(3);
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    if (fn->C_Initialize(nullptr) != CKR_OK ||
        fn->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK)
      _exit(4);
    say('o');
    char c = 0;
    while (::read(to_child_[0], &c, 1) == 1) {
      const CK_RV rv = fn->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kUserPin)),
                                   static_cast<CK_ULONG>(std::strlen(kUserPin)));
      fflush(stderr);
      say(rv == CKR_OK ? 'k' : rv == CKR_DEVICE_ERROR ? 'd' : 'x');
    }
    (void)fn->C_Finalize(nullptr);
    _exit(0);
  }

  int to_child_[2] = {-1, -1}, to_parent_[2] = {-1, -1};
  pid_t pid_ = -1;
};

size_t count_lines(const std::string& text) {
  size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += line.empty() ? 0 : 1;
  return n;
}

// Direct link (JRCP straight to the simulator, no broker): one session per
// authentication object, so a second process with the same PIN is refused.
TEST_F(ChipDefaultTest, SecondProcessOnADirectLinkIsRefusedNamingTheBroker) {
  SX_SKIP_WITH_SCP03();
  init();
  provision();
  session = open();
  const CK_OBJECT_HANDLE key = [&] {
    login(session);
    auto k = generate_ec(session, "dflt", Bytes{9}).second;
    EXPECT_EQ(f->C_Logout(session), CKR_OK);
    return k;
  }();
  const std::string log = dir->file("second.log");
  SecondProcess other(f, log);
  ASSERT_EQ(other.next(), 'o');  // both processes have the token open
  login(session);
  EXPECT_EQ(other.login(), 'd');
  const std::string text = read_text(log);
  EXPECT_EQ(count_lines(text), 1u) << text;
  EXPECT_NE(text.find("se05xd"), std::string::npos) << text;
  EXPECT_EQ(text.find(kUserPin), std::string::npos) << text;
  // The refusal left our session alone (the other process did not reset its link).
  EXPECT_EQ(try_sign(key), CKR_OK);
  EXPECT_EQ(state(), static_cast<CK_STATE>(CKS_RW_USER_FUNCTIONS));
  // Once we log out, the other process gets the session, and we are the refused one.
  ASSERT_EQ(f->C_Logout(session), CKR_OK);
  EXPECT_EQ(other.login(), 'k') << read_text(log);
  EXPECT_EQ(f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kUserPin)),
                       static_cast<CK_ULONG>(std::strlen(kUserPin))),
            CKR_DEVICE_ERROR);
  EXPECT_EQ(state(), static_cast<CK_STATE>(CKS_RW_PUBLIC_SESSION));
}

}  // namespace
}  // namespace sx::p11test
