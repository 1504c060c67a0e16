#include "pkcs11/p11_fixture.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "support/test_binary.h"
#include "support/test_rsa_key.h"

namespace sx::p11test {

std::string module_path() { return sx::test::binary_path("SX_TEST_MODULE", SX_P11_MODULE); }
std::string sim_path() { return sx::testing::sim_binary(); }

CK_FUNCTION_LIST* fl() {
  static CK_FUNCTION_LIST* list = [] {
    void* h = dlopen(module_path().c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return static_cast<CK_FUNCTION_LIST*>(nullptr);
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(h, "C_GetFunctionList"));
    CK_FUNCTION_LIST* l = nullptr;
    if (get == nullptr || get(&l) != CKR_OK) return static_cast<CK_FUNCTION_LIST*>(nullptr);
    return l;
  }();
  return list;
}

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, CK_ULONG n) {
  CK_ATTRIBUTE a;
  a.type = t;
  a.pValue = const_cast<void*>(p);
  a.ulValueLen = n;
  return a;
}

void use_config(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  setenv("SE05X_PKCS11_CONF", path.c_str(), 1);
}

void P11Test::SetUp() {
  f = fl();
  ASSERT_NE(f, nullptr) << module_path() << ": " << dlerror();
  dir = std::make_unique<sx::testing::TempDir>();
  sx::testing::use_test_rsa_factory_key();  // no RSA key generation per simulator
  sim = sx::testing::start_sim_in(*dir);
  ASSERT_NE(sim, nullptr) << sim_path();
  setenv("SE05X_PORT", sim->endpoints()[0].c_str(), 1);
  use_config(dir->file("p11.conf"), test_config());
}

std::string P11Test::test_config() const {
  return "# test configuration\nlock_file = " + dir->file("p11.lock") +
         "\npin_iterations = 1000\nlog_level = warn\n"
         // generous: sanitizer builds are slow, and the warm-connect test relies on one read per connect
         "freshness_ms = 5000\n";
}

void P11Test::use_host_pins() { use_config(dir->file("p11.conf"), test_config() + "pin_storage = host\n"); }

void P11Test::TearDown() {
  if (f != nullptr) (void)f->C_Finalize(nullptr);
  broker.reset();
  sim.reset();
  dir.reset();
}

void P11Test::use_broker() {
#ifdef SX_BROKER_BINARY
  const std::string sock = dir->file("se05xd.sock");
  std::ofstream(dir->file("se05xd.conf")) << "{ \"connection\": \"" << sim->endpoints()[0] << "\", \"socket\": \""
                                          << sock << "\" }\n";
  broker = std::make_unique<sx::testing::SimProcess>(
      sx::test::binary_path("SX_TEST_BROKER", SX_BROKER_BINARY),
      std::vector<std::string>{"--foreground", "--config", dir->file("se05xd.conf"), "--log-level", "warning"});
  ASSERT_TRUE(broker->start()) << "se05xd did not start";
  setenv("SE05X_PORT", ("unix:" + sock).c_str(), 1);
#else
  GTEST_SKIP() << "built without se05xd";
#endif
}

void P11Test::init() { ASSERT_EQ(f->C_Initialize(nullptr), CKR_OK); }

CK_SESSION_HANDLE P11Test::open(bool rw) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
  EXPECT_EQ(f->C_OpenSession(0, flags, nullptr, nullptr, &h), CKR_OK);
  return h;
}

void P11Test::provision(const std::string& token_label) {
  CK_UTF8CHAR label[32];
  std::memset(label, ' ', sizeof label);
  std::memcpy(label, token_label.data(), std::min(token_label.size(), sizeof label));
  ASSERT_EQ(f->C_InitToken(0, (CK_UTF8CHAR_PTR)kSoPin, 8, label), CKR_OK);
  CK_SESSION_HANDLE s = open();
  ASSERT_EQ(f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8), CKR_OK);
  ASSERT_EQ(f->C_InitPIN(s, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_OK);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
}

void P11Test::login(CK_SESSION_HANDLE s, const char* pin) {
  ASSERT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, static_cast<CK_ULONG>(std::strlen(pin))), CKR_OK);
}

std::pair<CK_OBJECT_HANDLE, CK_OBJECT_HANDLE> P11Test::generate_ec(CK_SESSION_HANDLE s, const std::string& label,
                                                                   const Bytes& id, int) {
  static const Bytes p256 = hex("06082A8648CE3D030107");
  CK_BBOOL yes = CK_TRUE;
  std::vector<CK_ATTRIBUTE> pub = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes),
                                   attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id), attr_of(CKA_VERIFY, yes)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_of(CKA_SENSITIVE, yes),
                                    attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id), attr_of(CKA_SIGN, yes)};
  CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  EXPECT_EQ(f->C_GenerateKeyPair(s, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);
  return {hpub, hpriv};
}

Bytes P11Test::get(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
  CK_ATTRIBUTE a = attr(t, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return {};
  Bytes v(a.ulValueLen);
  a.pValue = v.data();
  EXPECT_EQ(f->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
  v.resize(a.ulValueLen);
  return v;
}

CK_ULONG P11Test::get_ulong(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
  CK_ULONG v = 0;
  CK_ATTRIBUTE a = attr_of(t, v);
  a.pValue = &v;
  EXPECT_EQ(f->C_GetAttributeValue(s, o, &a, 1), CKR_OK);
  EXPECT_EQ(a.ulValueLen, sizeof(CK_ULONG));
  return v;
}

std::vector<CK_OBJECT_HANDLE> P11Test::find(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> tmpl) {
  std::vector<CK_OBJECT_HANDLE> out;
  EXPECT_EQ(f->C_FindObjectsInit(s, tmpl.empty() ? nullptr : tmpl.data(), static_cast<CK_ULONG>(tmpl.size())),
            CKR_OK);
  for (;;) {
    CK_OBJECT_HANDLE buf[3];
    CK_ULONG n = 0;
    EXPECT_EQ(f->C_FindObjects(s, buf, 3, &n), CKR_OK);
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  EXPECT_EQ(f->C_FindObjectsFinal(s), CKR_OK);
  return out;
}

std::vector<CK_OBJECT_HANDLE> P11Test::find_label(CK_SESSION_HANDLE s, const std::string& label,
                                                  CK_OBJECT_CLASS cls) {
  return find(s, {attr_of(CKA_CLASS, cls), attr_str(CKA_LABEL, label)});
}

Bytes P11Test::sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE mech, const Bytes& data) {
  CK_MECHANISM m{mech, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &m, key), CKR_OK);
  Bytes sig(1024);
  CK_ULONG n = static_cast<CK_ULONG>(sig.size());
  EXPECT_EQ(f->C_Sign(s, const_cast<uint8_t*>(data.data()), static_cast<CK_ULONG>(data.size()), sig.data(), &n),
            CKR_OK);
  sig.resize(n);
  return sig;
}

CK_TOKEN_INFO P11Test::token_info() {
  CK_TOKEN_INFO ti{};
  EXPECT_EQ(f->C_GetTokenInfo(0, &ti), CKR_OK);
  return ti;
}

double P11Test::sim_apdus() { return sim_stats().count; }

SimStats P11Test::sim_stats() {
  SimStats t;
  link::JrcpClient c(*link::parse_endpoint(sim->endpoints()[0]));
  if (!c.open().ok()) return t;
  const uint8_t req[] = {0xFF, 0x53, 0x00, 0x00};
  auto r = c.transceive(req);
  if (!r.ok() || r->size() < 2 || (*r)[r->size() - 2] != 0x90) return t;
  auto j = nlohmann::json::parse(r->begin(), r->end() - 2, nullptr, false);
  if (j.is_discarded() || !j.contains("total") || !j["total"].is_object()) return t;
  t.count = j["total"].value("count", -1.0);
  t.to_chip = j["total"].value("capdu_bytes", 0.0);
  t.from_chip = j["total"].value("rapdu_bytes", 0.0);
  t.modelled_us = j["total"].value("modelled_us", 0.0);
  if (j.contains("commands") && j["commands"].is_object())
    for (const auto& [name, cmd] : j["commands"].items())
      if (cmd.is_object()) t.commands[name] = cmd.value("count", 0.0);
  return t;
}

}  // namespace sx::p11test
