// `se05x scp03 status | rotate | require` against se05x-sim (docs/scp03.md
// §10, §11, §7): a rotation killed at every step or cut at every NVM write
// leaves a chip and a host that still open a channel, with the chip's keys in
// the key file (or the old ones, the .next rolled back); `require` makes the
// simulator refuse plain APDUs.
#include <sys/stat.h>

#include <filesystem>

#include "cli_harness.h"
#include "device/scp03_key_file.h"
#include "se05x/connect.h"
#include "se05x/constants.h"

namespace sx::cli::test {
namespace {

namespace fs = std::filesystem;

// Every step boundary of scp03_rotate.cpp's kill points, in order.
const char* const kRotateSteps[] = {"opened", "next-written", "put-key", "reopened", "settled"};

class CliScp03 : public CliTest {
 protected:
  std::string keys() const { return file("scp03.keys"); }
  std::map<std::string, std::string> env(const std::string& kill_at = {}) const {
    std::map<std::string, std::string> e{{"SE05X_SCP03_KEY_FILE", keys()}};
    if (!kill_at.empty()) e["SE05X_TEST_KILL_AT"] = kill_at;
    return e;
  }
  nlohmann::json status() {
    const CliRun r = se05x({"--json", "scp03", "status"}, env());
    EXPECT_EQ(r.rc, 0) << r.err << r.out;
    return r.rc == 0 ? r.json() : nlohmann::json::object();
  }
  std::optional<se05x::scp03::StaticKeys> file_keys(const std::string& suffix = "") const {
    auto k = device::read_key_file(keys() + suffix);
    if (!k) return std::nullopt;
    return *k;
  }
  // The state every interrupted rotation must end in once `status` ran: a
  // channel opens with the key file's keys (or, rotating from the published
  // keys and rolled back, with those and no key file), and no .next is left.
  void expect_settled(const std::optional<se05x::scp03::StaticKeys>& before) {
    const auto first = status();  // the one that settles (opened with the .next: "finished")
    EXPECT_FALSE(fs::exists(keys() + ".next")) << first.dump();
    if (first["opens_with"] == "pending") {
      EXPECT_EQ(first["settled"], "finished") << first.dump();
    }
    const auto s = status();
    EXPECT_TRUE(s["settled"].is_null()) << s.dump();
    if (file_keys()) {
      EXPECT_EQ(s["state"], "device-keys") << s.dump();
      EXPECT_EQ(s["opens_with"], "key-file") << s.dump();  // the chip's keys are the key file's
    } else {
      EXPECT_FALSE(before.has_value());
      EXPECT_EQ(s["state"], "default-keys") << s.dump();
    }
  }
  // Plain SELECT + GetVersion on a link of our own: the SW of GetVersion.
  uint16_t plain_get_version_sw() {
    auto ch = se05x::open_channel(port());
    EXPECT_TRUE(ch.ok()) << ch.error().to_string();
    if (!ch) return 0;
    Bytes sel{0x00, 0xA4, 0x04, 0x00, 0x10};
    append(sel, se05x::kAppletAid);
    sel.push_back(0x00);
    auto s = (*ch)->transceive(sel);
    EXPECT_TRUE(s.ok());
    auto r = (*ch)->transceive(Bytes{0x80, 0x04, 0x00, 0x20, 0x00});
    EXPECT_TRUE(r.ok());
    if (!r || r->size() < 2) return 0;
    return get_u16(*r, r->size() - 2);
  }
};

TEST_F(CliScp03, FreshChipHoldsItsVariantsPublishedKeys) {
  const auto s = status();
  EXPECT_EQ(s["state"], "default-keys") << s.dump();
  EXPECT_EQ(s["opens_with"], "default-keys");
  EXPECT_TRUE(s["plain_accepted"].get<bool>());
  EXPECT_FALSE(s["required"].get<bool>());
  EXPECT_TRUE(s["variant"].is_string()) << s.dump();
  EXPECT_FALSE(s["key_file"]["present"].get<bool>());
  const CliRun text = se05x({"scp03", "status"}, env());
  EXPECT_EQ(text.rc, 0);
  EXPECT_NE(text.out.find("default keys"), std::string::npos) << text.out;
}

TEST_F(CliScp03, RotateNeedsTheKeyFileOrAnExplicitDefaultKeysFlag) {
  EXPECT_CLI_ERROR(se05x({"scp03", "rotate"}, env()), 6);
  EXPECT_NE(read("stderr").find("--from-default-keys"), std::string::npos);
  EXPECT_FALSE(fs::exists(keys() + ".next"));
  EXPECT_EQ(status()["state"], "default-keys");
}

TEST_F(CliScp03, RotateWritesAPrivateKeyFileAndKeepsThePrevious) {
  CliRun r = se05x({"--json", "scp03", "rotate", "--from-default-keys"}, env());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["rotated"].get<bool>());
  struct stat st{};
  ASSERT_EQ(::stat(keys().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(keys() + ".next"));
  EXPECT_FALSE(fs::exists(keys() + ".prev"));  // the published keys are not worth keeping
  const auto first = file_keys();
  ASSERT_TRUE(first);
  auto s = status();
  EXPECT_EQ(s["state"], "device-keys") << s.dump();
  EXPECT_EQ(s["opens_with"], "key-file");
  // The published keys open nothing now.
  ASSERT_TRUE(fs::remove(keys()));
  s = status();
  EXPECT_EQ(s["state"], "unknown-keys") << s.dump();
  ASSERT_TRUE(device::write_key_file(keys(), *first).ok());

  r = se05x({"--json", "scp03", "rotate"}, env());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(file_keys(".prev"), first);
  EXPECT_NE(file_keys(), first);
  EXPECT_EQ(status()["opens_with"], "key-file");
}

TEST_F(CliScp03, RotateKilledAtEveryStepLeavesKeysTheHostHas) {
  for (bool from_defaults : {true, false}) {
    for (const char* step : kRotateSteps) {
      SCOPED_TRACE(std::string(from_defaults ? "from the published keys" : "from the key file") + ", killed at " + step);
      const auto before = file_keys();
      std::vector<std::string> cmd{"scp03", "rotate"};
      if (from_defaults) cmd.push_back("--from-default-keys");
      const CliRun r = se05x(cmd, env(step));
      EXPECT_EQ(r.rc, 128 + 9) << r.err;  // SIGKILL
      expect_settled(before);
      if (HasFailure()) return;
      // From the published keys: once the key file exists, start over with a fresh chip.
      if (from_defaults && file_keys()) {
        sim_.reset();
        fs::remove(keys());
        fs::remove(keys() + ".prev");
        fs::remove(file("nvm.bin"));
        restart_sim(std::nullopt);
        if (HasFatalFailure()) return;
      }
    }
    if (from_defaults) {
      ASSERT_EQ(se05x({"scp03", "rotate", "--from-default-keys"}, env()).rc, 0);
    }
  }
}

TEST_F(CliScp03, RotateCutAtEveryNvmWriteLeavesKeysTheHostHas) {
  ASSERT_EQ(se05x({"scp03", "rotate", "--from-default-keys"}, env()).rc, 0);
  sim_.reset();
  fs::copy_file(file("nvm.bin"), file("base.nvm"), fs::copy_options::overwrite_existing);
  fs::copy_file(keys(), file("base.keys"), fs::copy_options::overwrite_existing);
  int cuts = 0;
  for (uint64_t n = 1; n <= 40; ++n) {
    SCOPED_TRACE("power cut at NVM write " + std::to_string(n));
    fs::copy_file(file("base.nvm"), file("nvm.bin"), fs::copy_options::overwrite_existing);
    fs::copy_file(file("base.keys"), keys(), fs::copy_options::overwrite_existing);
    fs::remove(keys() + ".next");
    fs::remove(keys() + ".prev");
    const auto before = file_keys();
    restart_sim(n);
    if (HasFatalFailure()) return;
    const CliRun r = se05x({"scp03", "rotate"}, env());
    restart_sim(std::nullopt);  // power back
    if (HasFatalFailure()) return;
    expect_settled(before);
    if (HasFailure()) return;
    if (r.rc == 0) {
      EXPECT_GT(cuts, 0) << "PUT KEY persisted nothing";
      EXPECT_EQ(file_keys(".prev"), before);
      return;
    }
    ++cuts;
  }
  FAIL() << "the rotation never completed";
}

TEST_F(CliScp03, RequireWithoutYesRefusesAndChangesNothing) {
  ASSERT_EQ(se05x({"scp03", "rotate", "--from-default-keys"}, env()).rc, 0);
  const CliRun r = se05x({"scp03", "require"}, env());
  EXPECT_CLI_ERROR(r, 11);
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("for good"), std::string::npos) << r.err;
  EXPECT_EQ(plain_get_version_sw(), 0x9000);
}

TEST_F(CliScp03, RequireMakesTheChipRefusePlainApdus) {
  ASSERT_EQ(se05x({"scp03", "rotate", "--from-default-keys"}, env()).rc, 0);
  EXPECT_EQ(plain_get_version_sw(), 0x9000);
  const CliRun r = se05x({"--json", "scp03", "require", "--yes"}, env());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.json()["required"].get<bool>());
  EXPECT_FALSE(fs::exists(keys() + ".require")) << "the UserID value must not be kept";
  EXPECT_EQ(plain_get_version_sw(), 0x6982);
  const auto s = status();
  EXPECT_EQ(s["state"], "required") << s.dump();
  EXPECT_EQ(s["opens_with"], "key-file");
  // A rotation still works through the channel, and the chip stays required.
  ASSERT_EQ(se05x({"scp03", "rotate"}, env()).rc, 0);
  EXPECT_EQ(status()["state"], "required");
  EXPECT_EQ(plain_get_version_sw(), 0x6982);
}

TEST_F(CliScp03, RequireKilledAfterWritingTheUserIdFinishesWhenRunAgain) {
  ASSERT_EQ(se05x({"scp03", "rotate", "--from-default-keys"}, env()).rc, 0);
  for (const char* step : {"userid-journal", "userid-written", "required"}) {
    SCOPED_TRACE(std::string("killed at ") + step);
    const CliRun killed = se05x({"scp03", "require", "--yes"}, env(step));
    EXPECT_EQ(killed.rc, 128 + 9) << killed.err;
  }
  // The UserID's value was kept for exactly this: the run that finishes.
  const CliRun r = se05x({"scp03", "require", "--yes"}, env());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_FALSE(fs::exists(keys() + ".require"));
  EXPECT_EQ(plain_get_version_sw(), 0x6982);
}

}  // namespace
}  // namespace sx::cli::test
