// What a Greengrass MQTT connection costs through the PKCS#11 module
// (docs/greengrass.md §1.9, §3 and §4): libse05x-pkcs11.so is dlopen()ed and driven only
// through C_GetFunctionList, against a se05x-sim child process over JRCP on a Unix socket.
// The simulator runs in its own process, so the CPU time measured is the host's alone
// (module + token layer + host stack + socket syscalls).
//
//   BM_ColdConnect    a fresh process: C_Initialize … C_Finalize around one aws-c-io style key
//                     lookup, one SunPKCS11 KeyStore.load style certificate scan and one signature
//   BM_WarmConnect    the same inside a running JVM (module initialised, user logged in through a
//                     pooled session): open, login (already logged in), find key, scan certificates,
//                     sign, close. Goal: the signature plus at most one small version read.
//   BM_Sign           C_SignInit + C_Sign, CKM_ECDSA P-256, 32-byte digest. Goal: host CPU ≤ 50 µs.
//   BM_JrcpRoundTrip  one GetVersion on a JrcpClient: the link's own floor; BM_Sign minus this is
//                     roughly the module's overhead per signature.
//
// Per iteration: apdus, to_chip / from_chip (APDU bytes, simulator counters read with the
// proprietary C-APDU FF 53 00 00 on a separate JRCP connection; not counted themselves) and
// model_ms (chip time + I2C wire time of a real SE050 at 400 kHz). The label lists the chip
// commands of one iteration (name×count).
// Run: build/native/bench/pkcs11_bench
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "support/ossl_check.h"
#include "support/test_rsa_key.h"
#include "se05x/client.h"
#include "support/sim_process.h"

namespace {

using namespace sx;

constexpr const char* kSoPin = "87654321";
constexpr const char* kUserPin = "1234";
const std::string kLabel = "greengrass";
const Bytes kId = {0x01};

std::string rv_text(const char* fn, CK_RV rv) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s: CK_RV 0x%08lX", fn, static_cast<unsigned long>(rv));
  return buf;
}

// Evaluates a PKCS#11 call; on anything but CKR_OK returns "<call>: CK_RV 0x…" from the caller.
#define P11(call)                                             \
  do {                                                        \
    const CK_RV rv_ = (call);                                 \
    if (rv_ != CKR_OK) return rv_text(#call, rv_);            \
  } while (0)

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, size_t n) {
  CK_ATTRIBUTE a;
  a.type = t;
  a.pValue = const_cast<void*>(p);
  a.ulValueLen = static_cast<CK_ULONG>(n);
  return a;
}

struct Snapshot {
  double count = 0, to_chip = 0, from_chip = 0, modelled_us = 0;
  std::map<std::string, double> commands;  // name -> count
  bool ok = false;
};

struct Rig {
  testing::TempDir dir;
  std::unique_ptr<testing::SimProcess> proc;
  std::unique_ptr<link::JrcpClient> jrcp;  // our own connection: statistics and the round-trip floor
  std::unique_ptr<se05x::Client> client;
  CK_FUNCTION_LIST* f = nullptr;
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;  // private key (handles are stable per process)
  Bytes point;                               // CKA_EC_POINT of the key
  CK_SESSION_HANDLE pooled = CK_INVALID_HANDLE;  // SunPKCS11's pooled session while warm
  bool warm = false;
  std::string error;

  Rig() {
    testing::use_test_rsa_factory_key(true);  // the child inherits it: no RSA keygen at start
    proc = testing::start_sim_in(dir);
    if (!proc) {
      error = "se05x-sim did not start";
      return;
    }
    const std::string port = proc->endpoints()[0];
    setenv("SE05X_PORT", port.c_str(), 1);
    // Default PIN iterations (20000): the cold connect pays the PBKDF2 a real device pays.
    const std::string conf = dir.file("p11.conf");
    std::ofstream(conf) << "lock_file = " << dir.file("p11.lock") << "\nlog_level = warn\n";
    setenv("SE05X_PKCS11_CONF", conf.c_str(), 1);

    auto ep = link::parse_endpoint(port);
    if (!ep.ok()) {
      error = ep.error().to_string();
      return;
    }
    jrcp = std::make_unique<link::JrcpClient>(*ep);
    client = std::make_unique<se05x::Client>(*jrcp);
    if (auto o = jrcp->open(); !o.ok()) {
      error = o.error().to_string();
      return;
    }
    void* h = dlopen(SX_P11_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      error = std::string("dlopen: ") + dlerror();
      return;
    }
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(h, "C_GetFunctionList"));
    if (get == nullptr || get(&f) != CKR_OK || f == nullptr) {
      error = "C_GetFunctionList failed";
      return;
    }
    error = provision();
  }

  ~Rig() {
    if (f != nullptr) (void)f->C_Finalize(nullptr);
  }

  // Token + PINs, EC P-256 key pair and its certificate (label "greengrass", CKA_ID 01), all closed again.
  std::string provision() {
    P11(f->C_Initialize(nullptr));
    CK_UTF8CHAR tlabel[32];
    std::memset(tlabel, ' ', sizeof tlabel);
    std::memcpy(tlabel, kLabel.data(), kLabel.size());
    P11(f->C_InitToken(0, (CK_UTF8CHAR_PTR)kSoPin, 8, tlabel));
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    P11(f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s));
    P11(f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8));
    P11(f->C_InitPIN(s, (CK_UTF8CHAR_PTR)kUserPin, 4));
    P11(f->C_Logout(s));
    P11(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4));

    static const uint8_t p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE pub[] = {attr(CKA_EC_PARAMS, p256, sizeof p256), attr(CKA_TOKEN, &yes, sizeof yes),
                          attr(CKA_LABEL, kLabel.data(), kLabel.size()), attr(CKA_ID, kId.data(), kId.size()),
                          attr(CKA_VERIFY, &yes, sizeof yes)};
    CK_ATTRIBUTE priv[] = {attr(CKA_TOKEN, &yes, sizeof yes), attr(CKA_PRIVATE, &yes, sizeof yes),
                           attr(CKA_SENSITIVE, &yes, sizeof yes), attr(CKA_LABEL, kLabel.data(), kLabel.size()),
                           attr(CKA_ID, kId.data(), kId.size()), attr(CKA_SIGN, &yes, sizeof yes)};
    CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;
    P11(f->C_GenerateKeyPair(s, &gen, pub, 5, priv, 6, &hpub, &key));

    CK_ATTRIBUTE pa = attr(CKA_EC_POINT, nullptr, 0);
    P11(f->C_GetAttributeValue(s, hpub, &pa, 1));
    point.resize(pa.ulValueLen);
    pa.pValue = point.data();
    P11(f->C_GetAttributeValue(s, hpub, &pa, 1));
    point.resize(pa.ulValueLen);

    const Bytes cert = testing::cert_for_point(point, kLabel);
    if (cert.empty()) return "cannot make the certificate with OpenSSL";
    CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ATTRIBUTE t[] = {attr(CKA_CLASS, &cc, sizeof cc),       attr(CKA_CERTIFICATE_TYPE, &ct, sizeof ct),
                        attr(CKA_TOKEN, &yes, sizeof yes),     attr(CKA_LABEL, kLabel.data(), kLabel.size()),
                        attr(CKA_ID, kId.data(), kId.size()), attr(CKA_VALUE, cert.data(), cert.size())};
    CK_OBJECT_HANDLE hcert = CK_INVALID_HANDLE;
    P11(f->C_CreateObject(s, t, 6, &hcert));

    // One signature checked with OpenSSL, so the figures below are about working signatures.
    const Bytes digest(32, 0x5A);
    Bytes sig;
    if (auto e = sign(s, key, digest, sig); !e.empty()) return e;
    if (!testing::verify_p256(point, digest, sig)) return "the module's ECDSA signature does not verify";
    P11(f->C_CloseSession(s));
    P11(f->C_Finalize(nullptr));
    return {};
  }

  std::string sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const Bytes& digest, Bytes& sig) {
    CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
    P11(f->C_SignInit(s, &m, k));
    sig.resize(128);
    CK_ULONG n = static_cast<CK_ULONG>(sig.size());
    P11(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), static_cast<CK_ULONG>(digest.size()), sig.data(), &n));
    sig.resize(n);
    return sig.size() == 64 ? std::string() : "C_Sign: signature of " + std::to_string(n) + " bytes";
  }

  std::string find(CK_SESSION_HANDLE s, CK_ATTRIBUTE* tmpl, CK_ULONG n, CK_ULONG max,
                   std::vector<CK_OBJECT_HANDLE>& out) {
    out.clear();
    P11(f->C_FindObjectsInit(s, tmpl, n));
    std::vector<CK_OBJECT_HANDLE> buf(max);
    for (;;) {
      CK_ULONG got = 0;
      P11(f->C_FindObjects(s, buf.data(), max, &got));
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got));
      if (got < max) break;
    }
    P11(f->C_FindObjectsFinal(s));
    return {};
  }

  // One Greengrass connection on an initialised module: aws-c-io's key lookup, SunPKCS11's
  // certificate scan, one signature.
  std::string connect(CK_SESSION_HANDLE s) {
    CK_RV rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4);
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return rv_text("C_Login", rv);

    CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE ktmpl[] = {attr(CKA_CLASS, &pk, sizeof pk), attr(CKA_LABEL, kLabel.data(), kLabel.size())};
    std::vector<CK_OBJECT_HANDLE> keys;
    if (auto e = find(s, ktmpl, 2, 2, keys); !e.empty()) return e;  // aws-c-io asks for at most 2
    if (keys.size() != 1) return "key by label: " + std::to_string(keys.size()) + " hits";
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE kta = attr(CKA_KEY_TYPE, &kt, sizeof kt);
    P11(f->C_GetAttributeValue(s, keys[0], &kta, 1));
    if (kt != CKK_EC) return "key type is not CKK_EC";

    CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE ctmpl[] = {attr(CKA_TOKEN, &yes, sizeof yes), attr(CKA_CLASS, &cc, sizeof cc)};
    std::vector<CK_OBJECT_HANDLE> certs;
    if (auto e = find(s, ctmpl, 2, 100, certs); !e.empty()) return e;  // the JDK pages by 100
    if (certs.empty()) return "no certificate found";
    for (CK_OBJECT_HANDLE c : certs) {
      // The JDK's two passes: lengths, then values.
      CK_ATTRIBUTE a[] = {attr(CKA_VALUE, nullptr, 0), attr(CKA_ID, nullptr, 0), attr(CKA_LABEL, nullptr, 0)};
      P11(f->C_GetAttributeValue(s, c, a, 3));
      Bytes v(a[0].ulValueLen), id(a[1].ulValueLen), lab(a[2].ulValueLen);
      a[0].pValue = v.data();
      a[1].pValue = id.data();
      a[2].pValue = lab.data();
      P11(f->C_GetAttributeValue(s, c, a, 3));
      if (v.size() < 100) return "certificate CKA_VALUE too short";
    }

    const Bytes digest(32, 0xA5);
    Bytes sig;
    return sign(s, keys[0], digest, sig);
  }

  // Module finalised (a process that has not loaded it yet).
  std::string go_cold() {
    if (!warm) return {};
    warm = false;
    P11(f->C_CloseSession(pooled));
    P11(f->C_Finalize(nullptr));
    return {};
  }

  // Module initialised with a user login held by a pooled R/W session (SunPKCS11 inside the JVM).
  std::string go_warm() {
    if (warm) return {};
    P11(f->C_Initialize(nullptr));
    P11(f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &pooled));
    P11(f->C_Login(pooled, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4));
    warm = true;
    // The key as SunPKCS11 holds it after KeyStore.load: found once, used from any session.
    CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {attr(CKA_CLASS, &pk, sizeof pk), attr(CKA_ID, kId.data(), kId.size())};
    std::vector<CK_OBJECT_HANDLE> keys;
    if (auto e = find(pooled, t, 2, 2, keys); !e.empty()) return e;
    if (keys.size() != 1) return "key by ID: " + std::to_string(keys.size()) + " hits";
    key = keys[0];
    return {};
  }

  Snapshot snapshot() {
    Snapshot t;
    const uint8_t req[] = {0xFF, 0x53, 0x00, 0x00};
    auto r = jrcp->transceive(req);
    if (!r.ok() || r->size() < 2 || (*r)[r->size() - 2] != 0x90 || (*r)[r->size() - 1] != 0x00) return t;
    auto j = nlohmann::json::parse(r->begin(), r->end() - 2, nullptr, false);
    if (j.is_discarded() || !j.contains("total") || !j["total"].is_object()) return t;
    const auto& tot = j["total"];
    t.count = tot.value("count", 0.0);
    t.to_chip = tot.value("capdu_bytes", 0.0);
    t.from_chip = tot.value("rapdu_bytes", 0.0);
    t.modelled_us = tot.value("modelled_us", 0.0);
    if (j.contains("commands") && j["commands"].is_object())
      for (const auto& [name, c] : j["commands"].items())
        if (c.is_object()) t.commands[name] = c.value("count", 0.0);
    t.ok = true;
    return t;
  }
};

Rig& rig() {
  static Rig r;
  return r;
}

// "ECDSASign×1 GetVersion×1" from the per-command count differences.
std::string command_label(const Snapshot& a, const Snapshot& b, double iterations) {
  std::string out;
  for (const auto& [name, n] : b.commands) {
    auto it = a.commands.find(name);
    const double d = (n - (it == a.commands.end() ? 0.0 : it->second)) / iterations;
    if (d <= 0) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "×%.3g", d);
    if (!out.empty()) out += ' ';
    out += name + buf;
  }
  return out.empty() ? "no APDU" : out;
}

enum class Mode { Cold, Warm };

template <class Op>
void measure(benchmark::State& state, Mode mode, Op op) {
  Rig& r = rig();
  if (!r.error.empty()) {
    state.SkipWithError(r.error.c_str());
    return;
  }
  if (auto e = mode == Mode::Cold ? r.go_cold() : r.go_warm(); !e.empty()) {
    state.SkipWithError(e.c_str());
    return;
  }
  const Snapshot before = r.snapshot();
  for (auto _ : state) {
    if (auto e = op(r); !e.empty()) {
      state.SkipWithError(e.c_str());
      return;
    }
  }
  const Snapshot after = r.snapshot();
  if (!before.ok || !after.ok) {
    state.SkipWithError("simulator statistics (FF 53 00 00) unreadable");
    return;
  }
  using C = benchmark::Counter;
  state.counters["apdus"] = C(after.count - before.count, C::kAvgIterations);
  state.counters["to_chip"] = C(after.to_chip - before.to_chip, C::kAvgIterations);
  state.counters["from_chip"] = C(after.from_chip - before.from_chip, C::kAvgIterations);
  state.counters["model_ms"] = C((after.modelled_us - before.modelled_us) / 1000.0, C::kAvgIterations);
  state.SetLabel(command_label(before, after, static_cast<double>(state.iterations())).c_str());
}

void BM_ColdConnect(benchmark::State& state) {
  measure(state, Mode::Cold, [](Rig& r) -> std::string {
    CK_FUNCTION_LIST* f = r.f;
    P11(f->C_Initialize(nullptr));
    std::string e = [&]() -> std::string {
      CK_ULONG n = 0;
      P11(f->C_GetSlotList(CK_TRUE, nullptr, &n));
      if (n != 1) return "C_GetSlotList: " + std::to_string(n) + " slots";
      CK_SLOT_ID slot = 0;
      P11(f->C_GetSlotList(CK_TRUE, &slot, &n));
      CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
      P11(f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &s));  // R/O like aws-c-io
      std::string c = r.connect(s);
      P11(f->C_CloseSession(s));
      return c;
    }();
    P11(f->C_Finalize(nullptr));
    return e;
  });
}

void BM_WarmConnect(benchmark::State& state) {
  measure(state, Mode::Warm, [](Rig& r) -> std::string {
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    P11(r.f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s));
    std::string e = r.connect(s);
    P11(r.f->C_CloseSession(s));
    return e;
  });
}

void BM_Sign(benchmark::State& state) {
  const Bytes digest(32, 0xA5);
  Bytes sig;
  measure(state, Mode::Warm, [&](Rig& r) { return r.sign(r.pooled, r.key, digest, sig); });
}

void BM_JrcpRoundTrip(benchmark::State& state) {
  measure(state, Mode::Warm, [](Rig& r) {
    auto v = r.client->get_version();
    return v.ok() ? std::string() : "GetVersion: " + v.error().to_string();
  });
}

BENCHMARK(BM_ColdConnect)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WarmConnect)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Sign)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JrcpRoundTrip)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
