// Session objects (docs/pkcs11-module.md "Session objects"): data, certificates and public
// keys in host memory, in R/O and R/W sessions, without login for public ones; they vanish
// with their session. Session key pairs are transient chip objects: they sign, take no NVM,
// are never listed as token objects and are deleted from the chip with their session.
// C_CopyObject; the mechanism is checked before the key (C_SignInit).
#include <gtest/gtest.h>
#include <openssl/obj_mac.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "p11_fixture.h"
#include "se05x/client.h"
#include "support/ossl_check.h"

namespace sx::p11test {
namespace {

constexpr uint32_t kSessionFirst = 0x7B5EFF00, kSessionLast = 0x7B5EFFEF;  // token/id_range.h

const Bytes kP256 = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

// The chip seen by another client of the broker: its object IDs and free NVM.
struct RawChip {
  explicit RawChip(const std::string& port) : link(*link::parse_endpoint(port)), client(link) {
    EXPECT_TRUE(link.open().ok());
    EXPECT_TRUE(client.select().ok());
  }
  std::vector<uint32_t> session_ids() {
    auto ids = client.read_all_ids();
    EXPECT_TRUE(ids.ok());
    std::vector<uint32_t> out;
    if (ids.ok())
      for (uint32_t id : *ids)
        if (id >= kSessionFirst && id <= kSessionLast) out.push_back(id);
    return out;
  }
  size_t id_count() {
    auto ids = client.read_all_ids();
    return ids.ok() ? ids->size() : 0;
  }
  uint32_t free_nvm() {
    auto f = client.get_free_memory(se05x::MemoryType::Persistent);
    EXPECT_TRUE(f.ok());
    return f.ok() ? *f : 0;
  }
  link::JrcpClient link;
  se05x::Client client;
};

class SessionObjectsTest : public P11Test {
 protected:
  void start(bool with_user = false) {
    use_broker();
    init();
    provision();
    if (with_user) {
      keeper = open();
      login(keeper);
    }
  }
  CK_RV create(CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> t, CK_OBJECT_HANDLE& h) {
    return f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h);
  }
  CK_OBJECT_HANDLE data_object(CK_SESSION_HANDLE s, const std::string& label, bool priv = false) {
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL p = priv ? CK_TRUE : CK_FALSE;
    const std::string value = "session value";
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    EXPECT_EQ(create(s, {attr_of(CKA_CLASS, cls), attr_of(CKA_PRIVATE, p), attr_str(CKA_LABEL, label),
                         attr_str(CKA_VALUE, value)},
                     h),
              CKR_OK);
    return h;
  }
  CK_RV ec_public(CK_SESSION_HANDLE s, const Bytes& point_der, CK_OBJECT_HANDLE& h) {
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    const std::string label = "peer";
    return create(s, {attr_of(CKA_CLASS, cls), attr_of(CKA_KEY_TYPE, kt), attr_bytes(CKA_EC_PARAMS, kP256),
                      attr_bytes(CKA_EC_POINT, point_der), attr_str(CKA_LABEL, label)},
                  h);
  }
  CK_RV session_pair(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE& pub, CK_OBJECT_HANDLE& priv,
                     bool token_pub = false, CK_ULONG bits = 2048) {
    CK_MECHANISM m{mech, nullptr, 0};
    CK_BBOOL tp = token_pub ? CK_TRUE : CK_FALSE;
    std::vector<CK_ATTRIBUTE> pt = {attr_of(CKA_TOKEN, tp)};
    if (mech == CKM_EC_KEY_PAIR_GEN) pt.push_back(attr_bytes(CKA_EC_PARAMS, kP256));
    else pt.push_back(attr_of(CKA_MODULUS_BITS, bits));
    const std::string label = "sess-key";
    std::vector<CK_ATTRIBUTE> vt = {attr_str(CKA_LABEL, label)};  // CKA_TOKEN absent: FALSE
    return f->C_GenerateKeyPair(s, &m, pt.data(), static_cast<CK_ULONG>(pt.size()), vt.data(),
                                static_cast<CK_ULONG>(vt.size()), &pub, &priv);
  }
  bool verifies(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_MECHANISM_TYPE mech, const Bytes& data,
                const Bytes& sig) {
    CK_MECHANISM m{mech, nullptr, 0};
    if (f->C_VerifyInit(s, &m, pub) != CKR_OK) return false;
    Bytes d = data, g = sig;
    return f->C_Verify(s, d.data(), static_cast<CK_ULONG>(d.size()), g.data(), static_cast<CK_ULONG>(g.size())) ==
           CKR_OK;
  }
  std::string port() const { return std::getenv("SE05X_PORT"); }
  // A forked child with its own module instance (a fresh chip listing) counts the token
  // objects adopted from the session-key range (they would be labelled sss:7B5EFFxx);
  // -1 when the child failed.
  int adopted_in_another_process() {
    const pid_t pid = fork();
    if (pid == 0) {
      int n = 0;
      if (f->C_Initialize(nullptr) != CKR_OK) _exit(100);
      CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
      if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) _exit(101);
      CK_OBJECT_HANDLE h[64];
      CK_ULONG got = 0;
      if (f->C_FindObjectsInit(s, nullptr, 0) != CKR_OK || f->C_FindObjects(s, h, 64, &got) != CKR_OK) _exit(102);
      for (CK_ULONG i = 0; i < got; ++i) {
        char label[64] = {};
        CK_ATTRIBUTE a = attr(CKA_LABEL, label, sizeof label - 1);
        if (f->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK && std::string(label).rfind("sss:7B5EFF", 0) == 0) ++n;
      }
      (void)f->C_Finalize(nullptr);
      _exit(n);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st) >= 100 ? -1 : WEXITSTATUS(st);
  }

  CK_SESSION_HANDLE keeper = CK_INVALID_HANDLE;
};

TEST_F(SessionObjectsTest, DataInReadOnlyAndReadWriteSessionsWithoutLogin) {
  start();
  const CK_SESSION_HANDLE ro = open(false), rw = open(true);
  const CK_OBJECT_HANDLE a = data_object(ro, "in-ro"), b = data_object(rw, "in-rw");
  EXPECT_EQ(get(rw, a, CKA_TOKEN), Bytes{CK_FALSE});  // CKA_TOKEN defaults to FALSE
  EXPECT_EQ(find_label(rw, "in-ro", CKO_DATA), std::vector<CK_OBJECT_HANDLE>{a});  // every session sees it
  EXPECT_EQ(find_label(ro, "in-rw", CKO_DATA), std::vector<CK_OBJECT_HANDLE>{b});
  const std::string renamed = "renamed";
  CK_ATTRIBUTE l = attr_str(CKA_LABEL, renamed);
  EXPECT_EQ(f->C_SetAttributeValue(ro, a, &l, 1), CKR_OK);
  EXPECT_EQ(find_label(ro, renamed, CKO_DATA).size(), 1u);
  EXPECT_EQ(f->C_DestroyObject(ro, a), CKR_OK);
  EXPECT_EQ(f->C_DestroyObject(ro, b), CKR_OK);
  EXPECT_TRUE(find_label(rw, renamed, CKO_DATA).empty());
}

TEST_F(SessionObjectsTest, ModifiableAndDestroyableFalseProhibitTheAction) {
  start();
  const CK_SESSION_HANDLE s = open(false);
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL no = CK_FALSE;
  const std::string v = "x", l2 = "y";
  CK_OBJECT_HANDLE h = 0;
  ASSERT_EQ(create(s, {attr_of(CKA_CLASS, cls), attr_of(CKA_MODIFIABLE, no), attr_of(CKA_DESTROYABLE, no),
                       attr_str(CKA_VALUE, v)},
                   h),
            CKR_OK);
  CK_ATTRIBUTE l = attr_str(CKA_LABEL, l2);
  EXPECT_EQ(f->C_SetAttributeValue(s, h, &l, 1), CKR_ACTION_PROHIBITED);
  EXPECT_EQ(f->C_DestroyObject(s, h), CKR_ACTION_PROHIBITED);
}

TEST_F(SessionObjectsTest, PrivateSessionObjectNeedsTheUser) {
  start();
  const CK_SESSION_HANDLE s = open(false);
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE;
  const std::string v = "secret", label = "priv";
  CK_OBJECT_HANDLE h = 0;
  EXPECT_EQ(create(s, {attr_of(CKA_CLASS, cls), attr_of(CKA_PRIVATE, yes), attr_str(CKA_VALUE, v)}, h),
            CKR_USER_NOT_LOGGED_IN);
  login(s);
  h = data_object(s, label, true);
  EXPECT_EQ(find_label(s, label, CKO_DATA).size(), 1u);
  ASSERT_EQ(f->C_Logout(s), CKR_OK);
  EXPECT_TRUE(find_label(s, label, CKO_DATA).empty());  // hidden, not gone
  CK_ATTRIBUTE a = attr(CKA_VALUE, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, h, &a, 1), CKR_OBJECT_HANDLE_INVALID);
  login(s);
  EXPECT_EQ(find_label(s, label, CKO_DATA), std::vector<CK_OBJECT_HANDLE>{h});
}

TEST_F(SessionObjectsTest, ObjectsVanishWithTheirSession) {
  start();
  const CK_SESSION_HANDLE owner = open(false), other = open(false);
  const CK_OBJECT_HANDLE h = data_object(owner, "mine");
  EXPECT_EQ(find_label(other, "mine", CKO_DATA).size(), 1u);
  ASSERT_EQ(f->C_CloseSession(owner), CKR_OK);
  EXPECT_TRUE(find_label(other, "mine", CKO_DATA).empty());
  CK_ATTRIBUTE a = attr(CKA_VALUE, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(other, h, &a, 1), CKR_OBJECT_HANDLE_INVALID);
}

TEST_F(SessionObjectsTest, SessionPublicKeyVerifiesAndCertificatesAreKept) {
  start();
  const CK_SESSION_HANDLE s = open(false);
  // A peer's P-256 key, the way pkcs11-provider imports one to verify in TLS.
  auto pair = sx::testing::ec_private_der(NID_X9_62_prime256v1);
  const unsigned char* p = pair.data();
  ossl::Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pair.size())));
  ASSERT_TRUE(key);
  size_t n = 0;
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(key.get(), "encoded-pub-key", nullptr, 0, &n), 1);
  Bytes point(n);
  ASSERT_EQ(EVP_PKEY_get_octet_string_param(key.get(), "encoded-pub-key", point.data(), n, &n), 1);
  Bytes der = {0x04, static_cast<uint8_t>(point.size())};
  der.insert(der.end(), point.begin(), point.end());
  CK_OBJECT_HANDLE pub = 0;
  ASSERT_EQ(ec_public(s, der, pub), CKR_OK);
  EXPECT_EQ(get(s, pub, CKA_EC_POINT), der);
  // Signed by OpenSSL, verified through the session object.
  const Bytes digest = sx::testing::sha256(Bytes{1, 2, 3});
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  ASSERT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
  size_t sl = 80;
  Bytes sig_der(sl);
  ASSERT_EQ(EVP_PKEY_sign(ctx.get(), sig_der.data(), &sl, digest.data(), digest.size()), 1);
  sig_der.resize(sl);
  ECDSA_SIG* es = nullptr;
  const unsigned char* q = sig_der.data();
  es = d2i_ECDSA_SIG(nullptr, &q, static_cast<long>(sig_der.size()));
  ASSERT_NE(es, nullptr);
  Bytes rs(64);
  BN_bn2binpad(ECDSA_SIG_get0_r(es), rs.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), rs.data() + 32, 32);
  ECDSA_SIG_free(es);
  EXPECT_TRUE(verifies(s, pub, CKM_ECDSA, digest, rs));
  rs[5] ^= 1;
  EXPECT_FALSE(verifies(s, pub, CKM_ECDSA, digest, rs));
  // A point off the curve is refused like a token key's.
  Bytes bad = der;
  bad.back() ^= 1;
  CK_OBJECT_HANDLE h = 0;
  EXPECT_EQ(ec_public(s, bad, h), CKR_ATTRIBUTE_VALUE_INVALID);
  // An RSA modulus nobody uses: refused.
  CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
  CK_KEY_TYPE rsa = CKK_RSA;
  const Bytes tiny(64, 0xC3), e = {0x01, 0x00, 0x01};
  EXPECT_EQ(create(s, {attr_of(CKA_CLASS, cls), attr_of(CKA_KEY_TYPE, rsa), attr_bytes(CKA_MODULUS, tiny),
                       attr_bytes(CKA_PUBLIC_EXPONENT, e)},
                   h),
            CKR_ATTRIBUTE_VALUE_INVALID);
  // Certificates.
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE x509 = CKC_X_509;
  const Bytes cert = sx::testing::self_signed_cert_der("session cert");
  const std::string label = "sess-cert";
  CK_OBJECT_HANDLE c = 0;
  ASSERT_EQ(create(s, {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, x509), attr_bytes(CKA_VALUE, cert),
                       attr_str(CKA_LABEL, label)},
                   c),
            CKR_OK);
  EXPECT_EQ(get(s, c, CKA_VALUE), cert);
  EXPECT_FALSE(get(s, c, CKA_SUBJECT).empty());
  EXPECT_EQ(find_label(s, label, CKO_CERTIFICATE), std::vector<CK_OBJECT_HANDLE>{c});
}

TEST_F(SessionObjectsTest, SignInitChecksTheMechanismBeforeTheKey) {
  start(true);
  const CK_SESSION_HANDLE s = keeper;
  const CK_OBJECT_HANDLE d = data_object(s, "not-a-key");
  CK_MECHANISM bad{CKM_SHA256, nullptr, 0};  // a digest, not a signature mechanism
  EXPECT_EQ(f->C_SignInit(s, &bad, d), CKR_MECHANISM_INVALID);
  CK_MECHANISM unknown{CKM_DSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &unknown, d), CKR_MECHANISM_INVALID);
  CK_MECHANISM ok{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(s, &ok, d), CKR_KEY_TYPE_INCONSISTENT);
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ASSERT_EQ(session_pair(s, CKM_EC_KEY_PAIR_GEN, pub, priv), CKR_OK);
  EXPECT_EQ(f->C_SignInit(s, &unknown, priv), CKR_MECHANISM_INVALID);
  EXPECT_EQ(f->C_SignInit(s, &ok, pub), CKR_KEY_TYPE_INCONSISTENT);
}

// Session key pairs: transient chip objects. Measured on the chip through another client.
TEST_F(SessionObjectsTest, SessionKeyPairsSignTakeNoNvmAndGoWithTheSession) {
  start(true);
  RawChip chip(port());
  const uint32_t nvm_before = chip.free_nvm();
  const size_t ids_before = chip.id_count();
  for (CK_MECHANISM_TYPE gen : {CKM_EC_KEY_PAIR_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN}) {
    const CK_SESSION_HANDLE s = open(false);  // a R/O session may make session objects
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    ASSERT_EQ(session_pair(s, gen, pub, priv), CKR_OK);
    EXPECT_EQ(get(s, priv, CKA_TOKEN), Bytes{CK_FALSE});
    EXPECT_EQ(get(s, priv, CKA_LOCAL), Bytes{CK_TRUE});
    const auto ids = chip.session_ids();
    ASSERT_EQ(ids.size(), 1u) << "one transient object in the session-key range";
    EXPECT_EQ(chip.free_nvm(), nvm_before) << "a session key takes no NVM";
    const bool ec = gen == CKM_EC_KEY_PAIR_GEN;
    const Bytes data = ec ? Bytes(32, 7) : Bytes{1, 2, 3};
    const CK_MECHANISM_TYPE mech = ec ? CKM_ECDSA : CKM_SHA256_RSA_PKCS;
    const Bytes sig = sign(s, priv, mech, data);
    ASSERT_FALSE(sig.empty());
    EXPECT_TRUE(verifies(s, pub, mech, data, sig));
    EXPECT_EQ(adopted_in_another_process(), 0) << "another process's listing shows the session key";
    ASSERT_EQ(f->C_CloseSession(s), CKR_OK);
    EXPECT_TRUE(chip.session_ids().empty()) << "deleted from the chip with its session";
  }
  EXPECT_EQ(chip.id_count(), ids_before);
  EXPECT_EQ(chip.free_nvm(), nvm_before);
}

// A session EC key derives (ECDH, the same secret as a token key's from the other side);
// a session RSA key decrypts what its session public key encrypted.
TEST_F(SessionObjectsTest, SessionKeysDeriveAndDecrypt) {
  start(true);
  const CK_SESSION_HANDLE s = keeper;
  CK_OBJECT_HANDLE spub = 0, spriv = 0;
  ASSERT_EQ(session_pair(s, CKM_EC_KEY_PAIR_GEN, spub, spriv), CKR_OK);
  auto [tpub, tpriv] = generate_ec(s, "dh", Bytes{3});
  auto derive = [&](CK_OBJECT_HANDLE key, const Bytes& peer) {
    CK_ECDH1_DERIVE_PARAMS prm{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(peer.size()),
                               const_cast<uint8_t*>(peer.data())};
    CK_MECHANISM m{CKM_ECDH1_DERIVE, &prm, sizeof prm};
    CK_OBJECT_CLASS sc = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ATTRIBUTE t[] = {attr_of(CKA_CLASS, sc), attr_of(CKA_KEY_TYPE, kt), attr_of(CKA_TOKEN, no),
                        attr_of(CKA_SENSITIVE, no), attr_of(CKA_EXTRACTABLE, yes)};
    CK_OBJECT_HANDLE out = 0;
    EXPECT_EQ(f->C_DeriveKey(s, &m, key, t, 5, &out), CKR_OK);
    return out == 0 ? Bytes{} : get(s, out, CKA_VALUE);
  };
  const Bytes a = derive(spriv, get(s, tpub, CKA_EC_POINT)), b = derive(tpriv, get(s, spub, CKA_EC_POINT));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, b);

  CK_OBJECT_HANDLE rpub = 0, rpriv = 0;
  ASSERT_EQ(session_pair(s, CKM_RSA_PKCS_KEY_PAIR_GEN, rpub, rpriv), CKR_OK);
  CK_MECHANISM pkcs{CKM_RSA_PKCS, nullptr, 0};
  Bytes msg = {'s', 'e', 'c', 'r', 'e', 't'}, ct(256), plain(256);
  CK_ULONG ctlen = 256, plen = 256;
  ASSERT_EQ(f->C_EncryptInit(s, &pkcs, rpub), CKR_OK);
  ASSERT_EQ(f->C_Encrypt(s, msg.data(), static_cast<CK_ULONG>(msg.size()), ct.data(), &ctlen), CKR_OK);
  ASSERT_EQ(f->C_DecryptInit(s, &pkcs, rpriv), CKR_OK);
  ASSERT_EQ(f->C_Decrypt(s, ct.data(), ctlen, plain.data(), &plen), CKR_OK);
  plain.resize(plen);
  EXPECT_EQ(plain, msg);
}

TEST_F(SessionObjectsTest, SessionKeysAreDeletedByDestroyAndFinalize) {
  start(true);
  RawChip chip(port());
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  ASSERT_EQ(session_pair(keeper, CKM_EC_KEY_PAIR_GEN, pub, priv), CKR_OK);
  ASSERT_EQ(chip.session_ids().size(), 1u);
  EXPECT_EQ(f->C_DestroyObject(keeper, priv), CKR_OK);
  EXPECT_TRUE(chip.session_ids().empty());
  ASSERT_EQ(session_pair(keeper, CKM_EC_KEY_PAIR_GEN, pub, priv), CKR_OK);
  ASSERT_EQ(session_pair(keeper, CKM_EC_KEY_PAIR_GEN, pub, priv), CKR_OK);
  ASSERT_EQ(chip.session_ids().size(), 2u);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  EXPECT_TRUE(chip.session_ids().empty());
}

TEST_F(SessionObjectsTest, SessionKeyTemplatesAndLogin) {
  start();
  const CK_SESSION_HANDLE s = open(false);
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  // A private session key needs the user (and on a chip-PIN token the user's chip session).
  EXPECT_EQ(session_pair(s, CKM_EC_KEY_PAIR_GEN, pub, priv), CKR_USER_NOT_LOGGED_IN);
  login(s);
  // Session private key with a token public key: cannot be.
  EXPECT_EQ(session_pair(s, CKM_EC_KEY_PAIR_GEN, pub, priv, true), CKR_TEMPLATE_INCONSISTENT);
  // Token private key, session public key: the public half is a session copy.
  const CK_SESSION_HANDLE rw = open(true);
  CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_BBOOL yes = CK_TRUE;
  const std::string label = "tok";
  std::vector<CK_ATTRIBUTE> pt = {attr_bytes(CKA_EC_PARAMS, kP256)};
  std::vector<CK_ATTRIBUTE> vt = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label)};
  ASSERT_EQ(f->C_GenerateKeyPair(rw, &m, pt.data(), 1, vt.data(), 2, &pub, &priv), CKR_OK);
  EXPECT_EQ(get(rw, pub, CKA_TOKEN), Bytes{CK_FALSE});
  EXPECT_EQ(get(rw, priv, CKA_TOKEN), Bytes{CK_TRUE});
  EXPECT_EQ(get(rw, pub, CKA_LABEL), Bytes(label.begin(), label.end()));
  const Bytes data(32, 9);
  EXPECT_TRUE(verifies(rw, pub, CKM_ECDSA, data, sign(rw, priv, CKM_ECDSA, data)));
}

TEST_F(SessionObjectsTest, TransientMemoryFullIsDeviceMemory) {
  start(true);
  // The simulator's transient RAM (4 KiB) holds a few RSA pairs at most. RSA-1024: a
  // 2048-bit key generation in the simulator under qemu (the armhf packaged run) can take
  // longer than the broker lets one client hold the chip (10 s) -- prime search time is
  // random -- and the cut-off client then sees a device error, not the full memory.
  std::vector<CK_OBJECT_HANDLE> made;
  CK_RV rv = CKR_OK;
  for (int i = 0; i < 16 && rv == CKR_OK; ++i) {
    CK_OBJECT_HANDLE pub = 0, priv = 0;
    rv = session_pair(keeper, CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv, false, 1024);
    if (rv == CKR_OK) made.push_back(priv);
  }
  EXPECT_EQ(rv, CKR_DEVICE_MEMORY);
  EXPECT_FALSE(made.empty());
  // Room again once one goes.
  ASSERT_EQ(f->C_DestroyObject(keeper, made.back()), CKR_OK);
  CK_OBJECT_HANDLE pub = 0, priv = 0;
  EXPECT_EQ(session_pair(keeper, CKM_RSA_PKCS_KEY_PAIR_GEN, pub, priv, false, 1024), CKR_OK);
}

TEST_F(SessionObjectsTest, CopyObject) {
  start(true);
  const CK_SESSION_HANDLE s = keeper;
  // Session -> session with a new label; other attributes read-only.
  const CK_OBJECT_HANDLE d = data_object(s, "orig");
  const std::string l2 = "copy", other = "other";
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
  CK_OBJECT_HANDLE c = 0;
  std::vector<CK_ATTRIBUTE> t = {attr_str(CKA_LABEL, l2)};
  ASSERT_EQ(f->C_CopyObject(s, d, t.data(), 1, &c), CKR_OK);
  EXPECT_EQ(get(s, c, CKA_VALUE), get(s, d, CKA_VALUE));
  EXPECT_EQ(find_label(s, l2, CKO_DATA), std::vector<CK_OBJECT_HANDLE>{c});
  // A certificate's value is fixed: a copy cannot change it.
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE x509 = CKC_X_509;
  const Bytes cert = sx::testing::self_signed_cert_der("c1"), cert2 = sx::testing::self_signed_cert_der("c2");
  CK_OBJECT_HANDLE ch = 0;
  ASSERT_EQ(create(s, {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, x509), attr_bytes(CKA_VALUE, cert)}, ch),
            CKR_OK);
  std::vector<CK_ATTRIBUTE> ro = {attr_bytes(CKA_VALUE, cert2)};
  EXPECT_EQ(f->C_CopyObject(s, ch, ro.data(), 1, &c), CKR_ATTRIBUTE_READ_ONLY);
  std::vector<CK_ATTRIBUTE> same = {attr_bytes(CKA_VALUE, cert)};
  EXPECT_EQ(f->C_CopyObject(s, ch, same.data(), 1, &c), CKR_OK);
  // Session -> token copy, then token -> session copy.
  std::vector<CK_ATTRIBUTE> tt = {attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, other)};
  CK_OBJECT_HANDLE tok = 0;
  ASSERT_EQ(f->C_CopyObject(s, d, tt.data(), 2, &tok), CKR_OK);
  EXPECT_EQ(get(s, tok, CKA_TOKEN), Bytes{CK_TRUE});
  std::vector<CK_ATTRIBUTE> st = {attr_of(CKA_TOKEN, no)};
  CK_OBJECT_HANDLE back = 0;
  ASSERT_EQ(f->C_CopyObject(s, tok, st.data(), 1, &back), CKR_OK);
  EXPECT_EQ(get(s, back, CKA_TOKEN), Bytes{CK_FALSE});
  EXPECT_EQ(get(s, back, CKA_VALUE), get(s, d, CKA_VALUE));
  // COPYABLE = FALSE, private keys: prohibited.
  std::vector<CK_ATTRIBUTE> off = {attr_of(CKA_COPYABLE, no)};
  CK_OBJECT_HANDLE nc = 0;
  ASSERT_EQ(f->C_CopyObject(s, d, off.data(), 1, &nc), CKR_OK);
  EXPECT_EQ(f->C_CopyObject(s, nc, nullptr, 0, &c), CKR_ACTION_PROHIBITED);
  auto [pub, priv] = generate_ec(s, "k", Bytes{1});
  EXPECT_EQ(f->C_CopyObject(s, priv, nullptr, 0, &c), CKR_ACTION_PROHIBITED);
  // A token public key may be copied into the session (not to the token).
  ASSERT_EQ(f->C_CopyObject(s, pub, st.data(), 1, &c), CKR_OK);
  EXPECT_EQ(get(s, c, CKA_EC_POINT), get(s, pub, CKA_EC_POINT));
  EXPECT_EQ(f->C_CopyObject(s, pub, nullptr, 0, &c), CKR_TEMPLATE_INCONSISTENT);
}

}  // namespace
}  // namespace sx::p11test
