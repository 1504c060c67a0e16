// 8 threads x 200 signatures through one module instance, each thread with its
// own session (as SunPKCS11's pool and the CRT's TLS contexts do): every
// signature verifies.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::verify_p256;
using sx::testing::sha256;

namespace {

using Threads = P11Test;

TEST_F(Threads, ConcurrentSigning) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "mt", {5});
  const Bytes point = get(s, pub, CKA_EC_POINT);
  constexpr int kThreads = 8, kEach = 200;
  std::atomic<int> good{0}, bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      CK_SESSION_HANDLE h = 0;
      if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) {
        bad += kEach;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        const Bytes digest = sha256(Bytes{static_cast<uint8_t>(t), static_cast<uint8_t>(i)});
        CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
        Bytes sig(64);
        CK_ULONG len = 0;
        // Alternate the two length conventions.
        bool ok = f->C_SignInit(h, &m, priv) == CKR_OK;
        if (ok && i % 2 == 0) ok = f->C_Sign(h, const_cast<uint8_t*>(digest.data()), 32, nullptr, &len) == CKR_OK;
        len = 64;
        ok = ok && f->C_Sign(h, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len) == CKR_OK &&
             len == 64 && verify_p256(point, digest, sig);
        (ok ? good : bad)++;
      }
      (void)f->C_CloseSession(h);
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(good.load(), kThreads * kEach);
  CK_SESSION_INFO si;
  ASSERT_EQ(f->C_GetSessionInfo(s, &si), CKR_OK);
  EXPECT_EQ(si.state, CKS_RW_USER_FUNCTIONS);
}

// Signing, finding/reading attributes and session churn at the same time (the
// SunPKCS11 KeyStore reload on one thread while handshakes sign on others).
TEST_F(Threads, MixedCallsWhileSigning) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "mixed", {8});
  const Bytes point = get(s, pub, CKA_EC_POINT);
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      CK_SESSION_HANDLE h = 0;
      if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) return void(++bad);
      for (int i = 0; i < 20; ++i) {
        const Bytes digest = sha256(Bytes{static_cast<uint8_t>(t), static_cast<uint8_t>(i), 0xAA});
        CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
        Bytes sig(64);
        CK_ULONG len = 64;
        if (f->C_SignInit(h, &m, priv) != CKR_OK ||
            f->C_Sign(h, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len) != CKR_OK ||
            !verify_p256(point, digest, sig))
          ++bad;
      }
      (void)f->C_CloseSession(h);
    });
  }
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&] {
      CK_SESSION_HANDLE h = 0;
      if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK) return void(++bad);
      CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
      std::string label = "mixed";
      CK_ATTRIBUTE t2[] = {attr_of(CKA_CLASS, pk), attr_str(CKA_LABEL, label)};
      for (int i = 0; i < 20; ++i) {
        CK_OBJECT_HANDLE o = 0;
        CK_ULONG n = 0;
        if (f->C_FindObjectsInit(h, t2, 2) != CKR_OK || f->C_FindObjects(h, &o, 1, &n) != CKR_OK || n != 1 ||
            f->C_FindObjectsFinal(h) != CKR_OK || o != priv)
          ++bad;
        Bytes buf(128);
        CK_ATTRIBUTE a = attr(CKA_EC_POINT, buf.data(), 128);
        if (f->C_GetAttributeValue(h, pub, &a, 1) != CKR_OK || Bytes(buf.begin(), buf.begin() + a.ulValueLen) != point)
          ++bad;
        CK_TOKEN_INFO ti;
        if (f->C_GetTokenInfo(0, &ti) != CKR_OK) ++bad;
      }
      (void)f->C_CloseSession(h);
    });
  }
  ts.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      CK_SESSION_HANDLE h = 0;
      CK_SESSION_INFO si;
      if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK ||
          f->C_GetSessionInfo(h, &si) != CKR_OK || si.state != CKS_RO_USER_FUNCTIONS ||
          f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4) != CKR_USER_ALREADY_LOGGED_IN ||
          f->C_CloseSession(h) != CKR_OK)
        ++bad;
    }
  });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

// Several processes (Greengrass's JVM, the CLI, other components) on one
// chip at once, each with its own module instance and link, all logged in with
// the same PIN: through se05xd, which shares the chip's one session per PIN
// (docs/chip-pin.md §4; a direct link holds one logged-in process,
// ChipDefaultTest.SecondProcessOnADirectLinkIsRefusedNamingTheBroker).
TEST_F(Threads, ConcurrentProcesses) {
  use_broker();
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "mp", {6});
  const Bytes point = get(s, pub, CKA_EC_POINT);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  constexpr int kProcs = 4, kEach = 200;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t k = fork();
    ASSERT_GE(k, 0);
    if (k == 0) {
      int failures = 0;
      CK_SESSION_HANDLE h = 0;
      if (f->C_Initialize(nullptr) != CKR_OK ||
          f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &h) != CKR_OK ||
          f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4) != CKR_OK)
        _exit(100);
      CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
      std::string label = "mp";
      CK_ATTRIBUTE t[] = {attr_of(CKA_CLASS, pk), attr_str(CKA_LABEL, label)};
      CK_OBJECT_HANDLE key = 0;
      CK_ULONG n = 0;
      if (f->C_FindObjectsInit(h, t, 2) != CKR_OK || f->C_FindObjects(h, &key, 1, &n) != CKR_OK || n != 1)
        _exit(101);
      (void)f->C_FindObjectsFinal(h);
      for (int i = 0; i < kEach; ++i) {
        const Bytes digest = sha256(Bytes{static_cast<uint8_t>(p), static_cast<uint8_t>(i), 0x55});
        CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
        Bytes sig(64);
        CK_ULONG len = 64;
        if (f->C_SignInit(h, &m, key) != CKR_OK ||
            f->C_Sign(h, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len) != CKR_OK ||
            !verify_p256(point, digest, sig))
          ++failures;
      }
      (void)f->C_Finalize(nullptr);
      _exit(failures);
    }
    kids.push_back(k);
  }
  for (pid_t k : kids) {
    int st = 0;
    ASSERT_EQ(waitpid(k, &st, 0), k);
    ASSERT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 0);
  }
}

}  // namespace
}  // namespace sx::p11test
