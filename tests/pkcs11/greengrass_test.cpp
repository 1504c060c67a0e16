// The exact call sequences of Greengrass's two PKCS#11 users in one process
// (docs/greengrass.md §1.4, §3 and §4): aws-c-io first
// (C_Initialize with callbacks, R/O session, login, find by class+label with
// max 2, key type, sign with length query), then SunPKCS11 (second
// C_Initialize, C_GetSlotInfo without slot list, already-logged-in detection,
// KeyStore scan, sign with a big buffer).
#include <sys/wait.h>
#include <unistd.h>


#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::cert_for_point;
using sx::testing::verify_p256;
using sx::testing::sha256;

namespace {

using Greengrass = P11Test;

CK_RV create_mutex(CK_VOID_PTR_PTR m) {
  static int dummy;
  *m = &dummy;
  return CKR_OK;
}
CK_RV mutex_op(CK_VOID_PTR) { return CKR_OK; }

TEST_F(Greengrass, CrtThenSunPkcs11InOneProcess) {
  const std::string label = "greengrass-core";
  const Bytes id = {0x01};
  Bytes point, cert_der;
  {  // Provisioning (the CLI's job), then everything closed again.
    init();
    provision("greengrass");
    CK_SESSION_HANDLE s = open();
    login(s);
    auto [pub, priv] = generate_ec(s, label, id);
    point = get(s, pub, CKA_EC_POINT);
    cert_der = cert_for_point(point, label);
    CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_BBOOL yes = CK_TRUE;
    std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct), attr_of(CKA_TOKEN, yes),
                                   attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id), attr_bytes(CKA_VALUE, cert_der)};
    CK_OBJECT_HANDLE h;
    ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
    ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  }

  // --- aws-c-io (Pkcs11Lib DEFAULT behaviour + TLS context)
  CK_C_INITIALIZE_ARGS crt_args{};
  crt_args.CreateMutex = create_mutex;
  crt_args.DestroyMutex = mutex_op;
  crt_args.LockMutex = mutex_op;
  crt_args.UnlockMutex = mutex_op;
  crt_args.flags = CKF_OS_LOCKING_OK;
  ASSERT_EQ(f->C_Initialize(&crt_args), CKR_OK);
  ASSERT_EQ(f->version.major, 2);
  ASSERT_GE(f->version.minor, 20);
  CK_INFO info;
  ASSERT_EQ(f->C_GetInfo(&info), CKR_OK);
  CK_ULONG n = 0;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  ASSERT_EQ(n, 1u);
  CK_SLOT_ID slot = 99;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
  ASSERT_EQ(slot, 0u);
  CK_TOKEN_INFO ti;
  ASSERT_EQ(f->C_GetTokenInfo(slot, &ti), CKR_OK);
  CK_SESSION_HANDLE crt = 0;
  ASSERT_EQ(f->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &crt), CKR_OK);
  ASSERT_EQ(f->C_Login(crt, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_OK);
  CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE ft[] = {attr_of(CKA_CLASS, pk), attr_str(CKA_LABEL, label)};
  ASSERT_EQ(f->C_FindObjectsInit(crt, ft, 2), CKR_OK);
  CK_OBJECT_HANDLE found[2];
  ASSERT_EQ(f->C_FindObjects(crt, found, 2, &n), CKR_OK);
  ASSERT_EQ(n, 1u);  // exactly one: two would be an error for aws-c-io
  ASSERT_EQ(f->C_FindObjectsFinal(crt), CKR_OK);
  const CK_OBJECT_HANDLE key = found[0];
  EXPECT_EQ(get_ulong(crt, key, CKA_KEY_TYPE), CKK_EC);

  // --- SunPKCS11 (provider configured with slot=0), same process
  CK_C_INITIALIZE_ARGS java_args{};
  java_args.flags = CKF_OS_LOCKING_OK;
  ASSERT_EQ(f->C_Initialize(&java_args), CKR_CRYPTOKI_ALREADY_INITIALIZED);
  ASSERT_EQ(f->C_GetInfo(&info), CKR_OK);
  CK_SLOT_INFO si;
  ASSERT_EQ(f->C_GetSlotInfo(0, &si), CKR_OK);
  EXPECT_EQ(si.flags & CKF_REMOVABLE_DEVICE, 0u);
  ASSERT_EQ(f->C_GetTokenInfo(0, &ti), CKR_OK);
  EXPECT_EQ(ti.flags & (CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED),
            CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED);
  EXPECT_EQ(ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH, 0u);
  CK_SESSION_HANDLE java = 0;
  ASSERT_EQ(f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &java), CKR_OK);
  CK_SESSION_INFO sinfo;
  ASSERT_EQ(f->C_GetSessionInfo(java, &sinfo), CKR_OK);
  EXPECT_EQ(sinfo.state, CKS_RW_USER_FUNCTIONS);  // Java sees the CRT's login and skips its own
  EXPECT_EQ(f->C_Login(java, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_USER_ALREADY_LOGGED_IN);
  // KeyStore.load: {TOKEN, CLASS} scans, CKA_ID of keys, label/ID/value of certificates.
  CK_BBOOL yes = CK_TRUE;
  auto keys = find(java, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, pk)});
  size_t with_our_id = 0;
  for (auto k : keys) with_our_id += get(java, k, CKA_ID) == id ? 1 : 0;
  EXPECT_EQ(with_our_id, 1u);
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  auto certs = find(java, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, cc)});
  size_t ours = 0;
  for (auto c : certs) {
    if (get(java, c, CKA_LABEL) != Bytes(label.begin(), label.end())) continue;
    ++ours;
    EXPECT_EQ(get(java, c, CKA_ID), id);
    EXPECT_EQ(get(java, c, CKA_VALUE), cert_der);
  }
  EXPECT_EQ(ours, 1u);
  CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
  EXPECT_TRUE(find(java, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, sk)}).empty());
  auto jkey = find(java, {attr_of(CKA_TOKEN, yes), attr_bytes(CKA_ID, id), attr_of(CKA_CLASS, pk)});
  ASSERT_EQ(jkey, std::vector<CK_OBJECT_HANDLE>{key});  // same handle in every session

  // Signatures on both paths, interleaved.
  const Bytes digest = sha256(Bytes{'t', 'l', 's'});
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(crt, &m, key), CKR_OK);
  CK_ULONG len = 0;
  ASSERT_EQ(f->C_Sign(crt, const_cast<uint8_t*>(digest.data()), 32, nullptr, &len), CKR_OK);
  Bytes crt_sig(len);
  EXPECT_TRUE(verify_p256(point, digest, sign(java, key, CKM_ECDSA, digest)));
  ASSERT_EQ(f->C_Sign(crt, const_cast<uint8_t*>(digest.data()), 32, crt_sig.data(), &len), CKR_OK);
  EXPECT_TRUE(verify_p256(point, digest, crt_sig));
  // The CRT closes its session when the TLS context goes; Java's stays logged in.
  ASSERT_EQ(f->C_CloseSession(crt), CKR_OK);
  ASSERT_EQ(f->C_GetSessionInfo(java, &sinfo), CKR_OK);
  EXPECT_EQ(sinfo.state, CKS_RW_USER_FUNCTIONS);
}

// The goal: on a warm module (pooled logged-in session), a Greengrass
// connect -- new session, login, aws-c-io's key find, SunPKCS11's certificate
// scan, one signature -- costs the signature plus one version read.
TEST_F(Greengrass, WarmConnectIsSignaturePlusOneVersionRead) {
  const std::string label = "greengrass";
  const Bytes id = {0x01};
  init();
  provision("greengrass");
  CK_SESSION_HANDLE pooled = open();
  login(pooled);
  auto [pub, priv] = generate_ec(pooled, label, id);
  const Bytes point = get(pooled, pub, CKA_EC_POINT);
  const Bytes cert = cert_for_point(point, label);
  ASSERT_FALSE(cert.empty());
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE ct = CKC_X_509;
  CK_BBOOL yes = CK_TRUE;
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct), attr_of(CKA_TOKEN, yes),
                                 attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id), attr_bytes(CKA_VALUE, cert)};
  CK_OBJECT_HANDLE hcert;
  ASSERT_EQ(f->C_CreateObject(pooled, t.data(), static_cast<CK_ULONG>(t.size()), &hcert), CKR_OK);

  for (int round = 0; round < 2; ++round) {
    const SimStats before = sim_stats();
    ASSERT_GE(before.count, 0);
    CK_SESSION_HANDLE s = open(false);
    EXPECT_EQ(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4), CKR_USER_ALREADY_LOGGED_IN);
    auto keys = find_label(s, label, CKO_PRIVATE_KEY);
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(get_ulong(s, keys[0], CKA_KEY_TYPE), CKK_EC);
    auto certs = find(s, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, cc)});
    ASSERT_GE(certs.size(), 1u);  // ours and the simulator's factory certificates
    size_t ours = 0;
    for (CK_OBJECT_HANDLE c : certs) ours += get(s, c, CKA_VALUE) == cert ? 1u : 0u;
    EXPECT_EQ(ours, 1u);
    const Bytes digest(32, static_cast<uint8_t>(0xA0 + round));
    const Bytes sig = sign(s, keys[0], CKM_ECDSA, digest);
    ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
    SimStats d = sim_stats().since(before);
    EXPECT_TRUE(verify_p256(point, digest, sig));
    // ECDSASign + one ReadObject of the generation pointer (statistics requests are not counted).
    EXPECT_EQ(d.count, 2.0) << "round " << round << ": " << d.text();
    EXPECT_EQ(d.commands["ECDSASign"], 1.0) << "round " << round;
  }
}

// The freshness window never hides another process's change from a new
// session: C_OpenSession expires it, so the first find reads the version.
// Both processes logged in at once: through se05xd (docs/install.md §3.7).
TEST_F(Greengrass, NewSessionSeesAnotherProcesssObjectAtOnce) {
  use_broker();
  init();
  provision("greengrass");
  CK_SESSION_HANDLE pooled = open();
  login(pooled);
  generate_ec(pooled, "first", Bytes{0x01});
  ASSERT_EQ(find_label(pooled, "first", CKO_PRIVATE_KEY).size(), 1u);  // the window is fresh now
  ASSERT_TRUE(find_label(pooled, "second", CKO_DATA).empty());

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // another process: its own module instance writes a data object
    int code = 0;
    if (f->C_Initialize(nullptr) != CKR_OK) code |= 1;
    CK_SESSION_HANDLE cs = 0;
    if (f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &cs) != CKR_OK) code |= 2;
    if (f->C_Login(cs, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4) != CKR_OK) code |= 4;
    CK_OBJECT_CLASS dc = CKO_DATA;
    CK_BBOOL yes = CK_TRUE;
    const std::string label = "second";
    const Bytes value = {1, 2, 3};
    CK_ATTRIBUTE t[] = {attr_of(CKA_CLASS, dc), attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label),
                        attr_bytes(CKA_VALUE, value)};
    CK_OBJECT_HANDLE h = 0;
    if (f->C_CreateObject(cs, t, 4, &h) != CKR_OK) code |= 8;
    (void)f->C_Finalize(nullptr);
    _exit(code);
  }
  int st = 0;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFEXITED(st));
  ASSERT_EQ(WEXITSTATUS(st), 0);

  CK_SESSION_HANDLE s = open(false);
  EXPECT_EQ(find_label(s, "second", CKO_DATA).size(), 1u);
}

}  // namespace
}  // namespace sx::p11test
