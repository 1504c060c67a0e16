#include "wire_tap.h"

#include <poll.h>
#include <sys/socket.h>

#include <cstdio>
#include <utility>

#include "link/socket.h"

namespace sx::bench {

namespace {

constexpr int kIoMs = 30000;  // bounds a hang of the bench only

// One JRCP message (docs/se05x-protocol.md §3.1: type, NAD, 16-bit length, payload); false when the peer left.
bool read_message(int fd, Bytes& msg) {
  msg.assign(4, 0);
  if (!link::read_exact(fd, msg, kIoMs).ok()) return false;
  const size_t n = get_u16(msg, 2);
  msg.resize(4 + n);
  return n == 0 || link::read_exact(fd, std::span<uint8_t>(msg).subspan(4), kIoMs).ok();
}

// The inner command's header in a session wrapper: 80 05 00 00 Lc 10 08 <ID> 41 L <inner>
// (docs/se05x-protocol.md §4.9.3); Lc is 1 byte or 00 HH LL, L is 1 byte or 81 LL / 82 HH LL.
Bytes inner_header(ByteView c) {
  if (c.size() < 5 || c[0] != 0x80 || c[1] != 0x05) return {};
  size_t at = c[4] == 0x00 ? 7 : 5;
  if (c.size() < at + 12 || c[at] != 0x10 || c[at + 1] != 0x08 || c[at + 10] != 0x41) return {};
  at += 11;
  at += c[at] == 0x81 ? 2 : c[at] == 0x82 ? 3 : 1;
  if (c.size() < at + 4) return {};
  return Bytes(c.begin() + static_cast<std::ptrdiff_t>(at), c.begin() + static_cast<std::ptrdiff_t>(at + 4));
}

std::string spaced_hex(ByteView b) {
  std::string s;
  char buf[4];
  for (uint8_t v : b) {
    std::snprintf(buf, sizeof buf, s.empty() ? "%02X" : " %02X", v);
    s += buf;
  }
  return s;
}

}  // namespace

WireTap::WireTap(std::string listen_path, std::string upstream_path)
    : listen_path_(std::move(listen_path)), upstream_path_(std::move(upstream_path)) {
  auto l = link::unix_listen(listen_path_);
  if (!l.ok()) return;
  listener_ = std::move(*l);
  thread_ = std::thread([this] { run(); });
}

WireTap::~WireTap() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<WireExchange> WireTap::take() {
  std::lock_guard lk(mu_);
  return std::exchange(log_, {});
}

void WireTap::run() {
  while (!stop_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    link::Fd client(::accept(listener_.get(), nullptr, nullptr));
    if (client.valid()) serve(client.get());
  }
}

// Request/response in lock step, as every JRCP client of the chip talks.
void WireTap::serve(int client) {
  auto up = link::unix_connect(upstream_path_);
  if (!up.ok()) return;
  Bytes req, rsp;
  while (!stop_ && read_message(client, req)) {
    if (!link::write_all(up->get(), req, kIoMs).ok() || !read_message(up->get(), rsp)) return;
    if (recording_ && req[0] == 0x01 && req.size() >= 8) {  // APDU_DATA
      const ByteView c = ByteView(req).subspan(4), r = ByteView(rsp).subspan(4);
      WireExchange e{Bytes(c.begin(), c.begin() + 4), inner_header(c), c.size(), r.size(),
                     r.size() >= 2 ? get_u16(r, r.size() - 2) : uint16_t{0}};
      std::lock_guard lk(mu_);
      log_.push_back(std::move(e));
    }
    secure_wipe(req);
    if (!link::write_all(client, rsp, kIoMs).ok()) return;
  }
}

std::string describe(const WireExchange& e) {
  std::string s = spaced_hex(e.header);
  if (!e.inner_header.empty()) s += " [" + spaced_hex(e.inner_header) + "]";
  char buf[64];
  std::snprintf(buf, sizeof buf, " %zu B -> %zu B %04X", e.to_chip, e.from_chip, e.sw);
  return s + buf;
}

}  // namespace sx::bench
