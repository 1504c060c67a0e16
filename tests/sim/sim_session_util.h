// Test helpers for user sessions: APDU builders for WriteUserID, the session wrapper and
// inner commands, and a card with a P-256 curve and session shortcuts.
#pragma once

#include "sim_test_util.h"

namespace sx::sim::test {

namespace pol = se05x::policy;

inline constexpr uint32_t kUserX = 0x7DA00001;
inline constexpr uint32_t kUserY = 0x7DA00002;
inline constexpr uint32_t kPinKey = 0x20181001;
inline const Bytes kPinX = {0xC0, 0x01, 0x02, 0x03, 0x04};  // the MW's demo UserID value
inline const Bytes kPinY = {'1', '2', '3', '4', '5', '6'};

// One policy entry: 08 <auth ID> <rules>.
inline Bytes entry(uint32_t auth, uint32_t rules) {
  Bytes b{8};
  put_u32(b, auth);
  put_u32(b, rules);
  return b;
}

inline Bytes write_user_id(uint32_t id, ByteView value, std::optional<uint16_t> max = std::nullopt, ByteView policy = {}) {
  TlvWriter w;
  if (!policy.empty()) w.bytes(se05x::tag::kPolicy, policy);
  if (max) w.u16(se05x::tag::kMaxAttempts, *max);
  w.u32(se05x::tag::k1, id).bytes(se05x::tag::k2, value);
  return se05x::build_command({0x80, 0x41, 0x07, 0x00}, w.data(), se05x::LeMode::None);
}

// An inner APDU as the MW puts it in the wrapper: header, then Lc (1 byte, or 00 HH LL when
// `extended`) and data; never an Le.
inline Bytes inner(uint8_t ins, uint8_t p1, uint8_t p2, ByteView body = {}, bool extended = false) {
  Bytes b{0x80, ins, p1, p2};
  if (!body.empty()) {
    if (extended || body.size() > 255) {
      b.push_back(0);
      put_u16(b, static_cast<uint16_t>(body.size()));
    } else {
      b.push_back(static_cast<uint8_t>(body.size()));
    }
    append(b, body);
  }
  return b;
}

// 80 05 00 00 with TAG 10 the session ID and TAG_1 the inner APDU; the outer APDU is
// extended (with Le 00 00) exactly when the inner one has an extended Lc.
inline Bytes wrap(ByteView sid, ByteView in) {
  const bool ext = in.size() > 4 && in[4] == 0;
  const Bytes body = TlvWriter().bytes(se05x::tag::kSessionId, sid).bytes(se05x::tag::k1, in).take();
  return se05x::build_command({0x80, 0x05, 0x00, 0x00}, body, ext ? se05x::LeMode::Extended : se05x::LeMode::None);
}

inline Bytes sign_body(uint32_t key) {
  return TlvWriter().u32(se05x::tag::k1, key).u8(se05x::tag::k2, 0x21).bytes(se05x::tag::k3, Bytes(32, 0x5A)).take();
}
inline Bytes gen_p256(uint32_t id, ByteView policy) {
  TlvWriter w;
  if (!policy.empty()) w.bytes(se05x::tag::kPolicy, policy);
  w.u32(se05x::tag::k1, id).u8(se05x::tag::k2, 0x03);
  return se05x::build_command({0x80, 0x01, 0x61, 0x00}, w.data(), se05x::LeMode::None);
}

struct SessCard : Card {
  // `fresh`: a new chip, which gets the P-256 curve; otherwise the NVM already has it.
  explicit SessCard(Config cfg = {}, bool fresh = true) : Card(std::move(cfg)) {
    select();
    if (fresh) create_curve(*this, 0x03, "prime256v1");
  }
  // CreateSession: the 8-byte session ID (empty on failure, sw in `last`).
  Bytes open(uint32_t auth) {
    auto r = cmd(0x04, 0x00, 0x1B, id_tlv(auth));
    last = r.sw;
    return r.sw == 0x9000 ? value(r) : Bytes{};
  }
  Response in(ByteView sid, ByteView inner_apdu) { return tx(wrap(sid, inner_apdu)); }
  uint16_t verify(ByteView sid, ByteView pin) {
    return in(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(se05x::tag::k1, pin).take())).sw;
  }
  uint16_t close(ByteView sid) { return in(sid, inner(0x04, 0x00, 0x1C)).sw; }
  uint16_t sign_in(ByteView sid, uint32_t key) { return in(sid, inner(0x03, 0x0C, 0x09, sign_body(key))).sw; }
  uint16_t sign_out(uint32_t key) { return cmd(0x03, 0x0C, 0x09, sign_body(key)).sw; }
  // Attributes (3.x layout, TAG_2): {authentication indicator, counter, max attempts, policy}.
  struct Attrs {
    uint8_t indicator = 0;
    uint16_t attempts = 0, max = 0;
    Bytes policy;
  };
  Attrs attrs(uint32_t id) {
    auto r = cmd(0x02, 0x00, 0x3B, id_tlv(id));
    EXPECT_EQ(r.sw, 0x9000);
    se05x::TlvReader rd(r.data);
    auto v = rd.expect(se05x::tag::k2);
    Attrs a;
    if (!v.ok() || v->size() < 16) return a;
    const ByteView b = *v;
    a.indicator = b[5];
    a.attempts = get_u16(b, 6);
    a.max = get_u16(b, 12);
    a.policy.assign(b.begin() + 14, b.end() - 1);  // up to the origin byte
    return a;
  }
  uint16_t last = 0;
};

}  // namespace sx::sim::test
