// broker_raw_session_client: an NXP-style raw client of the chip-PIN load test,
// built only on src/link (JRCP) — no se05x/ code: every APDU is written out here
// byte by byte as NXP's middleware built with PTMW_SE05X_Auth=UserID sends it
// (docs/se05x-protocol.md §4.1, §4.9.2, §4.9.3, §4.6.9).
//
//   broker_raw_session_client CONNECTION AUTH_ID KEY_ID VALUE_HEX PUB_HEX COUNT
//
// SELECT, CreateSession(AUTH_ID), VerifySessionUserID(VALUE) in the wrapper, COUNT x
// ECDSASign(KEY_ID) in the wrapper — each DER signature verified with OpenSSL against
// PUB_HEX (04||X||Y) — and CloseSession. Exit status 0 = every step answered 90 00 and
// every signature verified; errors are printed to stderr.
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/bytes.h"
#include "link/endpoint.h"
#include "link/jrcp_client.h"
#include "support/ossl_check.h"

namespace {

using namespace sx;

using SessionId = Bytes;  // 8 bytes, chosen by the chip (here: the broker's virtual ID)

int fail(const std::string& what) {
  std::fprintf(stderr, "broker_raw_session_client[%d]: %s\n", static_cast<int>(::getpid()), what.c_str());
  return 1;
}

uint16_t sw_of(ByteView r) { return r.size() < 2 ? 0 : get_u16(r, r.size() - 2); }

// docs/se05x-protocol.md §4.1: SELECT by name with the applet's AID and Le 00.
Bytes select_apdu() {
  Bytes c = hex("00A40400 10 A0000003965453000000010300000000");
  c.push_back(0x00);
  return c;
}

// docs/se05x-protocol.md §4.9.3: 80 05 00 00 Lc 10 08 <session ID> 41 L <inner without Le>.
// The inner commands of this client are all shorter than 128 bytes (one-byte TLV length).
Bytes wrap(ByteView inner, const SessionId& id) {
  Bytes body = hex("1008");
  append(body, id);
  body.push_back(0x41);
  body.push_back(static_cast<uint8_t>(inner.size()));
  append(body, inner);
  Bytes out = hex("80050000");
  out.push_back(static_cast<uint8_t>(body.size()));
  append(out, body);
  return out;
}

// docs/se05x-protocol.md §4.6.9: ECDSASign, SHA-256 algorithm byte 21, no Le inside the wrapper.
Bytes sign_inner(uint32_t key, ByteView digest) {
  Bytes c = hex("80030C09");
  c.push_back(static_cast<uint8_t>(6 + 3 + 2 + digest.size()));
  append(c, hex("4104"));
  put_u32(c, key);
  append(c, hex("420121 43"));
  c.push_back(static_cast<uint8_t>(digest.size()));
  append(c, digest);
  return c;
}

Bytes digest_of(int i) {
  const std::string m = "raw session client " + std::to_string(::getpid()) + "/" + std::to_string(i);
  Bytes d(32);
  SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), d.data());
  return d;
}

// TAG_1 of an ECDSASign answer without its SW: 41 LL <DER>, LL one byte (70-72) or 81 LL.
Bytes der_of(ByteView r) {
  if (r.size() < 4 || r[0] != 0x41) return {};
  size_t at = 2, n = r[1];
  if (n == 0x81) n = r[2], at = 3;
  if (at + n != r.size()) return {};
  return Bytes(r.begin() + static_cast<std::ptrdiff_t>(at), r.begin() + static_cast<std::ptrdiff_t>(at + n));
}

int run(link::JrcpClient& ch, uint32_t auth, uint32_t key, ByteView value, EVP_PKEY* pub, int count) {
  if (auto r = ch.open(); !r.ok()) return fail("open: " + r.error().message);
  auto r = ch.transceive(select_apdu());
  if (!r.ok() || sw_of(*r) != 0x9000) return fail("SELECT: " + (r.ok() ? to_hex(*r) : r.error().message));
  // CreateSession, outside any session (§4.9.2): 41 08 <session ID> 90 00.
  Bytes create = hex("8004001B 06 4104");
  put_u32(create, auth);
  r = ch.transceive(create);
  if (!r.ok() || r->size() != 12 || (*r)[0] != 0x41 || (*r)[1] != 0x08 || sw_of(*r) != 0x9000)
    return fail("CreateSession: " + (r.ok() ? to_hex(*r) : r.error().message));
  const SessionId id(r->begin() + 2, r->begin() + 10);
  Bytes verify = hex("8004002C");
  verify.push_back(static_cast<uint8_t>(value.size() + 2));
  verify.push_back(0x41);
  verify.push_back(static_cast<uint8_t>(value.size()));
  append(verify, value);
  r = ch.transceive(wrap(verify, id));
  if (!r.ok() || sw_of(*r) != 0x9000) return fail("VerifySessionUserID: " + (r.ok() ? to_hex(*r) : r.error().message));
  int errors = 0;
  for (int i = 0; i < count; ++i) {
    const Bytes d = digest_of(i);
    r = ch.transceive(wrap(sign_inner(key, d), id));
    if (!r.ok() || sw_of(*r) != 0x9000) {
      if (++errors <= 5) fail("ECDSASign " + std::to_string(i) + ": " + (r.ok() ? to_hex(*r) : r.error().message));
      continue;
    }
    if (!sx::testing::verify_der(pub, d, der_of(ByteView(*r).first(r->size() - 2))))
      if (++errors <= 5) fail("signature " + std::to_string(i) + " does not verify");
  }
  r = ch.transceive(wrap(hex("8004001C"), id));  // CloseSession (§4.9.2)
  if (!r.ok() || sw_of(*r) != 0x9000) return fail("CloseSession: " + (r.ok() ? to_hex(*r) : r.error().message));
  (void)ch.close();
  if (errors) return fail(std::to_string(errors) + " of " + std::to_string(count) + " signatures failed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) return fail("usage: CONNECTION AUTH_ID KEY_ID VALUE_HEX PUB_HEX COUNT");
  auto ep = link::parse_endpoint(argv[1]);
  if (!ep.ok()) return fail("connection: " + ep.error().message);
  const uint32_t auth = static_cast<uint32_t>(std::strtoul(argv[2], nullptr, 16));
  const uint32_t key = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 16));
  auto value = from_hex(argv[4]);
  auto point = from_hex(argv[5]);
  if (!value || value->size() < 4 || value->size() > 16) return fail("VALUE_HEX: 4 to 16 bytes");
  if (!point) return fail("PUB_HEX");
  auto pub = sx::testing::p256_public_key(*point);
  if (!pub) return fail("PUB_HEX is not a P-256 point");
  link::JrcpClient ch(*ep);
  return run(ch, auth, key, *value, pub.get(), std::atoi(argv[6]));
}
