// The Greengrass provisioning and use flow end to end: key pair on the chip,
// certificate with the same label and CKA_ID, find, sign in both length
// conventions, independent verification; persistence across C_Initialize
// and processes (fork); adopted factory objects; ECDH, digest, random.
#include <sys/wait.h>
#include <unistd.h>

#include "support/ossl_check.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {

using sx::testing::unwrap_point;
using sx::testing::cert_for_point;
using sx::testing::verify_p256;
using sx::testing::sha256;

namespace {

using FlowTest = P11Test;

const std::string kLabel = "greengrass-core";
const Bytes kId = {0x01, 0xBE, 0xEF};

TEST_F(FlowTest, GreengrassIdentity) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, kLabel, kId);
  ASSERT_NE(pub, CK_INVALID_HANDLE);
  ASSERT_NE(priv, CK_INVALID_HANDLE);
  const Bytes point = get(s, pub, CKA_EC_POINT);
  ASSERT_EQ(point.size(), 67u);  // 04 41 04 X Y
  EXPECT_EQ(get(s, priv, CKA_EC_PARAMS), hex("06082A8648CE3D030107"));
  EXPECT_EQ(get(s, priv, CKA_ID), kId);
  EXPECT_EQ(get(s, pub, CKA_ID), kId);
  EXPECT_EQ(get_ulong(s, priv, CKA_KEY_TYPE), CKK_EC);
  // Generated on the chip: local, with its mechanism; never left it.
  EXPECT_EQ(get(s, priv, CKA_LOCAL), Bytes{CK_TRUE});
  EXPECT_EQ(get(s, pub, CKA_LOCAL), Bytes{CK_TRUE});
  EXPECT_EQ(get_ulong(s, priv, CKA_KEY_GEN_MECHANISM), CKM_EC_KEY_PAIR_GEN);
  EXPECT_EQ(get(s, priv, CKA_ALWAYS_SENSITIVE), Bytes{CK_TRUE});
  EXPECT_EQ(get(s, priv, CKA_NEVER_EXTRACTABLE), Bytes{CK_TRUE});

  // What SunPKCS11 reads from the key in one call.
  CK_BBOOL tok = 9, sens = 9, extr = 9;
  CK_ATTRIBUTE three[] = {attr_of(CKA_TOKEN, tok), attr_of(CKA_SENSITIVE, sens), attr_of(CKA_EXTRACTABLE, extr)};
  three[0].pValue = &tok;
  three[1].pValue = &sens;
  three[2].pValue = &extr;
  ASSERT_EQ(f->C_GetAttributeValue(s, priv, three, 3), CKR_OK);
  EXPECT_EQ(tok, CK_TRUE);
  EXPECT_EQ(sens, CK_TRUE);
  EXPECT_EQ(extr, CK_FALSE);

  // The certificate for the chip key, same label and ID.
  const Bytes der = cert_for_point(point, kLabel);
  ASSERT_FALSE(der.empty());
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE ct = CKC_X_509;
  CK_BBOOL yes = CK_TRUE;
  std::vector<CK_ATTRIBUTE> ctmpl = {attr_of(CKA_CLASS, cc), attr_of(CKA_CERTIFICATE_TYPE, ct),
                                     attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, kLabel), attr_bytes(CKA_ID, kId),
                                     attr_bytes(CKA_VALUE, der)};
  CK_OBJECT_HANDLE cert = 0;
  ASSERT_EQ(f->C_CreateObject(s, ctmpl.data(), static_cast<CK_ULONG>(ctmpl.size()), &cert), CKR_OK);
  EXPECT_EQ(get(s, cert, CKA_VALUE), der);
  const Bytes subject = get(s, cert, CKA_SUBJECT);
  EXPECT_FALSE(subject.empty());
  EXPECT_FALSE(get(s, cert, CKA_ISSUER).empty());
  EXPECT_FALSE(get(s, cert, CKA_SERIAL_NUMBER).empty());

  // Find as aws-c-io ({CLASS, LABEL}) and SunPKCS11 ({TOKEN, CLASS, SUBJECT} / {TOKEN, ID, CLASS}) do.
  EXPECT_EQ(find_label(s, kLabel, CKO_PRIVATE_KEY), std::vector<CK_OBJECT_HANDLE>{priv});
  EXPECT_EQ(find_label(s, kLabel, CKO_CERTIFICATE), std::vector<CK_OBJECT_HANDLE>{cert});
  CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
  EXPECT_EQ(find(s, {attr_of(CKA_TOKEN, yes), attr_bytes(CKA_ID, kId), attr_of(CKA_CLASS, pk)}),
            std::vector<CK_OBJECT_HANDLE>{priv});
  EXPECT_EQ(find(s, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, cc), attr_bytes(CKA_SUBJECT, subject)}),
            std::vector<CK_OBJECT_HANDLE>{cert});
  // The issuer (the CA) is not on the token: the chain walk ends.
  const Bytes issuer = get(s, cert, CKA_ISSUER);
  EXPECT_TRUE(find(s, {attr_of(CKA_TOKEN, yes), attr_of(CKA_CLASS, cc), attr_bytes(CKA_SUBJECT, issuer)}).empty());

  // CKM_ECDSA, aws-c-io's way: length query, then the call.
  const Bytes digest = sha256(Bytes{'h', 'e', 'l', 'l', 'o'});
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &ecdsa, priv), CKR_OK);
  EXPECT_EQ(f->C_SignInit(s, &ecdsa, priv), CKR_OPERATION_ACTIVE);
  CK_ULONG len = 0;
  ASSERT_EQ(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), 32, nullptr, &len), CKR_OK);
  ASSERT_EQ(len, 64u);
  CK_ULONG small = 10;
  Bytes sig(64);
  ASSERT_EQ(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &small), CKR_BUFFER_TOO_SMALL);
  EXPECT_EQ(small, 64u);
  ASSERT_EQ(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len), CKR_OK);  // op survived
  EXPECT_EQ(len, 64u);
  EXPECT_TRUE(verify_p256(point, digest, sig));
  EXPECT_EQ(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len), CKR_OPERATION_NOT_INITIALIZED);
  // The JDK's way: a big buffer straight away.
  Bytes sig2 = sign(s, priv, CKM_ECDSA, digest);
  ASSERT_EQ(sig2.size(), 64u);
  EXPECT_TRUE(verify_p256(point, digest, sig2));
  EXPECT_NE(sig, sig2);
  // And through the module's own verify.
  ASSERT_EQ(f->C_VerifyInit(s, &ecdsa, pub), CKR_OK);
  EXPECT_EQ(f->C_Verify(s, const_cast<uint8_t*>(digest.data()), 32, sig2.data(), 64), CKR_OK);
  sig2[5] ^= 1;
  ASSERT_EQ(f->C_VerifyInit(s, &ecdsa, pub), CKR_OK);
  EXPECT_EQ(f->C_Verify(s, const_cast<uint8_t*>(digest.data()), 32, sig2.data(), 64), CKR_SIGNATURE_INVALID);
  // Multi-part with host hashing.
  CK_MECHANISM ecdsa256{CKM_ECDSA_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &ecdsa256, priv), CKR_OK);
  ASSERT_EQ(f->C_SignUpdate(s, (CK_BYTE_PTR) "hel", 3), CKR_OK);
  ASSERT_EQ(f->C_SignUpdate(s, (CK_BYTE_PTR) "lo", 2), CKR_OK);
  len = 64;
  ASSERT_EQ(f->C_SignFinal(s, sig.data(), &len), CKR_OK);
  EXPECT_TRUE(verify_p256(point, digest, sig));

  // A fresh C_Initialize (a new module instance reading the chip) sees both, same label and ID.
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  init();
  s = open(false);
  EXPECT_TRUE(find_label(s, kLabel, CKO_PRIVATE_KEY).empty());  // private: invisible before login
  login(s);
  auto keys = find_label(s, kLabel, CKO_PRIVATE_KEY);
  auto certs = find_label(s, kLabel, CKO_CERTIFICATE);
  ASSERT_EQ(keys.size(), 1u);
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(get(s, keys[0], CKA_ID), kId);
  EXPECT_EQ(get(s, certs[0], CKA_ID), kId);
  EXPECT_EQ(get(s, certs[0], CKA_VALUE), der);
  EXPECT_TRUE(verify_p256(point, digest, sign(s, keys[0], CKM_ECDSA, digest)));
}

// Parent and child logged in at once: through se05xd (a direct link holds one
// logged-in process per PIN, docs/install.md §3.7).
TEST_F(FlowTest, ForkedChildInitialisesAndSeesObjects) {
  use_broker();
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, kLabel, kId);
  const Bytes point = get(s, pub, CKA_EC_POINT);
  const Bytes digest = sha256(Bytes{1, 2, 3});

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The inherited module is the parent's: calls fail until the child initialises its own.
    int code = 0;
    CK_SESSION_INFO si;
    if (f->C_GetSessionInfo(s, &si) != CKR_CRYPTOKI_NOT_INITIALIZED) code |= 1;
    if (f->C_Initialize(nullptr) != CKR_OK) code |= 2;
    CK_SESSION_HANDLE cs = 0;
    if (f->C_OpenSession(0, CKF_SERIAL_SESSION, nullptr, nullptr, &cs) != CKR_OK) code |= 4;
    if (f->C_Login(cs, CKU_USER, (CK_UTF8CHAR_PTR)kUserPin, 4) != CKR_OK) code |= 8;
    CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {attr_of(CKA_CLASS, pk), attr_str(CKA_LABEL, kLabel)};
    CK_OBJECT_HANDLE h = 0;
    CK_ULONG n = 0;
    if (f->C_FindObjectsInit(cs, t, 2) != CKR_OK || f->C_FindObjects(cs, &h, 1, &n) != CKR_OK || n != 1) code |= 16;
    (void)f->C_FindObjectsFinal(cs);
    CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
    Bytes sig(64);
    CK_ULONG len = 64;
    if (f->C_SignInit(cs, &m, h) != CKR_OK ||
        f->C_Sign(cs, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len) != CKR_OK ||
        !verify_p256(point, digest, sig))
      code |= 32;
    (void)f->C_Finalize(nullptr);
    _exit(code);
  }
  int st = 0;
  ASSERT_EQ(waitpid(child, &st, 0), child);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  // The parent's link and login are untouched.
  EXPECT_TRUE(verify_p256(point, digest, sign(s, priv, CKM_ECDSA, digest)));
}

TEST_F(FlowTest, FactoryObjectsAreAdopted) {
  init();
  provision();
  CK_SESSION_HANDLE s = open(false);
  login(s);
  auto keys = find_label(s, "sss:F0000100", CKO_PRIVATE_KEY);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(get(s, keys[0], CKA_ID), hex("F0000100"));
  auto certs = find_label(s, "sss:F0000101", CKO_CERTIFICATE);
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_FALSE(get(s, certs[0], CKA_VALUE).empty());
  CK_BBOOL destroyable = CK_TRUE;
  CK_ATTRIBUTE a = attr_of(CKA_DESTROYABLE, destroyable);
  a.pValue = &destroyable;
  ASSERT_EQ(f->C_GetAttributeValue(s, keys[0], &a, 1), CKR_OK);
  EXPECT_EQ(destroyable, CK_FALSE);
  // NXP generated it inside the chip, but not this token: not local, never extractable.
  EXPECT_EQ(get(s, keys[0], CKA_LOCAL), Bytes{CK_FALSE});
  EXPECT_EQ(get(s, keys[0], CKA_NEVER_EXTRACTABLE), Bytes{CK_TRUE});
  // Usable for signing with its public key from the chip.
  auto pubs = find_label(s, "sss:F0000100", CKO_PUBLIC_KEY);
  ASSERT_EQ(pubs.size(), 1u);
  const Bytes digest = sha256(Bytes{9});
  EXPECT_TRUE(verify_p256(get(s, pubs[0], CKA_EC_POINT), digest, sign(s, keys[0], CKM_ECDSA, digest)));
  // Never deleted (R/W session needed to try).
  CK_SESSION_HANDLE rw = open(true);
  EXPECT_EQ(f->C_DestroyObject(rw, keys[0]), CKR_ACTION_PROHIBITED);
  EXPECT_EQ(find_label(s, "sss:F0000100", CKO_PRIVATE_KEY).size(), 1u);
  // Relabel in metadata.
  std::string label = "factory-key";
  CK_ATTRIBUTE set = attr_str(CKA_LABEL, label);
  ASSERT_EQ(f->C_SetAttributeValue(rw, keys[0], &set, 1), CKR_OK);
  EXPECT_EQ(find_label(s, "factory-key", CKO_PRIVATE_KEY), keys);
  EXPECT_EQ(find_label(s, "factory-key", CKO_PUBLIC_KEY), pubs);  // one record per chip object
}

TEST_F(FlowTest, DataObjectsAndDestroy) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  CK_OBJECT_CLASS dc = CKO_DATA;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::string app = "sx-test", label = "blob";
  Bytes value = {1, 2, 3, 4, 5};
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, dc), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, no),
                                 attr_str(CKA_APPLICATION, app), attr_str(CKA_LABEL, label),
                                 attr_bytes(CKA_VALUE, value)};
  CK_OBJECT_HANDLE h = 0;
  ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
  EXPECT_EQ(get(s, h, CKA_VALUE), value);
  EXPECT_EQ(get(s, h, CKA_APPLICATION), Bytes(app.begin(), app.end()));
  auto [pub, priv] = generate_ec(s, "to-delete", {7});
  ASSERT_EQ(f->C_DestroyObject(s, priv), CKR_OK);
  EXPECT_TRUE(find_label(s, "to-delete", CKO_PRIVATE_KEY).empty());
  EXPECT_TRUE(find_label(s, "to-delete", CKO_PUBLIC_KEY).empty());  // the pair's public view went with it
  EXPECT_EQ(f->C_DestroyObject(s, priv), CKR_OBJECT_HANDLE_INVALID);
  CK_ATTRIBUTE pa = attr(CKA_LABEL, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, pub, &pa, 1), CKR_OBJECT_HANDLE_INVALID);
  EXPECT_EQ(f->C_DestroyObject(s, pub), CKR_OK);  // gone with its private key; deleting it is not an error
  ASSERT_EQ(f->C_DestroyObject(s, h), CKR_OK);
  CK_ATTRIBUTE a = attr(CKA_VALUE, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, h, &a, 1), CKR_OBJECT_HANDLE_INVALID);
}

TEST_F(FlowTest, ImportEcPrivateKey) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  // d = 1 would be silly; a fixed valid scalar.
  const Bytes d = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721");
  const Bytes params = hex("06082A8648CE3D030107");
  CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY;
  CK_KEY_TYPE kt = CKK_EC;
  CK_BBOOL yes = CK_TRUE;
  std::string label = "imported";
  const Bytes id = {0x42};
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, pk),      attr_of(CKA_KEY_TYPE, kt), attr_of(CKA_TOKEN, yes),
                                 attr_str(CKA_LABEL, label), attr_bytes(CKA_ID, id), attr_bytes(CKA_EC_PARAMS, params),
                                 attr_bytes(CKA_VALUE, d)};
  CK_OBJECT_HANDLE h = 0;
  ASSERT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_OK);
  // The scalar is never readable.
  CK_ATTRIBUTE a = attr(CKA_VALUE, nullptr, 0);
  EXPECT_EQ(f->C_GetAttributeValue(s, h, &a, 1), CKR_ATTRIBUTE_SENSITIVE);
  EXPECT_EQ(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
  // It existed outside the chip: not local, not always sensitive.
  EXPECT_EQ(get(s, h, CKA_LOCAL), Bytes{CK_FALSE});
  EXPECT_EQ(get_ulong(s, h, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
  EXPECT_EQ(get(s, h, CKA_ALWAYS_SENSITIVE), Bytes{CK_FALSE});
  EXPECT_EQ(get(s, h, CKA_NEVER_EXTRACTABLE), Bytes{CK_FALSE});
  // RFC 6979 A.2.5's key: Q known, so the public view can verify our signature.
  auto pubs = find_label(s, label, CKO_PUBLIC_KEY);
  ASSERT_EQ(pubs.size(), 1u);
  const Bytes point = get(s, pubs[0], CKA_EC_POINT);
  EXPECT_EQ(unwrap_point(point),
            hex("0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299"));
  const Bytes digest = sha256(Bytes{'x'});
  EXPECT_TRUE(verify_p256(point, digest, sign(s, h, CKM_ECDSA, digest)));
}

TEST_F(FlowTest, EcdhDigestRandom) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, "dh", {3});
  auto [pub2, priv2] = generate_ec(s, "dh2", {4});
  const Bytes p1 = get(s, pub, CKA_EC_POINT), p2 = get(s, pub2, CKA_EC_POINT);
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
    return get(s, out, CKA_VALUE);
  };
  const Bytes a = derive(priv, p2), b = derive(priv2, p1);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, b);

  CK_MECHANISM sha{CKM_SHA256, nullptr, 0};
  ASSERT_EQ(f->C_DigestInit(s, &sha), CKR_OK);
  CK_ULONG len = 0;
  ASSERT_EQ(f->C_Digest(s, (CK_BYTE_PTR) "hello", 5, nullptr, &len), CKR_OK);
  ASSERT_EQ(len, 32u);
  Bytes out(32);
  ASSERT_EQ(f->C_Digest(s, (CK_BYTE_PTR) "hello", 5, out.data(), &len), CKR_OK);
  EXPECT_EQ(out, sha256(Bytes{'h', 'e', 'l', 'l', 'o'}));

  Bytes r1(700), r2(700);
  ASSERT_EQ(f->C_GenerateRandom(s, r1.data(), 700), CKR_OK);
  ASSERT_EQ(f->C_GenerateRandom(s, r2.data(), 700), CKR_OK);
  EXPECT_NE(r1, r2);
  EXPECT_NE(r1, Bytes(700));
  EXPECT_EQ(f->C_SeedRandom(s, r1.data(), 16), CKR_RANDOM_SEED_NOT_SUPPORTED);
}

// The chip (here: the simulator process) goes away and comes back while the
// module stays loaded, as when the broker restarts under Greengrass.
TEST_F(FlowTest, LinkLossIsADeviceErrorAndRecovers) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  auto [pub, priv] = generate_ec(s, kLabel, kId);
  const Bytes point = get(s, pub, CKA_EC_POINT);
  const Bytes digest = sha256(Bytes{4, 5, 6});
  sim->stop();
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &m, priv), CKR_OK);  // host-side only
  Bytes sig(64);
  CK_ULONG len = 64;
  EXPECT_EQ(f->C_Sign(s, const_cast<uint8_t*>(digest.data()), 32, sig.data(), &len), CKR_DEVICE_ERROR);
  sim = sx::testing::start_sim_in(*dir);
  ASSERT_NE(sim, nullptr);
  // Same session, same login, same handles.
  EXPECT_TRUE(verify_p256(point, digest, sign(s, priv, CKM_ECDSA, digest)));
  EXPECT_EQ(find_label(s, kLabel, CKO_PRIVATE_KEY), std::vector<CK_OBJECT_HANDLE>{priv});
}

}  // namespace
}  // namespace sx::p11test
