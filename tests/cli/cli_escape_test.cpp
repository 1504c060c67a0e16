// Chip-supplied strings in text output: a label set through PKCS#11 may hold
// any bytes (ESC, newline, invalid UTF-8); `se05x list`/`info` must not pass
// them raw to a terminal, while --json keeps them exact.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>

#include <algorithm>
#include <iterator>

#include "cli_harness.h"
#include "support/test_binary.h"

namespace sx::cli::test {
namespace {

// The built PKCS#11 module loaded into this process and initialised, reaching
// the simulator at `port`; finalised and unloaded at the end of the scope.
struct LoadedModule {
  void* h = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;  // set once C_Initialize succeeded
  std::string error;
  LoadedModule(const std::string& port, const std::string& lock) {
    setenv("SE05X_PORT", port.c_str(), 1);
    setenv("SE05X_LOCK_FILE", lock.c_str(), 1);
    setenv("SE05X_T1_TIMING", "immediate", 1);
    unsetenv("SE05X_PKCS11_CONF");
    const std::string path = sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE);
    // RTLD_NODELETE: its deliberately immortal locks stay reachable (LeakSanitizer).
    h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
      error = std::string("dlopen: ") + ::dlerror();
      return;
    }
    auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR list = nullptr;
    if (!get || get(&list) != CKR_OK || !list) error = "C_GetFunctionList";
    else if (list->C_Initialize(nullptr) != CKR_OK) error = "C_Initialize";
    else f = list;
  }
  ~LoadedModule() {
    if (f) f->C_Finalize(nullptr);
    if (h) ::dlclose(h);
  }
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;
};

// Relabels, through the built PKCS#11 module loaded into this process, every
// object labelled `from` (the user logged in with PIN 1234). Empty on success,
// else what failed.
std::string relabel_via_module(const std::string& port, const std::string& lock, const std::string& from,
                               const std::string& to) {
  LoadedModule m(port, lock);
  if (!m.f) return m.error;
  CK_FUNCTION_LIST_PTR f = m.f;
  std::string err;
  CK_SLOT_ID slot = 0;
  CK_ULONG n = 1;
  CK_SESSION_HANDLE s = 0;
  CK_UTF8CHAR pin[] = {'1', '2', '3', '4'};
  if (f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1) err = "C_GetSlotList";
  else if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK)
    err = "C_OpenSession";
  else if (f->C_Login(s, CKU_USER, pin, sizeof pin) != CKR_OK) err = "C_Login";
  if (err.empty()) {
    std::string label = from;
    CK_ATTRIBUTE tmpl{CKA_LABEL, label.data(), static_cast<CK_ULONG>(label.size())};
    CK_OBJECT_HANDLE objs[8];
    CK_ULONG found = 0;
    if (f->C_FindObjectsInit(s, &tmpl, 1) != CKR_OK || f->C_FindObjects(s, objs, 8, &found) != CKR_OK)
      err = "C_FindObjects";
    f->C_FindObjectsFinal(s);
    if (err.empty() && found == 0) err = "no object labelled " + from;
    std::string nl = to;
    CK_ATTRIBUTE set{CKA_LABEL, nl.data(), static_cast<CK_ULONG>(nl.size())};
    for (CK_ULONG i = 0; err.empty() && i < found; ++i)
      if (CK_RV rv = f->C_SetAttributeValue(s, objs[i], &set, 1); rv != CKR_OK)
        err = "C_SetAttributeValue: rv " + std::to_string(rv);
  }
  return err;
}

// C_InitToken through the built module (SO PIN 87654321), token label `label`.
std::string init_token_via_module(const std::string& port, const std::string& lock, const std::string& label) {
  LoadedModule m(port, lock);
  if (!m.f) return m.error;
  CK_FUNCTION_LIST_PTR f = m.f;
  std::string err;
  CK_SLOT_ID slot = 0;
  CK_ULONG n = 1;
  CK_UTF8CHAR so[] = {'8', '7', '6', '5', '4', '3', '2', '1'};
  CK_UTF8CHAR padded[32];
  std::fill(std::begin(padded), std::end(padded), static_cast<CK_UTF8CHAR>(' '));
  std::copy(label.begin(), label.end(), padded);
  if (f->C_GetSlotList(CK_TRUE, &slot, &n) != CKR_OK || n != 1) err = "C_GetSlotList";
  else if (CK_RV rv = f->C_InitToken(slot, so, sizeof so, padded); rv != CKR_OK)
    err = "C_InitToken: rv " + std::to_string(rv);
  return err;
}

// Bytes a terminal interprets: C0 controls other than the line ends of the
// output itself, DEL, and the UTF-8 encodings of C1 controls (U+0080..U+009F).
std::string raw_controls(const std::string& text) {
  std::string bad;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;
    if ((c < 0x20 && c != '\n') || c == 0x7F || c1) {
      char b[32];
      std::snprintf(b, sizeof b, "@%zu:%02X ", i, static_cast<unsigned>(c));
      bad += b;
    }
  }
  return bad;
}

TEST_F(CliTest, ListEscapesControlCharactersInLabels) {
  init_token();
  ASSERT_EQ(se05x({"keygen", "--label", "plain", "--type", "ec:p256"}, kPin).rc, 0);
  // ESC [ 2 J (clear screen), a newline that fakes a row, DEL, a C1 CSI (U+009B),
  // a backslash, and a non-ASCII letter that must stay as it is.
  const std::string evil = std::string("k\x1b[2J\nFAKE\x7f\xc2\x9b") + "\\ \xe9\x8d\xb5";
  ASSERT_EQ(relabel_via_module(port(), file("lock"), "plain", evil), "");

  const CliRun j = se05x({"--json", "list"});
  ASSERT_EQ(j.rc, 0) << j.err;
  bool exact = false;
  const nlohmann::json doc = j.json();
  for (const auto& o : doc["objects"])
    if (o["label"] == evil) exact = true;
  EXPECT_TRUE(exact) << "--json must keep the label's bytes: " << j.out;

  const CliRun t = se05x({"list"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(raw_controls(t.out), "") << t.out;
  EXPECT_NE(t.out.find("k\\x1B[2J\\x0AFAKE\\x7F\\u009B\\\\ \xe9\x8d\xb5"), std::string::npos) << t.out;
  // The label's newline cannot start a row of its own.
  EXPECT_EQ(t.out.find("\nFAKE"), std::string::npos) << t.out;
}

// The token label (C_InitToken: 32 bytes, blank-padded) in `se05x info`: an
// OSC sequence that would set the terminal's window title.
TEST_F(CliTest, InfoEscapesControlCharactersInTokenLabel) {
  init_token();
  const std::string evil = "tok\x1b]0;pwned\x07";
  ASSERT_EQ(init_token_via_module(port(), file("lock"), evil), "");
  const CliRun j = se05x({"--json", "info"});
  ASSERT_EQ(j.rc, 0) << j.err;
  EXPECT_EQ(j.json()["token"]["label"], evil) << j.out;
  const CliRun t = se05x({"info"});
  ASSERT_EQ(t.rc, 0) << t.err;
  EXPECT_EQ(raw_controls(t.out), "") << t.out;
  EXPECT_NE(t.out.find("Token label:   tok\\x1B]0;pwned\\x07\n"), std::string::npos) << t.out;
}

}  // namespace
}  // namespace sx::cli::test
