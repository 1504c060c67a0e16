// Commands that change two chip objects (a key and its certificate) either
// change both or neither: a power cut at every NVM write of `import` and of
// `relabel`, then the chip back on (a new simulator from the NVM file) must
// show the old or the new state, and from the old state the same command
// must succeed when retried.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

namespace fs = std::filesystem;

enum class Seen { Old, New, Mixed };

// Label -> class -> CKA_IDs of the objects with that label.
using Labels = std::map<std::string, std::multimap<std::string, std::string>>;

Labels labels_of(const nlohmann::json& list) {
  Labels m;
  for (const auto& o : list["objects"])
    if (!o["factory"].get<bool>()) m[o["label"].get<std::string>()].emplace(o["class"].get<std::string>(), o["id"].get<std::string>());
  return m;
}

// A key pair (both views) and its certificate under `label`, one CKA_ID.
bool whole_pair(const Labels& m, const std::string& label) {
  auto it = m.find(label);
  if (it == m.end() || it->second.size() != 3) return false;
  const auto& c = it->second;
  if (c.count("private key") != 1 || c.count("public key") != 1 || c.count("certificate") != 1) return false;
  const std::string id = c.find("private key")->second;
  return c.find("public key")->second == id && c.find("certificate")->second == id;
}

class CliAtomic : public CliTest {
 protected:
  // Runs `cmd` with a cut at write 1, 2, ... until it completes without one.
  void cut_everywhere(const std::vector<std::string>& cmd, const std::map<std::string, std::string>& env,
                      const std::function<Seen(const Labels&)>& classify) {
    ASSERT_EQ(classify(labels_of(snapshot())), Seen::Old);
    sim_.reset();
    fs::copy_file(file("nvm.bin"), file("base.nvm"), fs::copy_options::overwrite_existing);
    int cuts = 0, olds = 0;
    for (uint64_t n = 1; n <= 120; ++n) {
      SCOPED_TRACE("power cut at NVM write " + std::to_string(n));
      fs::copy_file(file("base.nvm"), file("nvm.bin"), fs::copy_options::overwrite_existing);
      restart_sim(n);
      if (HasFatalFailure()) return;
      const CliRun r = se05x(cmd, env);
      restart_sim(std::nullopt);  // power back
      if (HasFatalFailure()) return;
      const Seen seen = classify(labels_of(snapshot()));
      if (r.rc == 0) {
        EXPECT_EQ(seen, Seen::New) << r.err;
        EXPECT_GT(cuts, 0);
        EXPECT_GT(olds, 0) << "a cut before the first write must leave the old state";
        return;
      }
      ++cuts;
      ASSERT_NE(seen, Seen::Mixed) << "half-done after: " << r.err << snapshot().dump();
      if (seen == Seen::Old) {
        ++olds;
        const CliRun again = se05x(cmd, env);
        ASSERT_EQ(again.rc, 0) << "retry: " << again.err;
        ASSERT_EQ(classify(labels_of(snapshot())), Seen::New);
      }
    }
    FAIL() << "the command never completed";
  }
};

TEST_F(CliAtomic, ImportOfKeyAndCertificateSurvivesAPowerCutAtEveryWrite) {
  init_token();
  make_key_cert("k");
  cut_everywhere({"import", "--label", "gg", "--id", "01", "--key", file("k.key.pem"), "--cert", file("k.crt.pem")},
                 kPin, [](const Labels& m) {
                   if (!m.count("gg")) return Seen::Old;
                   return whole_pair(m, "gg") ? Seen::New : Seen::Mixed;
                 });
}

TEST_F(CliAtomic, RelabelOfKeyAndCertificateSurvivesAPowerCutAtEveryWrite) {
  init_token();
  make_key_cert("k");
  const CliRun imp = se05x({"import", "--label", "a", "--id", "01", "--key", file("k.key.pem"), "--cert", file("k.crt.pem")}, kPin);
  ASSERT_EQ(imp.rc, 0) << imp.err;
  cut_everywhere({"relabel", "--label", "a", "--new-label", "b", "--new-id", "02"}, kPin, [](const Labels& m) {
    if (whole_pair(m, "a") && !m.count("b")) return Seen::Old;
    if (whole_pair(m, "b") && !m.count("a") && m.at("b").begin()->second == "02") return Seen::New;
    return Seen::Mixed;
  });
}

}  // namespace
}  // namespace sx::cli::test
