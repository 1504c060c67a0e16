// Bad input: a clear one-line error, the documented non-zero exit code, and
// the chip unchanged (`list --json` before == after).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli_harness.h"
#include "support/test_binary.h"
#include "se05x/client.h"
#include "se05x/connect.h"

namespace sx::cli::test {
namespace {


class CliErrors : public CliTest {
 protected:
  // Runs the command and checks code, one-line error and an unchanged chip.
  void expect_refused(const std::vector<std::string>& args, int code,
                      const std::map<std::string, std::string>& env = kPin, const std::string& needle = "") {
    const auto before = snapshot();
    const CliRun r = se05x(args, env);
    EXPECT_CLI_ERROR(r, code);
    if (!needle.empty()) {
      EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    }
    EXPECT_EQ(snapshot(), before) << "chip changed by: " << r.err;
  }
};

TEST_F(CliErrors, WrongOrCorruptFiles) {
  write("garbage", "this is not a key\n");
  write("trunc.der", std::string("\x30\x82\x01\x00\x02\x01", 6));
  make_key_cert("a");
  expect_refused({"import", "--label", "x", "--key", file("garbage")}, 3, kPin, "garbage");
  expect_refused({"import", "--label", "x", "--key", file("trunc.der")}, 3);
  expect_refused({"import", "--label", "x", "--key", file("nope.pem")}, 3, kPin, "cannot open");
  expect_refused({"import", "--label", "x", "--key", file("a.key.pem"), "--cert", file("garbage")}, 3);
  expect_refused({"import-cert", "--label", "sss:F0000100", file("a.key.pem")}, 3, kPin, "CERTIFICATE");
  // An RSA-1536 key is a readable file the chip cannot hold (its sizes: docs/mechanisms.md).
  ASSERT_TRUE(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1536 -out small.pem"));
  expect_refused({"import", "--label", "x", "--key", file("small.pem")}, 3, kPin, "not supported");
  // Bad values on the command line.
  expect_refused({"keygen", "--label", "x", "--type", "ec:p999"}, 2, kPin, "unknown key type");
  expect_refused({"keygen", "--label", "x", "--id", "XYZ"}, 2);
  expect_refused({"keygen", "--label", "x", "--csr", file("x.csr"), "--subject", "CN"}, 2, kPin, "no '='");
}

TEST_F(CliErrors, WrongPasswords) {
  make_key_cert("a");
  ASSERT_TRUE(sh("openssl pkcs12 -export -inkey a.key.pem -in a.crt.pem -out a.p12 -passout pass:right && "
                 "openssl pkcs8 -topk8 -in a.key.pem -out a.enc.pem -passout pass:right"));
  expect_refused({"import", "--label", "x", "--key", file("a.p12")}, 3, {{"SE05X_KEY_PASSWORD", "wrong"}}, "wrong password");
  expect_refused({"import", "--label", "x", "--key", file("a.enc.pem")}, 3, {{"SE05X_KEY_PASSWORD", "wrong"}},
                 "wrong password");
  // No password and no terminal: said so, nothing written.
  expect_refused({"import", "--label", "x", "--key", file("a.p12")}, 3, {});
}

TEST_F(CliErrors, CertificateNotMatchingKey) {
  make_key_cert("a");
  make_key_cert("b");
  ASSERT_EQ(se05x({"keygen", "--label", "k"}).rc, 0);
  expect_refused({"import-cert", "--label", "k", file("b.crt.pem")}, 8, kPin, "does not match");
  expect_refused({"import", "--label", "x", "--key", file("a.key.pem"), "--cert", file("b.crt.pem")}, 8);
  expect_refused({"adopt", "--key", "0xF0000100", "--cert", "0xF0000111", "--label", "x"}, 8);
}

TEST_F(CliErrors, LabelUsedAndIdCollision) {
  ASSERT_EQ(se05x({"keygen", "--label", "used", "--id", "01"}).rc, 0);
  make_key_cert("a");
  expect_refused({"keygen", "--label", "used"}, 7, kPin, "already used");
  expect_refused({"import", "--label", "used", "--key", file("a.key.pem")}, 7, kPin, "already used");
  expect_refused({"keygen", "--label", "other", "--id", "01"}, 7, kPin, "ID 01");
  expect_refused({"relabel", "--label", "sss:F0000100", "--new-label", "used"}, 7);
  expect_refused({"adopt", "--key", "0xF0000100", "--cert", "0xF0000101", "--label", "used"}, 7);
  // A key with a certificate refuses a second one.
  ASSERT_EQ(se05x({"import", "--label", "withcert", "--key", file("a.key.pem"), "--cert", file("a.crt.pem")}).rc, 0);
  expect_refused({"import-cert", "--label", "withcert", file("a.crt.pem")}, 7);
}

TEST_F(CliErrors, UnknownObjects) {
  expect_refused({"delete", "--label", "nope", "--yes"}, 6, kPin, "nope");
  expect_refused({"delete", "--object", "0x12345678", "--yes"}, 6);
  expect_refused({"adopt", "--key", "0x12345678", "--cert", "0xF0000101", "--label", "x"}, 6);
  expect_refused({"export-cert", "--label", "nope"}, 6);
  expect_refused({"export-pubkey", "--label", "nope"}, 6);
  expect_refused({"csr", "--label", "nope", "--subject", "CN=x"}, 6);
  expect_refused({"import-cert", "--label", "nope", file("x")}, 3);
  expect_refused({"greengrass-config", "--label", "sss:F0000100", "--module",
                  sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE)}, 6, kPin, "no certificate");
  expect_refused({"relabel", "--label", "nope", "--new-label", "x"}, 6);
}

TEST_F(CliErrors, WrongAndLockedPin) {
  init_token();
  const std::map<std::string, std::string> bad{{"SE05X_PIN", "0000"}};
  expect_refused({"keygen", "--label", "x"}, 5, bad, "wrong user PIN");
  expect_refused({"keygen", "--label", "x"}, 5, {}, "PIN");  // none given, no terminal
  for (int i = 0; i < 9; ++i) (void)se05x({"keygen", "--label", "x"}, bad);
  auto info = se05x({"--json", "info"}).json();
  EXPECT_TRUE(info["token"]["user_pin_locked"].get<bool>());
  // Locked: even the right PIN is refused, until the SO resets it.
  expect_refused({"keygen", "--label", "x"}, 5, kPin, "locked");
  expect_refused({"relabel", "--label", "sss:F0000100", "--new-label", "x"}, 5, kPin, "locked");
  write("module.so", "x");
  CliRun r = se05x({"--json", "doctor", "--module", file("module.so")});
  EXPECT_EQ(r.rc, 10);
  ASSERT_EQ(se05x({"token", "init-pin"}, {{"SE05X_SO_PIN", "87654321"}, {"SE05X_NEW_PIN", "1234"}}).rc, 0);
  EXPECT_EQ(se05x({"keygen", "--label", "x"}, kPin).rc, 0);
  expect_refused({"token", "init-pin"}, 5, {{"SE05X_SO_PIN", "wrong"}, {"SE05X_NEW_PIN", "1234"}}, "wrong SO PIN");
}

TEST_F(CliErrors, NoChipReachable) {
  const CliRun r = se05x({"--port", "unix:" + file("no-such.sock"), "--json", "list"});
  EXPECT_CLI_ERROR(r, 4);
  EXPECT_EQ(r.json()["exit_code"], 4);
  EXPECT_CLI_ERROR(se05x({"--port", "unix:" + file("no-such.sock"), "keygen", "--label", "x"}), 4);
  const CliRun d = se05x({"--port", "unix:" + file("no-such.sock"), "--json", "doctor"});
  EXPECT_EQ(d.rc, 10);
  EXPECT_FALSE(d.json()["ok"].get<bool>());
}

TEST_F(CliErrors, DoctorNamesAProcessHoldingTheChip) {
  // The lock file matters on a direct I2C link (here the simulator's virtual bus).
  sx::testing::SimProcess bus(sx::testing::sim_binary(),
                              {"--nvm", file("bus.nvm"), "--listen", "vi2c:" + file("i2c.sock")});
  ASSERT_TRUE(bus.start());
  const int fd = ::open(file("lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  const CliRun r = se05x({"--port", bus.endpoints()[0], "--lock-wait", "1", "doctor", "--json"});
  // Behind a JRCP server the file is not consulted: no such check.
  const CliRun broker = se05x({"doctor", "--json"});
  ::close(fd);
  EXPECT_EQ(r.rc, 10);
  bool named = false;
  const auto j = r.json();  // kept: a loop over a temporary's member would dangle
  for (const auto& c : j["checks"])
    named |= c["check"] == "chip lock" && c["status"] == "fail" && c.contains("fix");
  EXPECT_TRUE(named) << r.out;
  const auto jb = broker.json();
  for (const auto& c : jb["checks"]) EXPECT_NE(c["check"], "chip lock") << broker.out;
}

TEST_F(CliErrors, ChipFull) {
  // Metadata slots exist before the chip fills up (as on any used chip); a
  // user PIN too, which a chip-PIN token needs before any key is made.
  init_token();
  {
    auto ch = se05x::open_channel(port());
    ASSERT_TRUE(ch.ok()) << ch.error().to_string();
    se05x::Client c(**ch);
    ASSERT_TRUE(c.select().ok());
    // Filler files in a foreign range, halving the size until nothing fits.
    uint32_t id = 0x10000001;
    for (size_t size = 16384; size >= 16;) {
      if (c.create_binary(id, Bytes(size, 0xA5)).ok()) ++id;
      else size /= 2;
    }
  }
  expect_refused({"keygen", "--label", "big", "--type", "ec:p256", "--csr", file("big.csr"), "--subject", "CN=big"}, 9,
                 kPin, "full");
  EXPECT_FALSE(sh("test -e big.csr"));  // no empty CSR left behind
  make_key_cert("a");
  expect_refused({"import", "--label", "imp", "--key", file("a.key.pem"), "--cert", file("a.crt.pem")}, 9, kPin, "full");
}

// A PIN with a NUL byte would equal its prefix in the verifier: refused
// (exit 5) before any check, so nothing is counted; a new PIN likewise.
TEST_F(CliErrors, PinsWithANulByteAreRefused) {
  init_token();
  write("nul.pin", std::string("1234\0\n", 6));
  expect_refused({"--pin-file", file("nul.pin"), "keygen", "--label", "k"}, 5, {}, "NUL");
  const CliRun info = se05x({"--json", "info"});
  ASSERT_EQ(info.rc, 0) << info.err;
  EXPECT_EQ(info.json()["token"]["user_pin_failures"], 0);
  write("new.pin", std::string("7\0\0\0\n", 5));
  // A bad new PIN is bad input (exit 2, docs/cli.md); a PIN to log in with stays exit 5.
  expect_refused({"token", "set-pin", "--new-pin-file", file("new.pin")}, 2, kPin, "NUL");
  // The PIN is unchanged: "7" does not log in, "1234" does.
  expect_refused({"keygen", "--label", "k"}, 5, {{"SE05X_PIN", "7"}});
  EXPECT_EQ(se05x({"keygen", "--label", "k"}, kPin).rc, 0);
}

}  // namespace
}  // namespace sx::cli::test
