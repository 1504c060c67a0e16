// Chip-PIN tokens (docs/chip-pin.md §1-§3) through the module on a simulator:
// init, InitPIN, login with the chip's counter and lockout in the token flags,
// the SO's unlock, C_SetPIN, the counter across a simulator restart, keygen and
// C_Sign in the session; and an attack from a raw JRCP client (link/ only).
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "p11_fixture.h"

namespace sx::p11test {
namespace {

constexpr uint32_t kFirstObject = 0x7B5E0001;  // token/id_range.h kAllocFirst
constexpr uint32_t kSlotA = 0x7B5EFFF0, kPointer = 0x7B5EFFF2;

class ChipPinTest : public P11Test {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    use_chip_config();
  }
  void use_chip_config() {
    use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                          "\nlog_level = warn\nfreshness_ms = 5000\npin_storage = chip\n"
                                          "user_pin_max_attempts = 3\n");
  }
  CK_RV login_as(CK_USER_TYPE who, const std::string& pin) {
    CK_SESSION_HANDLE s = open();
    CK_RV rv = f->C_Login(s, who, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())),
                          static_cast<CK_ULONG>(pin.size()));
    if (rv != CKR_OK) {
      EXPECT_EQ(f->C_CloseSession(s), CKR_OK);
    }
    session = rv == CKR_OK ? s : CK_INVALID_HANDLE;
    return rv;
  }
  void logout_close() {
    EXPECT_EQ(f->C_Logout(session), CKR_OK);
    EXPECT_EQ(f->C_CloseSession(session), CKR_OK);
    session = CK_INVALID_HANDLE;
  }
  CK_RV init_pin(const std::string& pin) {
    return f->C_InitPIN(session, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())),
                        static_cast<CK_ULONG>(pin.size()));
  }
  // C_InitToken with the chip configuration, then the user PIN through the SO session.
  void chip_provision() {
    init();
    CK_UTF8CHAR label[32];
    std::fill(std::begin(label), std::end(label), ' ');
    ASSERT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8, label), CKR_OK);
    ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);
    ASSERT_EQ(init_pin(kUserPin), CKR_OK);
    logout_close();
  }
  CK_FLAGS flags() { return token_info().flags; }

  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
};

constexpr CK_FLAGS kUserCounterFlags = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;

TEST_F(ChipPinTest, InitLoginCountsLocksAndSoUnlocks) {
  chip_provision();
  EXPECT_TRUE(flags() & CKF_TOKEN_INITIALIZED);
  EXPECT_TRUE(flags() & CKF_USER_PIN_INITIALIZED);
  EXPECT_EQ(flags() & kUserCounterFlags, 0u);
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_COUNT_LOW);
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_FINAL_TRY);
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_LOCKED);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_LOCKED);
  // The right PIN no longer opens: the chip counts, not the host.
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_PIN_LOCKED);
  // The SO rewrites the user's UserID: counter back to 0.
  ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);
  ASSERT_EQ(init_pin("5678"), CKR_OK);
  logout_close();
  EXPECT_EQ(flags() & kUserCounterFlags, 0u);
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_PIN_INCORRECT);
  ASSERT_EQ(login_as(CKU_USER, "5678"), CKR_OK);
  logout_close();
}

TEST_F(ChipPinTest, ReinitNeedsTheSoPinAndSetPinRewrites) {
  chip_provision();
  CK_UTF8CHAR label[32];
  std::fill(std::begin(label), std::end(label), ' ');
  EXPECT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>("99999999")), 8, label),
            CKR_PIN_INCORRECT);
  EXPECT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8, label), CKR_OK);
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  const std::string wrong = "1111", next = "24682468";
  auto u = [](const std::string& s) { return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.data())); };
  EXPECT_EQ(f->C_SetPIN(session, u(wrong), 4, u(next), 8), CKR_PIN_INCORRECT);
  EXPECT_EQ(f->C_SetPIN(session, u(kUserPin), 4, u(next), 8), CKR_OK);
  // Still logged in, with the new PIN behind the session.
  auto [pub, priv] = generate_ec(session, "after-setpin", Bytes{1});
  EXPECT_EQ(sign(session, priv, CKM_ECDSA, Bytes(32, 7)).size(), 64u);
  logout_close();
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_PIN_INCORRECT);
  ASSERT_EQ(login_as(CKU_USER, next), CKR_OK);
  logout_close();
}

TEST_F(ChipPinTest, CounterSurvivesSimulatorRestart) {
  chip_provision();
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_INCORRECT);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
  sim.reset();
  sim = sx::testing::start_sim_in(*dir);
  ASSERT_NE(sim, nullptr);
  setenv("SE05X_PORT", sim->endpoints()[0].c_str(), 1);
  init();
  // A process that has tried no PIN reports no counter (issue 16: a cold
  // C_GetTokenInfo reads none); its first failure shows the one before the restart.
  EXPECT_EQ(flags() & kUserCounterFlags, 0u);
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_FINAL_TRY);
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  logout_close();
  EXPECT_EQ(flags() & kUserCounterFlags, 0u);
}

TEST_F(ChipPinTest, ChangesNeedALogin) {
  chip_provision();
  CK_SESSION_HANDLE s = open();
  CK_OBJECT_CLASS cls = CKO_DATA;
  const std::string v = "x";
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;  // named: the template points at them
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, no),
                                 attr_str(CKA_VALUE, v)};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  EXPECT_EQ(f->C_CreateObject(s, t.data(), static_cast<CK_ULONG>(t.size()), &h), CKR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(f->C_CloseSession(s), CKR_OK);
}

// --- A raw client on the link layer only: no module, no session ---------------

Bytes u32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}
Bytes apdu(uint8_t ins, uint8_t p1, uint8_t p2, const Bytes& data, bool le) {
  Bytes a = {0x80, ins, p1, p2, static_cast<uint8_t>(data.size())};
  a.insert(a.end(), data.begin(), data.end());
  if (le) a.push_back(0x00);
  return a;
}
Bytes tlv(uint8_t tag, const Bytes& v) {
  Bytes t = {tag, static_cast<uint8_t>(v.size())};
  t.insert(t.end(), v.begin(), v.end());
  return t;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
uint16_t sw(const Bytes& r) { return r.size() < 2 ? 0 : static_cast<uint16_t>(r[r.size() - 2] << 8 | r.back()); }

struct RawClient {
  explicit RawClient(const std::string& conn) : link(*link::parse_endpoint(conn)) {
    EXPECT_TRUE(link.open().ok());
    Bytes select = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00,
                    0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(sw(send(select)), 0x9000);
  }
  Bytes send(const Bytes& c) {
    auto r = link.transceive(c);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Bytes{};
  }
  Bytes read(uint32_t id) { return send(apdu(0x02, 0x00, 0x00, tlv(0x41, u32(id)), true)); }
  // A whole file, in chunks (the size needs no right).
  Bytes read_file(uint32_t id) {
    const Bytes sz = send(apdu(0x02, 0x00, 0x07, tlv(0x41, u32(id)), true));
    EXPECT_EQ(sw(sz), 0x9000);
    if (sz.size() < 6) return {};
    const size_t size = static_cast<size_t>(sz[2] << 8 | sz[3]);
    Bytes out;
    for (size_t off = 0; off < size; off += 128) {
      const size_t n = std::min<size_t>(128, size - off);
      const Bytes o = {static_cast<uint8_t>(off >> 8), static_cast<uint8_t>(off)};
      const Bytes l = {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
      Bytes r = send(apdu(0x02, 0x00, 0x00, cat({tlv(0x41, u32(id)), tlv(0x42, o), tlv(0x43, l)}), true));
      EXPECT_EQ(sw(r), 0x9000);
      if (r.size() < 4) break;
      out.insert(out.end(), r.begin() + 2 + (r[1] == 0x81 ? 1 : r[1] == 0x82 ? 2 : 0), r.end() - 2);
    }
    return out;
  }
  link::JrcpClient link;
};

Bytes pin_value(const Bytes& uid, const std::string& pin) {
  Bytes in(std::string_view("se05x-pkcs11 chip PIN v1").begin(), std::string_view("se05x-pkcs11 chip PIN v1").end());
  in.insert(in.end(), uid.begin(), uid.end());
  in.insert(in.end(), pin.begin(), pin.end());
  Bytes h(SHA256_DIGEST_LENGTH);
  SHA256(in.data(), in.size(), h.data());
  h.resize(16);
  return h;
}

bool contains(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST_F(ChipPinTest, RawClientWithoutSessionIsRefused) {
  chip_provision();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  auto [pub, priv] = generate_ec(session, "attack-key", Bytes{2});  // chip object kFirstObject
  CK_OBJECT_CLASS cls = CKO_DATA;
  const std::string secret = "the private data";
  const std::string label = "secret";
  CK_BBOOL yes = CK_TRUE;  // named: the template points at it
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes),
                                 attr_str(CKA_VALUE, secret), attr_str(CKA_LABEL, label)};
  CK_OBJECT_HANDLE data = CK_INVALID_HANDLE;
  ASSERT_EQ(f->C_CreateObject(session, t.data(), static_cast<CK_ULONG>(t.size()), &data), CKR_OK);
  EXPECT_EQ(get(session, data, CKA_VALUE), Bytes(secret.begin(), secret.end()));
  EXPECT_EQ(sign(session, priv, CKM_ECDSA, Bytes(32, 1)).size(), 64u);
  logout_close();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

  RawClient raw(sim->endpoints()[0]);
  const uint32_t key = kFirstObject, priv_data = kFirstObject + 1;
  // The objects are where we think (READ of the key's public half is public).
  EXPECT_EQ(sw(raw.read(key)), 0x9000);
  EXPECT_EQ(sw(raw.send(apdu(0x02, 0x00, 0x07, tlv(0x41, u32(priv_data)), true))), 0x9000);
  // Sign with the user's key, read the private data object: refused.
  const Bytes sign_cmd = cat({tlv(0x41, u32(key)), tlv(0x42, {0x21}), tlv(0x43, Bytes(32, 1))});
  EXPECT_EQ(sw(raw.send(apdu(0x03, 0x0C, 0x09, sign_cmd, true))), 0x6986);
  EXPECT_EQ(sw(raw.read(priv_data)), 0x6986);
  // The metadata and the objects can be neither rewritten nor deleted.
  const Bytes wb = cat({tlv(0x41, u32(kSlotA)), tlv(0x42, {0x00, 0x00}), tlv(0x44, Bytes(8, 0))});
  EXPECT_EQ(sw(raw.send(apdu(0x01, 0x06, 0x00, wb, false))), 0x6986);
  for (uint32_t id : {kSlotA, kPointer, key, priv_data})
    EXPECT_EQ(sw(raw.send(apdu(0x04, 0x00, 0x28, tlv(0x41, u32(id)), false))), 0x6986) << std::hex << id;
  // Nothing derived from a PIN in the metadata (the slot is public to read).
  const Bytes uid = [&] {
    Bytes r = raw.read(0x7FFF0206);
    return r.size() > 4 ? Bytes(r.begin() + 2, r.end() - 2) : Bytes{};
  }();
  ASSERT_FALSE(uid.empty());
  // Both slots: the current image and the one before it.
  const Bytes slots = cat({raw.read_file(kSlotA), raw.read_file(kSlotA + 1)});
  ASSERT_GT(slots.size(), 32u);
  EXPECT_TRUE(contains(slots, Bytes{'s', 'e', 'c', 'r', 'e', 't'}));  // the label is there: the reads work
  for (const std::string& pin : {std::string(kUserPin), std::string(kSoPin)}) {
    const Bytes v = pin_value(uid, pin);
    EXPECT_FALSE(contains(slots, v));
    EXPECT_FALSE(contains(slots, Bytes(v.begin(), v.begin() + 8)));
    EXPECT_FALSE(contains(slots, Bytes(pin.begin(), pin.end())));
  }
}

// A session key pair is a transient chip object with the same user-only policy: a raw
// client (link/ only, no session, no PIN) finds it in the session-key range but can
// neither sign with it nor delete it, while the module that made it is still running.
TEST_F(ChipPinTest, RawClientCannotUseOrDeleteASessionKey) {
  chip_provision();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  CK_BBOOL no = CK_FALSE;
  const Bytes p256 = hex("06082A8648CE3D030107");
  std::vector<CK_ATTRIBUTE> pub = {attr_of(CKA_TOKEN, no), attr_bytes(CKA_EC_PARAMS, p256)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, no)};
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(session, &gen, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);
  EXPECT_EQ(sign(session, hpriv, CKM_ECDSA, Bytes(32, 1)).size(), 64u);

  RawClient raw(sim->endpoints()[0]);
  std::vector<uint32_t> found;
  for (uint32_t id = 0x7B5EFF00; id <= 0x7B5EFFEF; ++id) {  // token/id_range.h kSessionFirst..Last
    const Bytes r = raw.send(apdu(0x04, 0x00, 0x27, tlv(0x41, u32(id)), true));
    if (sw(r) == 0x9000 && r.size() >= 3 && r[r.size() - 3] == 0x01) found.push_back(id);
  }
  ASSERT_EQ(found.size(), 1u);
  const Bytes sign_cmd = cat({tlv(0x41, u32(found[0])), tlv(0x42, {0x21}), tlv(0x43, Bytes(32, 1))});
  EXPECT_EQ(sw(raw.send(apdu(0x03, 0x0C, 0x09, sign_cmd, true))), 0x6986);
  EXPECT_EQ(sw(raw.send(apdu(0x04, 0x00, 0x28, tlv(0x41, u32(found[0])), false))), 0x6986);
}

// A raw session of the user's UserID (link/ only): CreateSession, then the wrapped
// VerifySessionUserID (docs/se05x-protocol.md §4.9.2-§4.9.3). Returns the session ID.
Bytes wrap(const Bytes& sid, const Bytes& inner) {
  return apdu(0x05, 0x00, 0x00, cat({tlv(0x10, sid), tlv(0x41, inner)}), false);
}
Bytes raw_user_session(RawClient& raw, const Bytes& value) {
  const Bytes r = raw.send({0x80, 0x04, 0x00, 0x1B, 0x06, 0x41, 0x04, 0x7B, 0x5E, 0xFF, 0xF9});
  EXPECT_EQ(sw(r), 0x9000);
  if (r.size() != 12) return {};
  const Bytes sid(r.begin() + 2, r.begin() + 10);
  EXPECT_EQ(sw(raw.send(wrap(sid, apdu(0x04, 0x00, 0x2C, tlv(0x41, value), false)))), 0x9000);
  return sid;
}
Bytes raw_uid(RawClient& raw) {
  Bytes r = raw.read(0x7FFF0206);
  return r.size() > 4 ? Bytes(r.begin() + 2, r.end() - 2) : Bytes{};
}

// CKA_SIGN = FALSE is a missing right on the chip: even a session of the user's
// UserID (opened by a raw client that knows the PIN) cannot sign with the key.
TEST_F(ChipPinTest, SignFalseKeyRefusedEvenInTheUsersSession) {
  chip_provision();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  static const Bytes p256 = hex("06082A8648CE3D030107");
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;  // named: the templates point at them
  const std::string label = "no-sign";
  const Bytes id = {7};
  std::vector<CK_ATTRIBUTE> pub = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, label),
                                   attr_bytes(CKA_ID, id)};
  std::vector<CK_ATTRIBUTE> priv = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_str(CKA_LABEL, label),
                                    attr_bytes(CKA_ID, id), attr_of(CKA_SIGN, no)};
  CK_MECHANISM m{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(session, &m, pub.data(), static_cast<CK_ULONG>(pub.size()), priv.data(),
                                 static_cast<CK_ULONG>(priv.size()), &hpub, &hpriv),
            CKR_OK);  // chip object kFirstObject
  auto [pub2, signer] = generate_ec(session, "signer", Bytes{8});  // kFirstObject + 1
  EXPECT_EQ(get(session, hpriv, CKA_SIGN), Bytes{CK_FALSE});
  CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
  EXPECT_EQ(f->C_SignInit(session, &ecdsa, hpriv), CKR_KEY_FUNCTION_NOT_PERMITTED);
  EXPECT_EQ(sign(session, signer, CKM_ECDSA, Bytes(32, 1)).size(), 64u);
  logout_close();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

  RawClient raw(sim->endpoints()[0]);
  const Bytes uid = raw_uid(raw);
  ASSERT_FALSE(uid.empty());
  const Bytes sid = raw_user_session(raw, pin_value(uid, kUserPin));
  ASSERT_EQ(sid.size(), 8u);
  auto sign_cmd = [](uint32_t key) {
    return apdu(0x03, 0x0C, 0x09, cat({tlv(0x41, u32(key)), tlv(0x42, {0x21}), tlv(0x43, Bytes(32, 1))}), false);
  };
  EXPECT_EQ(sw(raw.send(wrap(sid, sign_cmd(kFirstObject)))), 0x6986);
  EXPECT_EQ(sw(raw.send(wrap(sid, sign_cmd(kFirstObject + 1)))), 0x9000);
  EXPECT_EQ(sw(raw.send(wrap(sid, {0x80, 0x04, 0x00, 0x1C}))), 0x9000);
}

// C_SetPIN in the user's session: the chip checks the old PIN and counts a wrong one.
TEST_F(ChipPinTest, SetPinOldPinCountedByTheChip) {
  chip_provision();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  auto u = [](const std::string& s) { return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(s.data())); };
  const std::string wrong = "1111", next = "97531";
  EXPECT_EQ(f->C_SetPIN(session, u(wrong), 4, u(next), 5), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_COUNT_LOW);
  EXPECT_EQ(f->C_SetPIN(session, u(wrong), 4, u(next), 5), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_FINAL_TRY);
  EXPECT_EQ(f->C_SetPIN(session, u(wrong), 4, u(next), 5), CKR_PIN_LOCKED);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_LOCKED);
  // Locked: not even the right old PIN changes it now.
  EXPECT_EQ(f->C_SetPIN(session, u(kUserPin), 4, u(next), 5), CKR_PIN_LOCKED);
  logout_close();
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_PIN_LOCKED);
}

// A token made with host PINs (the previous release) is upgraded at the SO's first
// login through the module set to chip PINs; the user's next login finishes it.
TEST_F(ChipPinTest, HostPinTokenUpgradedAtTheSoLogin) {
  use_config(dir->file("host.conf"), "lock_file = " + dir->file("p11.lock") + "\nlog_level = warn\npin_storage = host\n");
  init();
  CK_UTF8CHAR label[32];
  std::fill(std::begin(label), std::end(label), ' ');
  ASSERT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8, label), CKR_OK);
  ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);
  ASSERT_EQ(init_pin(kUserPin), CKR_OK);
  logout_close();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  (void)generate_ec(session, "old-key", Bytes{1});  // kFirstObject
  CK_OBJECT_CLASS cls = CKO_DATA;
  const std::string secret = "host-era secret", dlabel = "secret";
  CK_BBOOL yes = CK_TRUE;  // named: the template points at it
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes),
                                 attr_str(CKA_VALUE, secret), attr_str(CKA_LABEL, dlabel)};
  CK_OBJECT_HANDLE data = CK_INVALID_HANDLE;
  ASSERT_EQ(f->C_CreateObject(session, t.data(), static_cast<CK_ULONG>(t.size()), &data), CKR_OK);  // + 1
  logout_close();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

  use_chip_config();
  init();
  EXPECT_EQ(login_as(CKU_SO, "00000000"), CKR_PIN_INCORRECT);
  ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);  // the upgrade
  logout_close();
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);  // the user's UserID
  const std::string old_label = "old-key";
  CK_OBJECT_CLASS pcls = CKO_PRIVATE_KEY;
  auto keys = find(session, {attr_of(CKA_CLASS, pcls), attr_str(CKA_LABEL, old_label)});
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(sign(session, keys[0], CKM_ECDSA, Bytes(32, 3)).size(), 64u);
  auto datas = find(session, {attr_of(CKA_CLASS, cls), attr_str(CKA_LABEL, dlabel)});
  ASSERT_EQ(datas.size(), 1u);
  EXPECT_EQ(get(session, datas[0], CKA_VALUE), Bytes(secret.begin(), secret.end()));
  logout_close();
  // The chip counts the user's PIN now.
  EXPECT_EQ(login_as(CKU_USER, "0000"), CKR_PIN_INCORRECT);
  EXPECT_EQ(flags() & kUserCounterFlags, CKF_USER_PIN_COUNT_LOW);
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);

  RawClient raw(sim->endpoints()[0]);
  // The private data object was copied under a new ID with its policy; the original is gone.
  EXPECT_NE(sw(raw.send(apdu(0x02, 0x00, 0x07, tlv(0x41, u32(kFirstObject + 1)), true))), 0x9000);
  EXPECT_EQ(sw(raw.read(kFirstObject + 2)), 0x6986);
  // The key made before the upgrade keeps its old policy (listed as not PIN-protected).
  const Bytes sign_cmd = cat({tlv(0x41, u32(kFirstObject)), tlv(0x42, {0x21}), tlv(0x43, Bytes(32, 1))});
  EXPECT_EQ(sw(raw.send(apdu(0x03, 0x0C, 0x09, sign_cmd, true))), 0x9000);
}

}  // namespace
}  // namespace sx::p11test
