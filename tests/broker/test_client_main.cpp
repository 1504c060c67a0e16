// broker_test_client: one client process of the broker integration tests.
//   broker_test_client MODE CONNECTION KEY_ID PUBKEY_HEX COUNT [META_ID ROLE GENS] [READY_FILE]
// MODE   client  our host stack: se05x::open_channel + se05x::Client
//        raw     an NXP-middleware-style JRCP byte client (exact opening bytes, hand-built APDUs)
//        hold    takes the LOCK, starts a multi-APDU sequence, writes READY_FILE, then waits forever
// ROLE   writer  rewrites the META_ID binary object (600 bytes, all = generation) under LOCK, GENS times
//        reader  reads it under LOCK, checks it is never torn, and at the end waits to see generation GENS
// Every signature is verified with OpenSSL against PUBKEY_HEX (04||X||Y, P-256).
// Exit status 0 = all good; errors are printed to stderr.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "base/bytes.h"
#include "support/ossl_check.h"
#include "link/endpoint.h"
#include "link/jrcp.h"
#include "link/socket.h"
#include "se05x/channel_lock.h"
#include "se05x/client.h"
#include "se05x/connect.h"

namespace {

using namespace sx;

constexpr size_t kMetaSize = 600;  // two WriteBinary/ReadObject chunks: a multi-APDU sequence

int fail(const std::string& what) {
  std::fprintf(stderr, "broker_test_client[%d]: %s\n", static_cast<int>(::getpid()), what.c_str());
  return 1;
}


Bytes digest_of(int i) {
  std::string m = "broker test message " + std::to_string(::getpid()) + "/" + std::to_string(i);
  Bytes d(32);
  SHA256(reinterpret_cast<const unsigned char*>(m.data()), m.size(), d.data());
  return d;
}

// --- NXP-style raw JRCP client
struct RawJrcp {
  link::Fd fd;
  Result<link::jrcp::Message> exchange(uint8_t type, ByteView payload) {
    SX_ASSIGN(Bytes req, link::jrcp::encode(type, payload));
    SX_TRY(link::write_all(fd.get(), req, 60000));
    uint8_t h[4];
    SX_TRY(link::read_exact(fd.get(), h, 60000));
    link::jrcp::Message m{h[0], Bytes(get_u16(ByteView(h), 2))};
    SX_TRY(link::read_exact(fd.get(), m.payload, 60000));
    return m;
  }
};

int run_raw(const std::string& conn, uint32_t key, EVP_PKEY* pub, int count) {
  auto ep = link::parse_endpoint(conn);
  if (!ep) return fail(ep.error().message);
  RawJrcp c;
  auto fd = ep->kind == link::Endpoint::Kind::JrcpUnix ? link::unix_connect(ep->path)
                                                       : link::tcp_connect(ep->host, ep->port, 5000);
  if (!fd) return fail("connect: " + fd.error().message);
  c.fd = std::move(*fd);
  // Exactly what NXP's middleware sends first (docs/se05x-protocol.md Appendix E).
  if (Status s = link::write_all(c.fd.get(), hex("00 00 00 04 00 00 01 00"), 60000); !s) return fail(s.error().message);
  uint8_t h[4];
  if (Status s = link::read_exact(c.fd.get(), h, 60000); !s || h[0] != 0x00) return fail("WAIT_FOR_CARD failed");
  Bytes atr(get_u16(ByteView(h), 2));
  if (Status s = link::read_exact(c.fd.get(), atr, 60000); !s) return fail("ATR read failed");
  auto sel = c.exchange(0x01, hex("00A4040010A0000003965453000000010300000000"));
  if (!sel || sel->type != 0x01 || sel->payload.size() < 2 ||
      to_hex(ByteView(sel->payload).last(2)) != "9000")
    return fail("SELECT failed");
  for (int i = 0; i < count; ++i) {
    Bytes d = digest_of(i);
    Bytes data = hex("4104");
    put_u32(data, key);
    append(data, hex("420121 4320"));
    append(data, d);
    Bytes apdu = hex("80030C09");
    apdu.push_back(static_cast<uint8_t>(data.size()));
    append(apdu, data);
    apdu.push_back(0x00);  // Le
    auto r = c.exchange(0x01, apdu);
    if (!r) return fail("sign " + std::to_string(i) + ": " + r.error().message);
    const Bytes& p = r->payload;
    // 41 LL <DER> 90 00 (the DER ECDSA signature is < 128 bytes)
    if (r->type != 0x01 || p.size() < 6 || p[0] != 0x41 || p[1] + 4u != p.size() || p[p.size() - 2] != 0x90 ||
        p[p.size() - 1] != 0x00)
      return fail("sign " + std::to_string(i) + ": bad reply " + to_hex(p));
    if (!sx::testing::verify_der(pub, d, ByteView(p).subspan(2, p[1]))) return fail("signature " + std::to_string(i) + " does not verify");
  }
  return 0;  // like NXP clients: no CLOSE, just exit
}

// --- our host stack
Bytes meta_content(uint8_t gen) { return Bytes(kMetaSize, gen); }

int run_client(const std::string& conn, uint32_t key, EVP_PKEY* pub, int count, uint32_t meta,
               const std::string& role, int gens) {
  auto ch = se05x::open_channel(conn);
  if (!ch) return fail("open: " + ch.error().message);
  se05x::Client cl(**ch);
  if (auto v = cl.select(); !v) return fail("select: " + v.error().message);
  int every = gens > 0 ? std::max(1, count / gens) : count + 1;
  uint8_t gen = 0, seen = 0;
  auto read_meta = [&]() -> Result<uint8_t> {
    se05x::ChannelLock lock(**ch);
    SX_TRY(lock.status());
    SX_ASSIGN(Bytes b, cl.read_binary(meta, kMetaSize));
    if (b.size() != kMetaSize) return make_error(Errc::Malformed, "metadata object has the wrong size");
    for (uint8_t x : b)
      if (x != b[0]) return make_error(Errc::Malformed, "torn metadata object: a write was interleaved");
    return b[0];
  };
  for (int i = 0; i < count; ++i) {
    Bytes d = digest_of(i);
    auto sig = cl.ecdsa_sign(key, d);
    if (!sig) return fail("sign " + std::to_string(i) + ": " + sig.error().message);
    if (!sx::testing::verify_der(pub, d, *sig)) return fail("signature " + std::to_string(i) + " does not verify");
    if ((i + 1) % every != 0) continue;
    if (role == "writer" && gen < gens) {
      ++gen;
      se05x::ChannelLock lock(**ch);
      if (!lock.status()) return fail("lock: " + lock.status().error().message);
      if (auto s = cl.update_binary(meta, meta_content(gen)); !s) return fail("write meta: " + s.error().message);
    } else if (role == "reader") {
      auto g = read_meta();
      if (!g) return fail("read meta: " + g.error().message);
      if (*g < seen) return fail("metadata generation went backwards");
      seen = *g;
    }
  }
  if (role == "writer") {
    while (gen < gens) {
      ++gen;
      se05x::ChannelLock lock(**ch);
      if (auto s = cl.update_binary(meta, meta_content(gen)); !s) return fail("write meta: " + s.error().message);
    }
  }
  if (role == "reader") {
    // The writer's last change must become visible here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (seen != gens) {
      auto g = read_meta();
      if (!g) return fail("read meta: " + g.error().message);
      seen = *g;
      if (seen == gens) break;
      if (std::chrono::steady_clock::now() > deadline) return fail("never saw the writer's last metadata change");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return 0;
}

int run_hold(const std::string& conn, uint32_t meta, const std::string& ready) {
  auto ch = se05x::open_channel(conn);
  if (!ch) return fail("open: " + ch.error().message);
  se05x::Client cl(**ch);
  if (auto v = cl.select(); !v) return fail("select: " + v.error().message);
  if (auto s = (*ch)->lock(); !s) return fail("lock: " + s.error().message);
  // First half of a two-APDU write, then stall holding the chip.
  if (auto s = cl.update_binary(meta, Bytes(100, 0xEE), 0); !s) return fail("write: " + s.error().message);
  {
    std::ofstream(ready + ".tmp") << "locked\n";
    std::rename((ready + ".tmp").c_str(), ready.c_str());
  }
  for (;;) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) return fail("usage: MODE CONNECTION KEY_ID PUBKEY_HEX COUNT [META_ID ROLE GENS] [READY_FILE]");
  std::string mode = argv[1], conn = argv[2];
  uint32_t key = static_cast<uint32_t>(std::stoul(argv[3], nullptr, 16));
  auto point = from_hex(argv[4]);
  if (!point) return fail("bad public key hex");
  auto pub = sx::testing::p256_public_key(*point);
  if (!pub) return fail("bad public key");
  int count = std::atoi(argv[5]);
  uint32_t meta = argc > 6 ? static_cast<uint32_t>(std::stoul(argv[6], nullptr, 16)) : 0;
  std::string role = argc > 7 ? argv[7] : "none";
  int gens = argc > 8 ? std::atoi(argv[8]) : 0;
  if (mode == "raw") return run_raw(conn, key, pub.get(), count);
  if (mode == "client") return run_client(conn, key, pub.get(), count, meta, role, gens);
  if (mode == "hold") return run_hold(conn, meta, argc > 9 ? argv[9] : "");
  return fail("unknown mode " + mode);
}
