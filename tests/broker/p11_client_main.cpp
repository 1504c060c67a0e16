// broker_p11_client: a PKCS#11 client process of the broker integration tests.
// Loads the built libse05x-pkcs11.so with dlopen and uses only
// C_GetFunctionList, like any PKCS#11 application. Which chip it reaches comes
// from its environment (SE05X_PKCS11_CONF, SE05X_BROKER_SOCKET), exactly as in
// a container that mounts /run/se05x.
//   broker_p11_client MODULE provision DIR         InitToken/InitPIN, EC key "shared" (DIR/p11pub.hex),
//                                                  data object "note-before"
//   broker_p11_client MODULE sign DIR COUNT ROLE   COUNT x C_Sign, each verified with OpenSSL;
//                       ROLE writer: renames "note-before" to "note-after" halfway, then DIR/changed
//                       ROLE reader: once DIR/changed exists, a new session must find "note-after"
//                                    (and no "note-before") before this process ends
//   broker_p11_client MODULE meta DIR COUNT        COUNT x (C_SetAttributeValue CKA_LABEL + C_CreateObject)
//   broker_p11_client MODULE restart DIR           sign; DIR/p11.ready; wait for DIR/broker.down; sign
//                       (must fail cleanly; rv to DIR/gap.rv); wait for DIR/broker.up; sign (must work)
// Exit status 0 = all good; errors are printed to stderr.
#include <dlfcn.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "support/ossl_check.h"

namespace {

using namespace sx;

constexpr const char* kSoPin = "87654321";
constexpr const char* kUserPin = "1234";
CK_FUNCTION_LIST* f = nullptr;

int fail(const std::string& what) {
  std::fprintf(stderr, "broker_p11_client[%d]: %s\n", static_cast<int>(::getpid()), what.c_str());
  return 1;
}
std::string rvs(CK_RV rv) {
  char b[32];
  std::snprintf(b, sizeof b, "CKR 0x%lX", static_cast<unsigned long>(rv));
  return b;
}

CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE t, const void* p, size_t n) {
  return CK_ATTRIBUTE{t, const_cast<void*>(p), static_cast<CK_ULONG>(n)};
}
CK_ATTRIBUTE attr_str(CK_ATTRIBUTE_TYPE t, const std::string& s) { return attr(t, s.data(), s.size()); }

bool wait_for_file(const std::string& path, std::chrono::seconds bound = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}
void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path + ".tmp") << text;
  std::rename((path + ".tmp").c_str(), path.c_str());
}

Bytes digest_of(int i) {
  std::string m = "broker p11 message " + std::to_string(::getpid()) + "/" + std::to_string(i);
  Bytes d(32);
  SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), d.data());
  return d;
}

CK_RV open_session(CK_SESSION_HANDLE* s, bool login) {
  CK_RV rv = f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, s);
  if (rv != CKR_OK || !login) return rv;
  rv = f->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4);
  return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

// Handles of objects of this class and label (C_FindObjects).
std::vector<CK_OBJECT_HANDLE> find(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const std::string& label, CK_RV* rv) {
  std::vector<CK_OBJECT_HANDLE> out;
  CK_ATTRIBUTE t[] = {attr(CKA_CLASS, &cls, sizeof cls), attr_str(CKA_LABEL, label)};
  *rv = f->C_FindObjectsInit(s, t, 2);
  if (*rv != CKR_OK) return out;
  for (;;) {
    CK_OBJECT_HANDLE buf[4];
    CK_ULONG n = 0;
    *rv = f->C_FindObjects(s, buf, 4, &n);
    if (*rv != CKR_OK || n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  CK_RV fin = f->C_FindObjectsFinal(s);
  if (*rv == CKR_OK) *rv = fin;
  return out;
}

CK_RV sign(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, ByteView digest, Bytes& sig) {
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  CK_RV rv = f->C_SignInit(s, &m, key);
  if (rv != CKR_OK) return rv;
  sig.assign(128, 0);
  CK_ULONG n = static_cast<CK_ULONG>(sig.size());
  rv = f->C_Sign(s, const_cast<uint8_t*>(digest.data()), static_cast<CK_ULONG>(digest.size()), sig.data(), &n);
  sig.resize(rv == CKR_OK ? n : 0);
  return rv;
}

CK_RV create_data(CK_SESSION_HANDLE s, const std::string& label, CK_OBJECT_HANDLE* h) {
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  const std::string value = "value of " + label;
  CK_ATTRIBUTE t[] = {attr(CKA_CLASS, &cls, sizeof cls), attr(CKA_TOKEN, &yes, 1), attr(CKA_PRIVATE, &no, 1),
                      attr_str(CKA_LABEL, label), attr_str(CKA_VALUE, value)};
  return f->C_CreateObject(s, t, 5, h);
}

int provision(const std::string& dir) {
  CK_UTF8CHAR label[32];
  std::memset(label, ' ', sizeof label);
  std::memcpy(label, "broker-test", 11);
  if (CK_RV rv = f->C_InitToken(0, (CK_UTF8CHAR_PTR)kSoPin, 8, label); rv != CKR_OK) return fail("InitToken " + rvs(rv));
  CK_SESSION_HANDLE s = 0;
  if (CK_RV rv = open_session(&s, false); rv != CKR_OK) return fail("OpenSession " + rvs(rv));
  if (CK_RV rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)kSoPin, 8); rv != CKR_OK) return fail("SO login " + rvs(rv));
  if (CK_RV rv = f->C_InitPIN(s, (CK_UTF8CHAR_PTR)kUserPin, 4); rv != CKR_OK) return fail("InitPIN " + rvs(rv));
  (void)f->C_Logout(s);
  if (CK_RV rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4); rv != CKR_OK) return fail("login " + rvs(rv));
  static const Bytes p256 = hex("06082A8648CE3D030107");
  CK_BBOOL yes = CK_TRUE;
  const std::string name = "shared";
  CK_ATTRIBUTE pub[] = {attr(CKA_EC_PARAMS, p256.data(), p256.size()), attr(CKA_TOKEN, &yes, 1),
                        attr_str(CKA_LABEL, name), attr(CKA_VERIFY, &yes, 1)};
  CK_ATTRIBUTE priv[] = {attr(CKA_TOKEN, &yes, 1), attr(CKA_PRIVATE, &yes, 1), attr(CKA_SENSITIVE, &yes, 1),
                         attr_str(CKA_LABEL, name), attr(CKA_SIGN, &yes, 1)};
  CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  if (CK_RV rv = f->C_GenerateKeyPair(s, &m, pub, 4, priv, 5, &hpub, &hpriv); rv != CKR_OK)
    return fail("GenerateKeyPair " + rvs(rv));
  Bytes point(128);
  CK_ATTRIBUTE a = attr(CKA_EC_POINT, point.data(), point.size());
  if (CK_RV rv = f->C_GetAttributeValue(s, hpub, &a, 1); rv != CKR_OK) return fail("EC_POINT " + rvs(rv));
  point.resize(a.ulValueLen);
  // DER OCTET STRING 04 41 || 04 X Y
  if (point.size() != 67 || point[0] != 0x04 || point[1] != 0x41) return fail("unexpected CKA_EC_POINT " + to_hex(point));
  CK_OBJECT_HANDLE note = 0;
  if (CK_RV rv = create_data(s, "note-before", &note); rv != CKR_OK) return fail("CreateObject " + rvs(rv));
  write_file(dir + "/p11pub.hex", to_hex(ByteView(point).subspan(2)));
  (void)f->C_CloseSession(s);
  return 0;
}

sx::ossl::Pkey load_pub(const std::string& dir) {
  std::ifstream in(dir + "/p11pub.hex");
  std::string h;
  std::getline(in, h);
  auto point = from_hex(h);
  if (!point) return nullptr;
  return sx::testing::p256_public_key(*point);
}

struct Signer {
  CK_SESSION_HANDLE s = 0;
  CK_OBJECT_HANDLE key = 0;
  sx::ossl::Pkey pub;
};

int prepare(const std::string& dir, Signer& sg) {
  sg.pub = load_pub(dir);
  if (!sg.pub) return fail("no public key in " + dir + "/p11pub.hex");
  if (CK_RV rv = open_session(&sg.s, true); rv != CKR_OK) return fail("open/login " + rvs(rv));
  CK_RV rv = CKR_OK;
  auto keys = find(sg.s, CKO_PRIVATE_KEY, "shared", &rv);
  if (rv != CKR_OK || keys.size() != 1) return fail("find key 'shared': " + rvs(rv) + ", " + std::to_string(keys.size()));
  sg.key = keys[0];
  return 0;
}

int sign_checked(Signer& sg, int i) {
  Bytes d = digest_of(i), sig;
  if (CK_RV rv = sign(sg.s, sg.key, d, sig); rv != CKR_OK) return fail("C_Sign " + std::to_string(i) + ": " + rvs(rv));
  if (!sx::testing::verify_p256_rs(sg.pub.get(), d, sig)) return fail("signature " + std::to_string(i) + " does not verify");
  return 0;
}

// A fresh session must see the writer's change: "note-after" once, "note-before" gone.
int check_change() {
  CK_SESSION_HANDLE s = 0;
  if (CK_RV rv = open_session(&s, false); rv != CKR_OK) return fail("OpenSession " + rvs(rv));
  CK_RV rv = CKR_OK;
  auto after = find(s, CKO_DATA, "note-after", &rv);
  if (rv != CKR_OK) return fail("find note-after " + rvs(rv));
  auto before = find(s, CKO_DATA, "note-before", &rv);
  if (rv != CKR_OK) return fail("find note-before " + rvs(rv));
  (void)f->C_CloseSession(s);
  if (after.size() != 1 || !before.empty())
    return fail("the writer's label change is not visible: note-after x" + std::to_string(after.size()) +
                ", note-before x" + std::to_string(before.size()));
  return 0;
}

int run_sign(const std::string& dir, int count, const std::string& role) {
  Signer sg;
  if (int rc = prepare(dir, sg)) return rc;
  const std::string changed = dir + "/changed";
  bool seen = false;
  for (int i = 0; i < count; ++i) {
    if (int rc = sign_checked(sg, i)) return rc;
    if (role == "writer" && i == count / 2) {
      CK_RV rv = CKR_OK;
      auto notes = find(sg.s, CKO_DATA, "note-before", &rv);
      if (rv != CKR_OK || notes.size() != 1) return fail("find note-before: " + rvs(rv));
      const std::string label = "note-after";
      CK_ATTRIBUTE a = attr_str(CKA_LABEL, label);
      if (rv = f->C_SetAttributeValue(sg.s, notes[0], &a, 1); rv != CKR_OK) return fail("SetAttributeValue " + rvs(rv));
      write_file(changed, "note-after\n");
    } else if (role == "reader" && !seen && std::filesystem::exists(changed)) {
      if (int rc = check_change()) return rc;
      seen = true;
    }
  }
  if (role == "reader" && !seen) {
    if (!wait_for_file(changed)) return fail("the writer never announced its change");
    if (int rc = check_change()) return rc;
  }
  return 0;
}

int run_meta(const std::string& dir, int count) {
  CK_SESSION_HANDLE s = 0;
  if (CK_RV rv = open_session(&s, true); rv != CKR_OK) return fail("open/login " + rvs(rv));
  CK_RV rv = CKR_OK;
  auto notes = find(s, CKO_DATA, "note-before", &rv);
  if (rv != CKR_OK || notes.size() != 1) return fail("find note-before: " + rvs(rv));
  for (int i = 0; i < count; ++i) {
    const std::string label = "note-" + std::to_string(i);
    CK_ATTRIBUTE a = attr_str(CKA_LABEL, label);
    if (rv = f->C_SetAttributeValue(s, notes[0], &a, 1); rv != CKR_OK) return fail("SetAttributeValue " + rvs(rv));
    CK_OBJECT_HANDLE h = 0;
    if (rv = create_data(s, "trace-" + std::to_string(i), &h); rv != CKR_OK) return fail("CreateObject " + rvs(rv));
  }
  write_file(dir + "/meta.done", "done\n");
  return 0;
}

int run_restart(const std::string& dir) {
  Signer sg;
  if (int rc = prepare(dir, sg)) return rc;
  if (int rc = sign_checked(sg, 0)) return rc;
  write_file(dir + "/p11.ready", "ready\n");
  if (!wait_for_file(dir + "/broker.down")) return fail("broker.down never came");
  Bytes sig;
  CK_RV gap = sign(sg.s, sg.key, digest_of(1), sig);
  write_file(dir + "/gap.rv", std::to_string(gap) + "\n");
  if (!wait_for_file(dir + "/broker.up")) return fail("broker.up never came");
  // The very next call after the restart must work, in the same session.
  if (int rc = sign_checked(sg, 2)) return rc;
  if (gap != CKR_DEVICE_ERROR && gap != CKR_DEVICE_REMOVED && gap != CKR_TOKEN_NOT_PRESENT)
    return fail("C_Sign while the broker was down returned " + rvs(gap));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return fail("usage: MODULE MODE DIR [COUNT [ROLE]]");
  void* h = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) return fail(std::string("dlopen: ") + ::dlerror());
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(h, "C_GetFunctionList"));
  if (!get || get(&f) != CKR_OK || !f) return fail("C_GetFunctionList failed");
  if (CK_RV rv = f->C_Initialize(nullptr); rv != CKR_OK) return fail("C_Initialize " + rvs(rv));
  const std::string mode = argv[2], dir = argv[3];
  const int count = argc > 4 ? std::atoi(argv[4]) : 0;
  int rc = 1;
  if (mode == "provision") rc = provision(dir);
  else if (mode == "sign") rc = run_sign(dir, count, argc > 5 ? argv[5] : "none");
  else if (mode == "meta") rc = run_meta(dir, count);
  else if (mode == "restart") rc = run_restart(dir);
  else rc = fail("unknown mode " + mode);
  (void)f->C_Finalize(nullptr);
  return rc;
}
