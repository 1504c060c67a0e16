// Test helpers: a simulator with raw-APDU helpers and OpenSSL-side checks.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "base/bytes.h"
#include "crypto/ossl.h"
#include "se05x/apdu.h"
#include "se05x/constants.h"
#include "se05x/tlv.h"
#include "sim/simulator.h"
#include "support/ossl_check.h"

namespace sx::sim::test {

using se05x::Response;
using se05x::TlvWriter;

inline Config make_cfg(std::string variant = "SE050C", std::string path = "", bool fsync = false,
                       bool latency = false, uint32_t hz = 400'000) {
  Config c;
  c.variant = std::move(variant);
  c.nvm_path = std::move(path);
  c.fsync = fsync;
  c.latency_model = latency;
  c.i2c_hz = hz;
  return c;
}

inline const std::string kSelect = "00 A4 04 00 10 A0 00 00 03 96 54 53 00 00 00 01 03 00 00 00 00 00";

struct Card {
  std::unique_ptr<Simulator> sim;

  explicit Card(Config cfg = {}) { open(cfg); }
  void open(const Config& cfg) {
    auto r = Simulator::open(cfg);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    sim = std::move(*r);
  }
  Bytes raw(ByteView capdu) { return sim->process(capdu); }
  Response tx(ByteView capdu) {
    Bytes r = sim->process(capdu);
    auto s = se05x::split_response(r);
    EXPECT_TRUE(s.ok()) << "no R-APDU for " << to_hex(capdu, true);
    return s.ok() ? *s : Response{{}, 0};
  }
  Response tx(std::string_view hexstr) { return tx(hex(hexstr)); }
  Response cmd(uint8_t ins, uint8_t p1, uint8_t p2, ByteView body,
               se05x::LeMode le = se05x::LeMode::None) {
    return tx(se05x::build_command({0x80, ins, p1, p2}, body, le));
  }
  uint16_t sw(uint8_t ins, uint8_t p1, uint8_t p2, ByteView body) { return cmd(ins, p1, p2, body).sw; }
  void select() { ASSERT_EQ(tx(kSelect).sw, 0x9000); }
};

inline Bytes id_tlv(uint32_t id) { return TlvWriter().u32(se05x::tag::k1, id).take(); }

// The value of the response's first TLV (tag 0x41), empty when there is none.
inline Bytes value(const Response& r) {
  se05x::TlvReader rd(r.data);
  auto v = rd.expect(se05x::tag::k1);
  return v.ok() ? Bytes(v->begin(), v->end()) : Bytes{};
}

// n bytes of a repeatable pattern; different seeds give different contents.
inline Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed * 31 + i * 13);
  return b;
}

// CreateECCurve + the five SetECCurveParam APDUs with the standard values (computed here
// from OpenSSL, independently of the simulator's checker).
void create_curve(Card& c, uint8_t curve_id, const char* group);
// The MW's "create if needed": returns the curve-list byte for the curve.
uint8_t curve_state(Card& c, uint8_t curve_id);

// Host-side checks: tests/support (ec_public_key: the key of an uncompressed point;
// verify_der: a DER ECDSA signature over a digest).
using sx::testing::ec_public_key;
using sx::testing::sha256;
using sx::testing::verify_der;

// Reads a whole binary object via ReadSize + 500-byte chunks (the MW's way).
Bytes read_binary(Card& c, uint32_t id);

// Status word of `r` for readable failures.
inline std::string swhex(uint16_t s) { return to_hex(Bytes{static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s)}); }

}  // namespace sx::sim::test
