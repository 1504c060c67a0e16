// libFuzzer: malformed and oversized JRCP input must never crash or wedge the
// broker. Each input is one client's byte stream (cut into chunks by its
// first byte) sent to a live in-process Broker in front of a scripted chip;
// afterwards a second client must still be served (APDU and status query).
// The broker's pure parsers (config, status JSON, APDU recognisers) get the
// raw input too.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "broker/apdu_watch.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "broker/status.h"
#include "link/jrcp.h"
#include "link/socket.h"

using namespace sx;

namespace {

// Echo chip: R-APDU = C-APDU + 90 00; CreateSession gets a session id.
class EchoChip : public link::ApduChannel {
 public:
  Result<Bytes> open() override { return Bytes{0x3B}; }
  Result<Bytes> transceive(std::span<const uint8_t> c) override {
    if (c.size() >= 4 && c[0] == 0x80 && c[1] == 0x04 && c[3] == 0x1B) return hex("4108 0102030405060708 9000");
    if (!c.empty() && c[0] == 0xEE) return make_error(Errc::Io, "fuzz: link failure");
    Bytes r(c.begin(), c.end());
    append(r, hex("9000"));
    return r;
  }
  Status close() override { return {}; }
  std::string describe() const override { return "echo"; }
};

struct Fixture {
  std::string dir;
  std::string sock;
  std::unique_ptr<broker::Broker> b;
  Fixture() {
    char tmpl[] = "/tmp/sx-broker-fuzz-XXXXXX";
    dir = ::mkdtemp(tmpl) ? tmpl : "/tmp";
    sock = dir + "/b.sock";
    broker::Config cfg;
    cfg.socket = sock;
    cfg.max_payload = 2048;
    cfg.max_queue = 8;
    cfg.lock_hold_ms = 200;
    auto r = broker::Broker::create(cfg, nullptr, []() -> Result<broker::OpenedChannel> {
      return broker::OpenedChannel{std::make_unique<EchoChip>(), Bytes{0x3B}};
    });
    if (!r) std::abort();
    b = std::move(*r);
    if (!b->start()) std::abort();
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void check_alive(const std::string& sock) {
  auto fd = link::unix_connect(sock);
  if (!fd) std::abort();
  auto req = link::jrcp::encode(0x01, hex("0102"));
  if (!link::write_all(fd->get(), *req, 5000)) std::abort();
  uint8_t h[4];
  // A wedged broker shows up as a timeout here.
  if (!link::read_exact(fd->get(), h, 5000)) std::abort();
  Bytes p(get_u16(ByteView(h), 2));
  if (!link::read_exact(fd->get(), p, 5000) || p != hex("0102 9000")) std::abort();
  auto st = broker::query_status("unix:" + sock, 5000);
  if (!st) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  std::string text(in.begin(), in.end());
  (void)broker::parse_config(text, "fuzz");
  (void)broker::parse_status(text);
  if (size >= 2) {
    size_t cut = data[0] % size;
    (void)broker::created_session(in.first(cut), in.subspan(cut));
    (void)broker::closed_session(in.first(cut), in.subspan(cut));
    (void)broker::is_select_by_aid(in);
  }

  Fixture& f = fixture();
  auto fd = link::unix_connect(f.sock);
  if (!fd) std::abort();
  size_t chunk = size ? 1 + data[0] % 64 : 1;
  for (size_t pos = 0; pos < size; pos += chunk) {
    size_t n = std::min(chunk, size - pos);
    if (!link::write_all(fd->get(), in.subspan(pos, n), 5000)) break;  // dropped by the broker: fine
  }
  ::shutdown(fd->get(), SHUT_WR);
  // Drain whatever the broker answers until it closes (a half message is
  // dropped when our side closes; a held lock expires after 200 ms).
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    if (n <= 0) break;
  }
  fd->reset();
  check_alive(f.sock);
  return 0;
}
