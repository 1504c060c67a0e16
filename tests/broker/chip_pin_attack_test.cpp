// Issue 12's attack, complete (docs/chip-pin.md §2, §6): a user makes a chip-PIN token
// through the real module (dlopen, C_GetFunctionList) with an EC P-256 key pair
// (CKA_SIGN, CKA_DERIVE), an RSA-2048 key pair (CKA_DECRYPT, CKA_SIGN) and a
// CKA_PRIVATE data object; then an attacker without the PIN talks to the chip with a
// raw JRCP client built on src/link only — every APDU written out here byte by byte —
// through the built se05xd in front of se05x-sim (the requirement) and, as a second
// parameter, straight to the simulator. Everything the attacker tries must be refused
// by the chip: key use 6986 (docs/se05x-protocol.md §4.9.5), private data, metadata and
// objects neither read, written nor deleted, no PIN-derived bytes in the public
// metadata, and guessing in a raw session of the user's UserID is counted by the chip
// and locks it (§4.9.4) — after which the module reports CKR_PIN_LOCKED until the SO's
// C_InitPIN unlocks it.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "pkcs11/p11_fixture.h"

namespace sx::p11test {
namespace {

// Where the module puts things (token/id_range.h, docs/chip-pin.md §1): the first
// objects it allocates, the metadata slots and pointer, the user's UserID; the chip's
// unique ID (docs/se05x-protocol.md §5.2).
constexpr uint32_t kAttackFirst = 0x7B5E0001;
constexpr uint32_t kAttackSlotA = 0x7B5EFFF0, kAttackSlotB = 0x7B5EFFF1, kAttackPointer = 0x7B5EFFF2;
constexpr uint32_t kAttackUserAuth = 0x7B5EFFF9, kAttackUniqueId = 0x7FFF0206;
constexpr int kAttackMaxAttempts = 3;  // user_pin_max_attempts in the module configuration
constexpr const char* kNewUserPin = "24680";  // the SO's C_InitPIN after the lock

// --- The attacker's raw client: src/link and bytes, nothing else ----------------

Bytes be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}
Bytes tl(uint8_t tag, const Bytes& v) {  // TLV with a one-byte length (every value here < 128)
  Bytes t = {tag, static_cast<uint8_t>(v.size())};
  t.insert(t.end(), v.begin(), v.end());
  return t;
}
Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
// Short case S / E APDU, class 80 (docs/se05x-protocol.md §4.2).
Bytes cmd(uint8_t ins, uint8_t p1, uint8_t p2, const Bytes& data, bool le) {
  Bytes a = {0x80, ins, p1, p2, static_cast<uint8_t>(data.size())};
  a.insert(a.end(), data.begin(), data.end());
  if (le) a.push_back(0x00);
  return a;
}
uint16_t sw_of(const Bytes& r) {
  return r.size() < 2 ? 0 : static_cast<uint16_t>(r[r.size() - 2] << 8 | r.back());
}
// The value of the first TLV of an answer (without its SW), lengths 1, 81 LL or 82 HH LL.
Bytes tlv_value(const Bytes& r) {
  if (r.size() < 4) return {};
  size_t at = 2, n = r[1];
  if (n == 0x81) n = r[2], at = 3;
  else if (n == 0x82) n = static_cast<size_t>(r[2] << 8 | r[3]), at = 4;
  if (at + n + 2 != r.size()) return {};
  return Bytes(r.begin() + static_cast<std::ptrdiff_t>(at), r.begin() + static_cast<std::ptrdiff_t>(at + n));
}

struct Attacker {
  explicit Attacker(const std::string& conn) : link(*link::parse_endpoint(conn)) {
    EXPECT_TRUE(link.open().ok());
    // SELECT of the applet by its AID, Le 00 (docs/se05x-protocol.md §4.1).
    const Bytes select = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x03, 0x96, 0x54, 0x53, 0x00,
                          0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(sw_of(send(select)), 0x9000);
  }
  Bytes send(const Bytes& c) {
    auto r = link.transceive(c);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Bytes{};
  }
  // ReadObject (§4.6.3), whole object or an RSA component.
  Bytes read(uint32_t id) { return send(cmd(0x02, 0x00, 0x00, tl(0x41, be32(id)), true)); }
  Bytes read_modulus(uint32_t id) { return send(cmd(0x02, 0x00, 0x00, join({tl(0x41, be32(id)), tl(0x44, {0x00})}), true)); }
  Bytes read_size(uint32_t id) { return send(cmd(0x02, 0x00, 0x07, tl(0x41, be32(id)), true)); }
  // A whole binary file in 128-byte pieces (ReadSize needs no right, §4.6.2).
  Bytes read_file(uint32_t id) {
    const Bytes size_answer = read_size(id);
    EXPECT_EQ(sw_of(size_answer), 0x9000) << std::hex << id;
    const Bytes sz = tlv_value(size_answer);
    if (sz.size() != 2) return {};
    const size_t size = static_cast<size_t>(sz[0] << 8 | sz[1]);
    Bytes out;
    for (size_t off = 0; off < size; off += 128) {
      const size_t n = std::min<size_t>(128, size - off);
      const Bytes o = {static_cast<uint8_t>(off >> 8), static_cast<uint8_t>(off)};
      const Bytes l = {static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
      const Bytes v = tlv_value(send(cmd(0x02, 0x00, 0x00, join({tl(0x41, be32(id)), tl(0x42, o), tl(0x43, l)}), true)));
      EXPECT_EQ(v.size(), n);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }
  // ReadObjectAttributes (§4.8, §4.9.4): the failure counter is bytes 6-7, the maximum 12-13.
  int counter(uint32_t auth) {
    const Bytes a = tlv_value(send(cmd(0x02, 0x00, 0x3B, tl(0x41, be32(auth)), true)));
    return a.size() < 14 ? -1 : a[6] << 8 | a[7];
  }
  int max_attempts(uint32_t auth) {
    const Bytes a = tlv_value(send(cmd(0x02, 0x00, 0x3B, tl(0x41, be32(auth)), true)));
    return a.size() < 14 ? -1 : a[12] << 8 | a[13];
  }
  link::JrcpClient link;
};

// Inside a session: 80 05 00 00 Lc 10 08 <session ID> 41 L <inner without Le> (§4.9.3).
Bytes in_session(const Bytes& sid, const Bytes& inner) {
  return cmd(0x05, 0x00, 0x00, join({tl(0x10, sid), tl(0x41, inner)}), false);
}

// ECDSASign with SHA-256 (§4.6.9).
Bytes ecdsa_sign(uint32_t key, bool le) {
  return cmd(0x03, 0x0C, 0x09, join({tl(0x41, be32(key)), tl(0x42, {0x21}), tl(0x43, Bytes(32, 0x5A))}), le);
}
// ECDHGenerateSharedSecret with a peer point (§4.6.9), case E.
Bytes ecdh(uint32_t key, const Bytes& peer_point) {
  return cmd(0x03, 0x01, 0x0F, join({tl(0x41, be32(key)), tl(0x42, peer_point)}), true);
}
// RSADecrypt, raw (algorithm 0C), 256-byte input: extended Lc 00 01 0D and Le 00 00 (§4.6.10, §4.2).
Bytes rsa_decrypt_raw(uint32_t key) {
  Bytes input(256, 0x5A);
  input[0] = 0x00;  // below any 2048-bit modulus
  Bytes a = {0x80, 0x03, 0x02, 0x38, 0x00, 0x01, 0x0D};
  append(a, tl(0x41, be32(key)));
  append(a, Bytes{0x42, 0x01, 0x0C, 0x43, 0x82, 0x01, 0x00});
  append(a, input);
  append(a, Bytes{0x00, 0x00});
  return a;
}
Bytes delete_object(uint32_t id) { return cmd(0x04, 0x00, 0x28, tl(0x41, be32(id)), false); }
Bytes create_session(uint32_t auth) { return cmd(0x04, 0x00, 0x1B, tl(0x41, be32(auth)), false); }
Bytes verify_user_id(const Bytes& value) { return cmd(0x04, 0x00, 0x2C, tl(0x41, value), false); }
const Bytes kCloseSession = {0x80, 0x04, 0x00, 0x1C};

// The UserID value the module derives (docs/chip-pin.md §1): the first 16 bytes of
// SHA-256 over a context string, the chip's unique ID and the PIN.
Bytes user_id_value(const Bytes& uid, const std::string& pin) {
  constexpr std::string_view ctx = "se05x-pkcs11 chip PIN v1";
  Bytes in(ctx.begin(), ctx.end());
  in.insert(in.end(), uid.begin(), uid.end());
  in.insert(in.end(), pin.begin(), pin.end());
  Bytes h(SHA256_DIGEST_LENGTH);
  SHA256(in.data(), in.size(), h.data());
  h.resize(16);
  return h;
}
bool holds(const Bytes& hay, const Bytes& needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// --- The user's token, made through the module ---------------------------------

enum class Via { Broker, Simulator };

class ChipPinAttack : public P11Test, public ::testing::WithParamInterface<Via> {
 protected:
  void SetUp() override {
    P11Test::SetUp();
    if (HasFatalFailure()) return;
    use_config(dir->file("p11.conf"), "lock_file = " + dir->file("p11.lock") +
                                          "\nlog_level = warn\nfreshness_ms = 5000\npin_storage = chip\n"
                                          "user_pin_max_attempts = " +
                                          std::to_string(kAttackMaxAttempts) + "\n");
    if (GetParam() == Via::Broker) use_broker();  // SE05X_PORT becomes se05xd's socket
    if (HasFatalFailure()) return;
    endpoint = std::getenv("SE05X_PORT");
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
  void make_token();
  void make_keys();
  void refused_without_session(Attacker& raw);
  Bytes public_metadata(Attacker& raw, std::initializer_list<const char*> pins);
  uint16_t raw_login(Attacker& raw, const Bytes& value, bool try_sign);
  void guesses_lock(Attacker& raw);
  void module_sees_lock_and_so_unlocks();

  std::string endpoint;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  Bytes ec_point, rsa_modulus;
  const std::string secret = "the user's private data";
};

void ChipPinAttack::make_token() {
  init();
  CK_UTF8CHAR label[32];
  std::fill(std::begin(label), std::end(label), ' ');
  ASSERT_EQ(f->C_InitToken(0, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kSoPin)), 8, label), CKR_OK);
  ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);
  ASSERT_EQ(init_pin(kUserPin), CKR_OK);
  logout_close();
  ASSERT_EQ(login_as(CKU_USER, kUserPin), CKR_OK);
  make_keys();
  logout_close();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
}

// In the user's session: the EC pair (chip object kAttackFirst), the RSA pair (+1) and
// the private data object (+2), each used once through the module: the user can.
void ChipPinAttack::make_keys() {
  static const Bytes p256 = hex("06082A8648CE3D030107");
  static const Bytes e = {0x01, 0x00, 0x01};
  CK_BBOOL yes = CK_TRUE;  // named: the templates point at them
  CK_ULONG bits = 2048;
  const std::string ec_label = "attack-ec", rsa_label = "attack-rsa", data_label = "attack-secret";
  const Bytes ec_id = {0xEC}, rsa_id = {0x5A};
  CK_MECHANISM ec_gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0}, rsa_gen{CKM_RSA_PKCS_KEY_PAIR_GEN, nullptr, 0};
  std::vector<CK_ATTRIBUTE> ec_pub = {attr_bytes(CKA_EC_PARAMS, p256), attr_of(CKA_TOKEN, yes),
                                      attr_str(CKA_LABEL, ec_label), attr_bytes(CKA_ID, ec_id)};
  std::vector<CK_ATTRIBUTE> ec_priv_t = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_str(CKA_LABEL, ec_label),
                                         attr_bytes(CKA_ID, ec_id), attr_of(CKA_SIGN, yes), attr_of(CKA_DERIVE, yes)};
  CK_OBJECT_HANDLE ec_pub_h = 0, ec_priv = 0, rsa_pub_h = 0, rsa_priv_h = 0;
  ASSERT_EQ(f->C_GenerateKeyPair(session, &ec_gen, ec_pub.data(), static_cast<CK_ULONG>(ec_pub.size()), ec_priv_t.data(),
                                 static_cast<CK_ULONG>(ec_priv_t.size()), &ec_pub_h, &ec_priv),
            CKR_OK);
  std::vector<CK_ATTRIBUTE> rsa_pub = {attr_of(CKA_MODULUS_BITS, bits), attr_bytes(CKA_PUBLIC_EXPONENT, e),
                                       attr_of(CKA_TOKEN, yes), attr_str(CKA_LABEL, rsa_label), attr_bytes(CKA_ID, rsa_id)};
  std::vector<CK_ATTRIBUTE> rsa_priv = {attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes), attr_str(CKA_LABEL, rsa_label),
                                        attr_bytes(CKA_ID, rsa_id), attr_of(CKA_DECRYPT, yes), attr_of(CKA_SIGN, yes)};
  ASSERT_EQ(f->C_GenerateKeyPair(session, &rsa_gen, rsa_pub.data(), static_cast<CK_ULONG>(rsa_pub.size()),
                                 rsa_priv.data(), static_cast<CK_ULONG>(rsa_priv.size()), &rsa_pub_h, &rsa_priv_h),
            CKR_OK);
  CK_OBJECT_CLASS cls = CKO_DATA;
  std::vector<CK_ATTRIBUTE> t = {attr_of(CKA_CLASS, cls), attr_of(CKA_TOKEN, yes), attr_of(CKA_PRIVATE, yes),
                                 attr_str(CKA_VALUE, secret), attr_str(CKA_LABEL, data_label)};
  CK_OBJECT_HANDLE data = CK_INVALID_HANDLE;
  ASSERT_EQ(f->C_CreateObject(session, t.data(), static_cast<CK_ULONG>(t.size()), &data), CKR_OK);
  const Bytes der_point = get(session, ec_pub_h, CKA_EC_POINT);  // 04 41 || 04 X Y
  ASSERT_EQ(der_point.size(), 67u);
  ec_point.assign(der_point.begin() + 2, der_point.end());
  rsa_modulus = get(session, rsa_priv_h, CKA_MODULUS);
  EXPECT_EQ(get(session, data, CKA_VALUE), Bytes(secret.begin(), secret.end()));
  EXPECT_EQ(sign(session, ec_priv, CKM_ECDSA, Bytes(32, 1)).size(), 64u);
}

// --- The attack --------------------------------------------------------------

constexpr uint32_t kEcKey = kAttackFirst, kRsaKey = kAttackFirst + 1, kPrivData = kAttackFirst + 2;

// Without a session: the objects are where the attacker thinks (public halves and sizes
// are public), but no use of the user's keys, no private data, no write, no delete.
void ChipPinAttack::refused_without_session(Attacker& raw) {
  EXPECT_EQ(tlv_value(raw.read(kEcKey)), ec_point);
  EXPECT_EQ(tlv_value(raw.read_modulus(kRsaKey)), rsa_modulus);
  EXPECT_EQ(tlv_value(raw.read_size(kPrivData)), (Bytes{0x00, static_cast<uint8_t>(secret.size())}));
  // ECDSASign, RSA decrypt, ECDH with the user's keys → 6986 (docs/se05x-protocol.md §4.9.5).
  EXPECT_EQ(sw_of(raw.send(ecdsa_sign(kEcKey, true))), 0x6986);
  EXPECT_EQ(sw_of(raw.send(rsa_decrypt_raw(kRsaKey))), 0x6986);
  EXPECT_EQ(sw_of(raw.send(ecdh(kEcKey, ec_point))), 0x6986);
  const Bytes leaked = raw.read(kPrivData);
  EXPECT_EQ(sw_of(leaked), 0x6986);
  EXPECT_FALSE(holds(leaked, Bytes(secret.begin(), secret.end())));
  // WriteBinary into the current metadata slot (§4.6.6), DeleteSecureObject (§4.6.7).
  const Bytes wb = join({tl(0x41, be32(kAttackSlotA)), tl(0x44, Bytes(8, 0))});
  EXPECT_EQ(sw_of(raw.send(cmd(0x01, 0x06, 0x00, wb, false))), 0x6986);
  for (uint32_t id : {kEcKey, kRsaKey, kPrivData, kAttackSlotA, kAttackSlotB, kAttackPointer, kAttackUserAuth})
    EXPECT_EQ(sw_of(raw.send(delete_object(id))), 0x6986) << std::hex << id;
}

// Both metadata slots (the current image and the one before it): public to read, and
// nothing in them derived from these PINs — neither the UserID value (nor half of it)
// nor the PIN itself.
Bytes ChipPinAttack::public_metadata(Attacker& raw, std::initializer_list<const char*> pins) {
  const Bytes uid = tlv_value(raw.read(kAttackUniqueId));
  EXPECT_EQ(uid.size(), 18u);
  const Bytes slots = join({raw.read_file(kAttackSlotA), raw.read_file(kAttackSlotB)});
  EXPECT_TRUE(holds(slots, Bytes{'a', 't', 't', 'a', 'c', 'k', '-', 'e', 'c'}));  // the reads work
  for (const std::string pin : pins) {
    const Bytes v = user_id_value(uid, pin);
    EXPECT_FALSE(holds(slots, v)) << pin;
    EXPECT_FALSE(holds(slots, Bytes(v.begin(), v.begin() + 8))) << pin;
    EXPECT_FALSE(holds(slots, Bytes(pin.begin(), pin.end()))) << pin;
  }
  return slots;
}

// One raw session of the user's UserID: CreateSession, VerifySessionUserID(value) in the
// wrapper (§4.9.2-§4.9.3), optionally an ECDSASign in it, CloseSession. The verify's SW.
uint16_t ChipPinAttack::raw_login(Attacker& raw, const Bytes& value, bool try_sign) {
  const Bytes r = raw.send(create_session(kAttackUserAuth));
  EXPECT_EQ(sw_of(r), 0x9000);
  const Bytes sid = tlv_value(r);
  EXPECT_EQ(sid.size(), 8u);
  const uint16_t sw = sw_of(raw.send(in_session(sid, verify_user_id(value))));
  if (try_sign) {  // an unproven session is no way around the policy
    EXPECT_NE(sw_of(raw.send(in_session(sid, ecdsa_sign(kEcKey, false)))), 0x9000);
  }
  EXPECT_EQ(sw_of(raw.send(in_session(sid, kCloseSession))), 0x9000);
  return sw;
}

// Guessing: every wrong value counts on the chip (ReadObjectAttributes, §4.9.4), and at
// the maximum the chip refuses even the right value without comparing (docs/simulator.md).
void ChipPinAttack::guesses_lock(Attacker& raw) {
  const Bytes uid = tlv_value(raw.read(kAttackUniqueId));
  ASSERT_EQ(raw.counter(kAttackUserAuth), 0);
  ASSERT_EQ(raw.max_attempts(kAttackUserAuth), kAttackMaxAttempts);
  for (int i = 1; i <= kAttackMaxAttempts; ++i) {
    EXPECT_EQ(raw_login(raw, user_id_value(uid, "000" + std::to_string(i)), i == 1), 0x6985) << "guess " << i;
    EXPECT_EQ(raw.counter(kAttackUserAuth), i) << "after guess " << i;
  }
  EXPECT_EQ(raw_login(raw, user_id_value(uid, kUserPin), true), 0x6983);
  EXPECT_EQ(raw.counter(kAttackUserAuth), kAttackMaxAttempts);
  EXPECT_EQ(sw_of(raw.send(ecdsa_sign(kEcKey, true))), 0x6986);
}

// The module sees the chip's lock; the SO's C_InitPIN (with a new PIN) unlocks it.
void ChipPinAttack::module_sees_lock_and_so_unlocks() {
  init();
  // The chip refuses; the module's token information shows the lock from then on (a
  // process that tried no PIN reads no counters: issue 16, docs/pkcs11-module.md §9b).
  EXPECT_EQ(login_as(CKU_USER, kUserPin), CKR_PIN_LOCKED);
  EXPECT_TRUE(token_info().flags & CKF_USER_PIN_LOCKED);
  ASSERT_EQ(login_as(CKU_SO, kSoPin), CKR_OK);
  ASSERT_EQ(init_pin(kNewUserPin), CKR_OK);
  logout_close();
  EXPECT_EQ(token_info().flags & CKF_USER_PIN_LOCKED, 0u);
  ASSERT_EQ(login_as(CKU_USER, kNewUserPin), CKR_OK);
  const auto keys = find_label(session, "attack-ec", CKO_PRIVATE_KEY);  // handles of before C_Finalize are gone
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(sign(session, keys[0], CKM_ECDSA, Bytes(32, 2)).size(), 64u);
  logout_close();
  ASSERT_EQ(f->C_Finalize(nullptr), CKR_OK);
}

TEST_P(ChipPinAttack, RawClientGetsNothingAndItsGuessesLockThePin) {
  make_token();
  if (HasFatalFailure()) return;
  Bytes slots;
  {
    Attacker raw(endpoint);
    refused_without_session(raw);
    slots = public_metadata(raw, {kUserPin, kSoPin});
    guesses_lock(raw);
    (void)raw.link.close();
  }
  if (HasFatalFailure()) return;
  module_sees_lock_and_so_unlocks();
  if (HasFatalFailure()) return;
  Attacker raw(endpoint);
  EXPECT_EQ(raw.counter(kAttackUserAuth), 0);  // the chip's counter, reset by the SO
  // Only the user PIN changed: metadata that held anything derived from it (a verifier,
  // a salt-and-hash) would differ now. It is byte for byte the same.
  const Bytes now = public_metadata(raw, {kNewUserPin});
  EXPECT_TRUE(now == slots) << "the metadata slots changed with the user PIN (" << slots.size() << " -> " << now.size()
                            << " bytes)";
}

INSTANTIATE_TEST_SUITE_P(Via, ChipPinAttack, ::testing::Values(Via::Broker, Via::Simulator),
                         [](const ::testing::TestParamInfo<Via>& p) {
                           return p.param == Via::Broker ? "ThroughSe05xd" : "StraightToSimulator";
                         });

}  // namespace
}  // namespace sx::p11test
