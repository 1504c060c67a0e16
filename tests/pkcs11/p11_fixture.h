// Test support for the PKCS#11 module: the built libse05x-pkcs11.so loaded
// with dlopen and driven only through C_GetFunctionList, against a se05x-sim
// child process on a Unix socket (SE05X_PORT) with a per-test config file.
#pragma once

#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "support/sim_process.h"

namespace sx::p11test {

// The module under test and its simulator: the build tree's, unless
// SX_TEST_MODULE / SX_TEST_SIM name other files (e.g. a package's).
std::string module_path();
std::string sim_path();

// The module's function list (dlopen once per process; never unloaded).
CK_FUNCTION_LIST* fl();

inline constexpr const char* kSoPin = "87654321";
inline constexpr const char* kUserPin = "1234";

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, CK_ULONG n);
template <class T>
CK_ATTRIBUTE attr_of(CK_ATTRIBUTE_TYPE t, const T& v) {
  return attr(t, &v, sizeof v);
}
inline CK_ATTRIBUTE attr_str(CK_ATTRIBUTE_TYPE t, const std::string& s) {
  return attr(t, s.data(), static_cast<CK_ULONG>(s.size()));
}
inline CK_ATTRIBUTE attr_bytes(CK_ATTRIBUTE_TYPE t, const Bytes& b) {
  return attr(t, b.data(), static_cast<CK_ULONG>(b.size()));
}

// The suite runs with PlatformSCP03 on (SE05X_SCP03, the scp03.* CTest run). The chip holds
// one channel: two processes on one direct link take it from each other, which is why they
// share a chip through se05xd (docs/scp03.md §9). Tests of that plain-only case skip.
inline bool scp03_on() {
  const char* m = std::getenv("SE05X_SCP03");
  return m != nullptr && *m != '\0' && std::string(m) != "off";
}
#define SX_SKIP_WITH_SCP03()                                                                     \
  if (::sx::p11test::scp03_on())                                                                \
  GTEST_SKIP() << "two processes on one direct link cannot share a PlatformSCP03 channel (docs/scp03.md §9)"

// The simulator's statistics at one moment (FF 53 00 00 over a JRCP connection of the
// test's own, not counted); count < 0 when unreadable.
struct SimStats {
  double count = -1, to_chip = 0, from_chip = 0, modelled_us = 0;
  std::map<std::string, double> commands;

  SimStats since(const SimStats& b) const {
    SimStats d{count - b.count, to_chip - b.to_chip, from_chip - b.from_chip, modelled_us - b.modelled_us, {}};
    for (const auto& [name, n] : commands) {
      auto it = b.commands.find(name);
      if (const double k = n - (it == b.commands.end() ? 0.0 : it->second); k > 0) d.commands[name] = k;
    }
    return d;
  }
  // "52 APDUs, 832 B to the chip, 3812 B back, 257.4 ms modelled: ReadObject×20 ..." for failure messages.
  std::string text() const {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%.0f APDUs, %.0f B to the chip, %.0f B back, %.1f ms modelled:", count, to_chip,
                  from_chip, modelled_us / 1000.0);
    std::string s = buf;
    for (const auto& [name, n] : commands) s += " " + name + "×" + std::to_string(static_cast<int>(n));
    return s;
  }
};

// Writes a config file and points SE05X_PKCS11_CONF at it.
void use_config(const std::string& path, const std::string& text);

// Fixture: a fresh simulated chip per test (its own NVM) and the module
// configured for it. The module is finalised at the end of each test.
class P11Test : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  CK_FUNCTION_LIST* f = nullptr;
  std::unique_ptr<sx::testing::TempDir> dir;
  std::unique_ptr<sx::testing::SimProcess> sim;
  std::unique_ptr<sx::testing::SimProcess> broker;

  // se05xd in front of the simulator; SE05X_PORT becomes its socket. Tests with
  // several processes logged in at once need it: the chip holds one session per
  // PIN and a SELECT ends them all, the broker shares them (docs/chip-pin.md §4,
  // docs/install.md §3.7). Before init().
  void use_broker();

  // The configuration SetUp() writes; use_host_pins() adds `pin_storage = host` (a
  // legacy host-PIN token) to it. Before init().
  std::string test_config() const;
  void use_host_pins();

  void init();  // C_Initialize(NULL) must succeed
  CK_SESSION_HANDLE open(bool rw = true);
  // InitToken (SO PIN), InitPIN (user PIN) through an SO session; leaves no session open.
  void provision(const std::string& token_label = "sx-test");
  void login(CK_SESSION_HANDLE s, const char* pin = kUserPin);
  // EC key pair on the chip with this label and ID; {public, private}.
  std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE> generate_ec(CK_SESSION_HANDLE s, const std::string& label,
                                                            const Bytes& id, int curve_nid = 0);
  Bytes get(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
  CK_ULONG get_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t);
  std::vector<CK_OBJECT_HANDLE> find(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> tmpl);
  std::vector<CK_OBJECT_HANDLE> find_label(CK_SESSION_HANDLE s, const std::string& label, CK_OBJECT_CLASS cls);
  // C_Sign with the caller-buffer convention.
  Bytes sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const Bytes& data);
  CK_TOKEN_INFO token_info();
  // The simulator's APDU count so far (its statistics, FF 53 00 00, on a connection of
  // our own; that request is not counted); -1 when unreadable.
  double sim_apdus();
  SimStats sim_stats();
};

}  // namespace sx::p11test
