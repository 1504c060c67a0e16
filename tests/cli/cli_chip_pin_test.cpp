// Issue 12, CLI part: the se05x CLI on chip-PIN tokens (docs/chip-pin.md,
// docs/cli.md "Chip-enforced PINs"): the PIN state from the chip's counters,
// wrong and locked PINs, `token reset --factory`, `policy show`, the keys
// `info` lists as not PIN-protected by the chip, and `adopt`'s warning.
#include <algorithm>
#include <string>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

class CliChipPin : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    use_pin_storage("chip");
  }
  // The policy document of `policy show --json OBJECT` (one chip object).
  nlohmann::json policy_of(const std::string& object) {
    const CliRun r = se05x({"--json", "policy", "show", object});
    EXPECT_EQ(r.rc, 0) << r.err << r.out;
    const auto j = r.json();
    EXPECT_EQ(j["objects"].size(), 1u) << r.out;
    return j["objects"].empty() ? nlohmann::json::object() : j["objects"][0];
  }
  static bool has_line(const nlohmann::json& p, const std::string& line) {
    for (const auto& t : p["text"])
      if (t == line) return true;
    return false;
  }
};

bool lists(const nlohmann::json& info, const std::string& chip_id) {
  for (const auto& u : info["not_pin_protected_by_chip"])
    if (u["chip_id"] == chip_id) return true;
  return false;
}

TEST_F(CliChipPin, TokenInfoShowsThePinCheckedByTheChipWithItsCounters) {
  init_token();
  CliRun r = se05x({"token", "info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("PIN checked by: chip (UserID 0x7B5EFFF9"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("User PIN:      set (10 of 10 tries left)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SO PIN:        set (10 of 10 tries left)"), std::string::npos) << r.out;
  auto j = se05x({"--json", "token", "info"}).json();
  EXPECT_EQ(j["pin_checked_by"], "chip");
  EXPECT_EQ(j["user_pin_auth_object"], "0x7B5EFFF9");
  EXPECT_EQ(j["user_pin_max_tries"], 10);
  // A wrong PIN is counted by the chip, seen by the next process.
  r = se05x({"keygen", "--label", "k"}, {{"SE05X_PIN", "0000"}});
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("wrong user PIN (9 tries left)"), std::string::npos) << r.err;
  j = se05x({"--json", "info"}).json();
  EXPECT_EQ(j["token"]["user_pin_failures"], 1);
  EXPECT_EQ(j["token"]["user_pin_tries_left"], 9);
  r = se05x({"info"});
  EXPECT_NE(r.out.find("User PIN:      set (1 failed tries, 9 of 10 tries left)"), std::string::npos) << r.out;
  // A right one resets the chip's counter.
  ASSERT_EQ(se05x({"keygen", "--label", "k"}, kPin).rc, 0);
  EXPECT_EQ(se05x({"--json", "token", "info"}).json()["user_pin_tries_left"], 10);
}

TEST_F(CliChipPin, HostTokenSaysHostLegacy) {
  use_pin_storage("host");
  init_token();
  const CliRun r = se05x({"token", "info"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("PIN checked by: host (legacy)"), std::string::npos) << r.out;
  EXPECT_EQ(se05x({"--json", "token", "info"}).json()["pin_checked_by"], "host");
}

TEST_F(CliChipPin, LockedUserPinIsUnlockedByInitPinAndSetPinChangesItOnTheChip) {
  init_token();
  const std::map<std::string, std::string> bad{{"SE05X_PIN", "0000"}};
  for (int i = 1; i <= 8; ++i) EXPECT_CLI_ERROR(se05x({"keygen", "--label", "k"}, bad), 5);
  CliRun r = se05x({"keygen", "--label", "k"}, bad);
  EXPECT_NE(r.err.find("1 try left: the next wrong PIN locks it"), std::string::npos) << r.err;
  r = se05x({"keygen", "--label", "k"}, bad);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("user PIN is locked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token init-pin"), std::string::npos) << r.err;
  // Locked on the chip: the right PIN does not open it either.
  r = se05x({"keygen", "--label", "k"}, kPin);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("locked"), std::string::npos) << r.err;
  EXPECT_TRUE(se05x({"--json", "token", "info"}).json()["user_pin_locked"].get<bool>());
  // The SO's init-pin rewrites the UserID: unlocked, with the new PIN.
  r = se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "87654321"}, {"SE05X_NEW_PIN", "4321"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("on the chip"), std::string::npos) << r.out;
  ASSERT_EQ(se05x({"keygen", "--label", "k"}, {{"SE05X_PIN", "4321"}}).rc, 0);
  // set-pin: the old PIN is checked by the chip, the new one works, the old one not.
  r = se05x({"token", "set-pin"}, {{"SE05X_PIN", "1111"}, {"SE05X_NEW_PIN", "5678"}});
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("wrong user PIN (9 tries left)"), std::string::npos) << r.err;
  r = se05x({"--json", "token", "set-pin"}, {{"SE05X_PIN", "4321"}, {"SE05X_NEW_PIN", "5678"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.json()["pin_checked_by"], "chip");
  EXPECT_EQ(se05x({"keygen", "--label", "k2"}, {{"SE05X_PIN", "5678"}}).rc, 0);
  EXPECT_CLI_ERROR(se05x({"keygen", "--label", "k3"}, {{"SE05X_PIN", "4321"}}), 5);
}

TEST_F(CliChipPin, NoUserPinYetSaysInitPin) {
  CliRun r = se05x({"token", "init", "--label", "t"}, {{"SE05X_SO_PIN", "87654321"}});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = se05x({"keygen", "--label", "k"}, kPin);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("se05x token init-pin"), std::string::npos) << r.err;
}

// A locked SO PIN of a chip-PIN token: only the chip's DeleteAll gets out.
TEST_F(CliChipPin, LockedSoPinIsRecoveredByFactoryReset) {
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "mine"}, kPin).rc, 0);
  const std::map<std::string, std::string> bad{{"SE05X_SO_PIN", "00000000"}, {"SE05X_NEW_PIN", "9999"}};
  for (int i = 1; i <= 9; ++i) {
    const CliRun r = se05x({"token", "init-pin"}, bad);
    EXPECT_CLI_ERROR(r, 5);
    if (i == 9) {
      EXPECT_NE(r.err.find("se05x token reset --factory"), std::string::npos) << r.err;
    }
  }
  CliRun r = se05x({"token", "init-pin"}, bad);
  EXPECT_CLI_ERROR(r, 5);
  EXPECT_NE(r.err.find("SO PIN is locked"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("se05x token reset --factory"), std::string::npos) << r.err;
  r = se05x({"info"});
  EXPECT_NE(r.out.find("SO PIN:        LOCKED (recover with `se05x token reset --factory`"), std::string::npos) << r.out;
  // doctor names the same way out.
  write("p11.conf", conf_lines() + "lock_file = " + file("lock") + "\n");
  r = se05x({"--json", "doctor", "--module", sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE)},
            {{"SE05X_PKCS11_CONF", file("p11.conf")}});
  EXPECT_EQ(r.rc, 10) << r.err;
  bool so_check = false;
  const auto doc = r.json();  // kept alive: a range-for over a temporary's member dangles
  for (const auto& c : doc["checks"])
    if (c["check"] == "SO PIN") {
      so_check = true;
      EXPECT_NE(c["fix"].get<std::string>().find("se05x token reset --factory"), std::string::npos) << c.dump();
    }
  EXPECT_TRUE(so_check) << r.out;
  // The host-PIN reset cannot help here and says so.
  r = se05x({"token", "reset", "--yes", "--label", "x"}, {{"SE05X_SO_PIN", "11112222"}});
  EXPECT_CLI_ERROR(r, 2);
  EXPECT_NE(r.err.find("--factory"), std::string::npos) << r.err;
  // No terminal, no --yes: refused, and the refusal says what it would destroy.
  r = se05x({"token", "reset", "--factory"});
  EXPECT_CLI_ERROR(r, 11);
  EXPECT_NE(r.err.find("both PINs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("factory objects stay"), std::string::npos) << r.err;
  EXPECT_TRUE(se05x({"--json", "info"}).json()["token"]["so_pin_locked"].get<bool>());
  r = se05x({"--json", "token", "reset", "--factory", "--yes"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["factory_reset"].get<bool>());
  const auto list = snapshot();
  for (const auto& o : list["objects"]) EXPECT_EQ(o["chip_id"].get<std::string>().rfind("0xF0", 0), 0u) << o.dump();
  auto info = se05x({"--json", "info"}).json();
  EXPECT_FALSE(info["token"]["initialized"].get<bool>());
  EXPECT_FALSE(info["token"]["so_pin_locked"].get<bool>());
  // The PIN objects are gone from the chip, and a new token can be made.
  EXPECT_EQ(se05x({"policy", "show", "0x7B5EFFF8"}).rc, 6);
  init_token();
  EXPECT_EQ(se05x({"keygen", "--label", "again"}, kPin).rc, 0);
}

TEST_F(CliChipPin, PolicyShowInWordsForChipHostAndFactoryKeys) {
  // Made before `token init`: no policy, as every key of a host-PIN token.
  ASSERT_EQ(se05x({"keygen", "--label", "old"}, {}).rc, 0);
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "new"}, kPin).rc, 0);
  auto p = policy_of("new");
  // No decrypt: an EC key's CKA_DECRYPT is FALSE unless asked for (docs/chip-pin.md §2).
  EXPECT_TRUE(has_line(p, "user session (0x7B5EFFF9): sign, verify, key agreement, encrypt, read, delete"))
      << p.dump();
  EXPECT_TRUE(has_line(p, "SO session (0x7B5EFFF8): read, delete")) << p.dump();
  EXPECT_TRUE(has_line(p, "any session / no session (0x00000000): read")) << p.dump();
  EXPECT_TRUE(p["pin_protected_by_chip"].get<bool>()) << p.dump();
  p = policy_of("old");
  EXPECT_FALSE(p["pin_protected_by_chip"].get<bool>()) << p.dump();
  EXPECT_NE(p["uses_outside_user_session"].get<std::string>().find("sign"), std::string::npos) << p.dump();
  p = policy_of("0xF0000100");
  EXPECT_FALSE(p["pin_protected_by_chip"].get<bool>()) << p.dump();
  EXPECT_NE(p["text"][0].get<std::string>().find("any session / no session (0x00000000): sign"), std::string::npos)
      << p.dump();
  // The text form: one line per entry and the verdict.
  CliRun r = se05x({"policy", "show", "--label", "new"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("  user session (0x7B5EFFF9): sign"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PIN-protected by the chip: yes"), std::string::npos) << r.out;
  r = se05x({"policy", "show", "old"});
  EXPECT_NE(r.out.find("NOT PIN-protected by the chip"), std::string::npos) << r.out;
  // The user's UserID itself: who may rewrite it, and its counter.
  p = policy_of("0x7B5EFFF9");
  EXPECT_TRUE(has_line(p, "SO session (0x7B5EFFF8): write, delete")) << p.dump();
  EXPECT_EQ(p["authentication_object"]["max_attempts"], 10);
  EXPECT_CLI_ERROR(se05x({"policy", "show", "nosuchlabel"}), 2);
  EXPECT_CLI_ERROR(se05x({"policy", "show", "0x7B5E7777"}), 6);
  EXPECT_CLI_ERROR(se05x({"policy", "show", "--label", "nosuchlabel"}), 6);
}

TEST_F(CliChipPin, PolicyShowOfAHostModeKey) {
  use_pin_storage("host");
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "h"}, kPin).rc, 0);
  const auto p = policy_of("h");
  EXPECT_FALSE(p["pin_protected_by_chip"].get<bool>()) << p.dump();
  // The simulator reports "no policy" as one entry for 0 with the defaults (docs/simulator.md).
  EXPECT_TRUE(p["no_policy"].get<bool>() || has_line(p, "any session / no session (0x00000000): sign, verify, key "
                                                        "agreement, encrypt, decrypt, key derivation, wrap, read, "
                                                        "write, generate, delete, import/export"))
      << p.dump();
}

TEST_F(CliChipPin, InfoListsKeysNotProtectedByTheChip) {
  ASSERT_EQ(se05x({"keygen", "--label", "old"}, {}).rc, 0);
  init_token();
  CliRun r = se05x({"--json", "keygen", "--label", "new"}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  const std::string new_id = r.json()["chip_id"];
  const auto info = se05x({"--json", "info"}).json();
  EXPECT_TRUE(lists(info, "0xF0000100")) << info.dump();
  EXPECT_FALSE(lists(info, new_id)) << info.dump();
  bool old_listed = false;
  for (const auto& u : info["not_pin_protected_by_chip"])
    if (u["label"] == "old") old_listed = u["kind"] == "module";
  EXPECT_TRUE(old_listed) << info.dump();
  r = se05x({"info"});
  EXPECT_NE(r.out.find("Not PIN-protected by the chip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0xF0000100"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Generate a new key"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PIN checked by: chip (UserID 0x7B5EFFF9"), std::string::npos) << r.out;
}

TEST_F(CliChipPin, AdoptWarnsWhenAnySessionMayUseTheKey) {
  init_token();
  const CliRun r = se05x({"--json", "adopt", "--key", "0xF0000100", "--cert", "0xF0000101", "--label", "fac"}, kPin);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.err.find("se05x: warning: key 0xF0000100 is not PIN-protected by the chip"), std::string::npos) << r.err;
  const auto j = r.json();
  ASSERT_EQ(j["warnings"].size(), 1u) << r.out;
  EXPECT_NE(j["warnings"][0].get<std::string>().find("sign"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sx::cli::test
