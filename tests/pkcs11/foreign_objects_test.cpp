// Objects another tool wrote (issue 16): NXP's own PKCS#11 module derives an object's
// ID from SHA-512(label), so about one label in sixteen lands at or above 0xF0000000 --
// where NXP's factory objects live too. The chip's origin attribute, not the ID,
// tells them apart: an object another tool wrote or generated is adoptable and
// deletable like any other; one NXP provisioned is not deletable.
#include <gtest/gtest.h>
#include <openssl/obj_mac.h>

#include <string>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "p11_fixture.h"
#include "se05x/client.h"
#include "support/ossl_check.h"
#include "token/key_material.h"

namespace sx::p11test {
namespace {

constexpr uint32_t kNxpKey = 0xFBF2CE03;   // an NXP-module-style ID of an imported EC key
constexpr uint32_t kNxpCert = 0xF4310A77;  // and of a certificate
constexpr uint32_t kFactoryKey = 0xF0000100;

class ForeignObjects : public P11Test {
 protected:
  // A client that is none of our token code: the SE05x commands over JRCP.
  struct Other {
    link::JrcpClient link;
    se05x::Client chip;
    explicit Other(const link::Endpoint& ep) : link(ep), chip(link) {}
  };
  std::unique_ptr<Other> other() {
    auto ep = link::parse_endpoint(sim->endpoints()[0]);
    EXPECT_TRUE(ep.ok());
    auto o = std::make_unique<Other>(*ep);
    EXPECT_TRUE(o->link.open().ok());
    EXPECT_TRUE(o->chip.select().ok());
    return o;
  }
  void write_foreign_objects() {
    auto o = other();
    auto key = token::parse_private_key_der(sx::testing::ec_private_der(NID_X9_62_prime256v1));
    ASSERT_TRUE(key.ok());
    const token::EcKeyMaterial* ec = key->ec();
    ASSERT_TRUE(ec && !ec->q.empty());
    se05x::EcKeyWrite w;
    w.id = kNxpKey;
    w.curve = se05x::Curve::NistP256;
    w.private_key = ec->d;
    w.public_key = ec->q;
    ASSERT_TRUE(o->chip.ensure_curve(se05x::Curve::NistP256).ok());  // applet 3.x: the curve object first
    auto wr = o->chip.write_ec_key(w);
    ASSERT_TRUE(wr.ok()) << wr.error().to_string();
    nxp_cert = sx::testing::self_signed_cert_der("nxp-made");
    ASSERT_TRUE(o->chip.create_binary(kNxpCert, nxp_cert).ok());
    auto a = o->chip.read_object_attributes(kNxpKey);
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(a->origin, se05x::Origin::External);
  }
  Bytes nxp_cert;
  bool on_chip(uint32_t id) {
    auto e = other()->chip.check_object_exists(id);
    EXPECT_TRUE(e.ok());
    return e.ok() && *e;
  }
  CK_OBJECT_HANDLE by_label(CK_SESSION_HANDLE s, const std::string& label, CK_OBJECT_CLASS cls) {
    auto h = find_label(s, label, cls);
    EXPECT_EQ(h.size(), 1u) << label;
    return h.empty() ? CK_INVALID_HANDLE : h[0];
  }
};

TEST_F(ForeignObjects, AreAdoptableAndDeletableWhileFactoryObjectsAreNot) {
  init();
  provision();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  write_foreign_objects();
  init();
  CK_SESSION_HANDLE s = open();
  login(s);
  // A search by class lists the chip: the new objects appear under their default names.
  CK_OBJECT_CLASS priv = CKO_PRIVATE_KEY;
  EXPECT_GE(find(s, {attr_of(CKA_CLASS, priv)}).size(), 2u);
  const CK_OBJECT_HANDLE key = by_label(s, "sss:FBF2CE03", CKO_PRIVATE_KEY);
  const CK_OBJECT_HANDLE cert = by_label(s, "sss:F4310A77", CKO_CERTIFICATE);
  const CK_OBJECT_HANDLE factory = by_label(s, "sss:F0000100", CKO_PRIVATE_KEY);
  ASSERT_NE(key, CK_INVALID_HANDLE);
  ASSERT_NE(cert, CK_INVALID_HANDLE);
  ASSERT_NE(factory, CK_INVALID_HANDLE);
  EXPECT_EQ(get(s, key, CKA_DESTROYABLE), Bytes{CK_TRUE});
  EXPECT_EQ(get(s, cert, CKA_DESTROYABLE), Bytes{CK_TRUE});
  EXPECT_EQ(get(s, factory, CKA_DESTROYABLE), Bytes{CK_FALSE});
  // Adoptable: a label of ours, kept in the metadata; the key signs.
  const std::string label = "adopted";
  std::vector<CK_ATTRIBUTE> t = {attr_str(CKA_LABEL, label)};
  ASSERT_EQ(f->C_SetAttributeValue(s, key, t.data(), 1), CKR_OK);
  EXPECT_EQ(sign(s, by_label(s, label, CKO_PRIVATE_KEY), CKM_ECDSA, Bytes(32, 1)).size(), 64u);
  // Deletable: gone from the chip; the factory key stays.
  EXPECT_EQ(f->C_DestroyObject(s, key), CKR_OK);
  EXPECT_EQ(f->C_DestroyObject(s, cert), CKR_OK);
  EXPECT_EQ(f->C_DestroyObject(s, factory), CKR_ACTION_PROHIBITED);
  EXPECT_FALSE(on_chip(kNxpKey));
  EXPECT_FALSE(on_chip(kNxpCert));
  EXPECT_TRUE(on_chip(kFactoryKey));
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  // A new process's cold open (the object index only) agrees.
  init();
  s = open();
  EXPECT_TRUE(find_label(s, "sss:F4310A77", CKO_CERTIFICATE).empty());
  EXPECT_TRUE(find_label(s, label, CKO_PRIVATE_KEY).empty());
  EXPECT_EQ(find_label(s, "sss:F0000101", CKO_CERTIFICATE).size(), 1u);
}

// Objects another tool adds after the index was written are found by the first
// search that is not by label or ID; a search by their default label finds them too.
TEST_F(ForeignObjects, AddedBehindTheIndexAreFoundBySearch) {
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  (void)generate_ec(s, "ours", Bytes{1});  // the index now lists what the chip holds
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  write_foreign_objects();
  init();
  s = open();
  EXPECT_EQ(find_label(s, "sss:F4310A77", CKO_CERTIFICATE).size(), 1u);
  CK_OBJECT_CLASS cc = CKO_CERTIFICATE;
  EXPECT_EQ(find(s, {attr_of(CKA_CLASS, cc)}).size(), 3u);  // two factory certificates and the new one
  EXPECT_EQ(get(s, by_label(s, "sss:F4310A77", CKO_CERTIFICATE), CKA_VALUE), nxp_cert);
}

// A key another tool deletes after the index listed it: the process still finds it by
// label (the index; the head did not change), the chip refuses the signature, the module answers
// CKR_FUNCTION_FAILED (not a device error: the link is fine) and lists the chip again,
// so the next search no longer finds it. Host PINs: without a chip policy another
// client may delete the key (with chip PINs only the user's session may).
TEST_F(ForeignObjects, AKeyDeletedBehindTheIndexFailsAndDisappears) {
  use_host_pins();
  init();
  provision();
  CK_SESSION_HANDLE s = open();
  login(s);
  (void)generate_ec(s, "doomed", Bytes{7});
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  init();
  s = open();
  login(s);  // a host-PIN login commits its counter, which lists the chip: delete after it
  constexpr uint32_t kFirst = 0x7B5E0001;  // the first ID the module allocates
  ASSERT_TRUE(on_chip(kFirst));
  ASSERT_TRUE(other()->chip.delete_object(kFirst).ok());
  const CK_OBJECT_HANDLE key = by_label(s, "doomed", CKO_PRIVATE_KEY);
  ASSERT_NE(key, CK_INVALID_HANDLE);
  CK_MECHANISM m{CKM_ECDSA, nullptr, 0};
  ASSERT_EQ(f->C_SignInit(s, &m, key), CKR_OK);
  Bytes digest(32, 3), sig(64);
  CK_ULONG n = sig.size();
  EXPECT_EQ(f->C_Sign(s, digest.data(), static_cast<CK_ULONG>(digest.size()), sig.data(), &n), CKR_FUNCTION_FAILED);
  EXPECT_TRUE(find_label(s, "doomed", CKO_PRIVATE_KEY).empty());
}

}  // namespace
}  // namespace sx::p11test
