#include "se05x/connect.h"

#include <sys/stat.h>

#include <cstdlib>

#include "device/reselect_channel.h"
#include "link/endpoint.h"
#include "link/jrcp.h"
#include "link/jrcp_client.h"
#include "link/open_bus.h"
#include "link/socket.h"
#include "t1/host.h"

namespace sx::se05x {

namespace {

// The text a JRCP server sent instead of an ATR (e.g. a broker refusing the
// client), fetched over a fresh connection since JrcpClient only reports the
// message type.
std::string refusal_text(const link::Endpoint& ep) {
  Result<link::Fd> fd = ep.kind == link::Endpoint::Kind::JrcpUnix ? link::unix_connect(ep.path)
                                                                  : link::tcp_connect(ep.host, ep.port, 2000);
  if (!fd) return {};
  auto req = link::jrcp::encode(link::jrcp::Mty::WaitForCard, ByteView(link::jrcp::kWaitForCardPayload));
  if (!req || !link::write_all(fd->get(), *req, 2000)) return {};
  uint8_t h[4];
  if (!link::read_exact(fd->get(), h, 2000) || h[0] != link::jrcp::kError) return {};
  Bytes text(get_u16(ByteView(h), 2));
  if (!link::read_exact(fd->get(), text, 2000)) return {};
  std::string s;
  for (uint8_t c : text) s += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  return s;
}

// JRCP client that reconnects on the call after its server went away (a
// broker restart) and says clearly what happened meanwhile. A reconnect
// loses the applet selection: the next command is answered with
// Errc::LinkReset (retry_safe: it was not sent) so that the reset-recovery
// layer above (device/reselect_channel.h) re-selects and sends it.
class ReconnectingJrcp : public link::ApduChannel {
 public:
  explicit ReconnectingJrcp(link::Endpoint ep) : ep_(ep), c_(std::move(ep)) {}

  Result<Bytes> open() override {
    lost_in_lock_ = locked_ = reopened_ = false;
    auto r = c_.open();
    if (!r) return explain(r.take_error(), true);
    return r;
  }

  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    SX_TRY(ready());
    if (reopened_) {
      reopened_ = false;
      Error e = make_error(Errc::LinkReset, describe() + ": reconnected; the applet selection was lost");
      e.retry_safe = true;
      return e;
    }
    auto r = c_.transceive(capdu);
    if (!r) return explain(r.take_error(), false);
    return r;
  }

  Status close() override {
    lost_in_lock_ = locked_ = false;
    return c_.close();
  }

  // The device stack's ChipLock (device/chip_lock.h) counts nesting: only the
  // outermost lock()/unlock() pair reaches this link.
  Status lock() override {
    SX_TRY(ready());
    auto s = c_.lock();
    if (!s) return explain(s.take_error(), false);
    locked_ = true;
    return {};
  }

  Status unlock() override {
    locked_ = false;
    if (lost_in_lock_) {
      lost_in_lock_ = false;
      return make_error(Errc::Closed, describe() + ": the connection was lost while holding the lock; the sequence "
                                                   "did not complete atomically");
    }
    if (!c_.is_open()) return make_error(Errc::Closed, describe() + ": not connected");
    auto s = c_.unlock();
    if (!s) return explain(s.take_error(), false);
    return {};
  }

  std::string describe() const override { return c_.describe(); }

 private:
  Status ready() {
    if (c_.is_open()) return {};
    if (lost_in_lock_)
      return make_error(Errc::Closed, describe() + ": the connection was lost while holding the lock; call unlock() "
                                                   "before the next command");
    auto r = c_.open();
    if (!r) return explain(r.take_error(), true);
    reopened_ = true;
    return {};
  }

  template <class E>
  Error explain(E e, bool opening) {
    Error err = std::move(e);
    if (!c_.is_open() && locked_) lost_in_lock_ = true;
    if (opening && err.code == Errc::Protocol) {
      std::string why = refusal_text(ep_);
      if (!why.empty()) {
        err.message = describe() + ": " + why;
        return err;
      }
    }
    if (opening && err.code == Errc::Io && err.message.find("Permission denied") != std::string::npos)
      err.message += " (this user may not open the socket: se05xd's shipped configuration admits root and the "
                     "group 'se05x'; add the user to that group, see docs/broker.md)";
    else if (err.code == Errc::Closed || err.code == Errc::Io)
      err.message += opening ? " (is the se05x broker / JRCP server running?)"
                             : " (the server went away; the next call reconnects)";
    else if (err.code == Errc::Timeout && c_.is_open())
      err.message += " (no answer from the chip; behind se05xd, see its log or `se05xd --status`)";
    return err;
  }

  link::Endpoint ep_;
  link::JrcpClient c_;
  bool locked_ = false;        // this connection holds the server's LOCK
  bool lost_in_lock_ = false;  // ... and lost it: calls fail until unlock()
  bool reopened_ = false;      // reconnected since the last command
};

// Environment through secure_getenv: the PKCS#11 module reads these too, and a
// setuid program loading it must not take a chip or broker from its caller.
t1::HostTiming pick_timing(const ConnectOptions& o) {
  if (o.timing) return *o.timing;
  const char* env = ::secure_getenv("SE05X_T1_TIMING");
  if (env && std::string_view(env) == "immediate") return t1::HostTiming::immediate();
  return t1::HostTiming::middleware();
}

}  // namespace

bool is_broker(const link::Endpoint& ep) {
  // The broker's status request (broker/status.h: message type 53, empty);
  // another JRCP server answers "unsupported type" with an error message.
  constexpr uint8_t kBrokerStatus = 0x53;
  constexpr int kTimeoutMs = 2000;
  Result<link::Fd> fd = ep.kind == link::Endpoint::Kind::JrcpUnix ? link::unix_connect(ep.path)
                                                                  : link::tcp_connect(ep.host, ep.port, kTimeoutMs);
  if (!fd) return false;  // the real open reports it
  auto req = link::jrcp::encode(kBrokerStatus, ByteView{});
  uint8_t h[4];
  if (!req || !link::write_all(fd->get(), *req, kTimeoutMs) || !link::read_exact(fd->get(), h, kTimeoutMs))
    return false;
  return h[0] == kBrokerStatus;
}

std::string broker_socket_path() { return link::broker_socket_path(); }

std::string default_connection() { return link::default_connection(); }

Result<OpenedLink> open_link(std::string_view connection, const ConnectOptions& options) {
  SX_ASSIGN(link::Endpoint ep, link::parse_endpoint(connection));
  std::unique_ptr<link::ApduChannel> ch;
  switch (ep.kind) {
    case link::Endpoint::Kind::JrcpTcp:
    case link::Endpoint::Kind::JrcpUnix:
      if (options.reconnect) ch = std::make_unique<ReconnectingJrcp>(ep);
      else ch = std::make_unique<link::JrcpClient>(ep, link::JrcpClientOptions{});
      break;
    case link::Endpoint::Kind::I2c:
    case link::Endpoint::Kind::Vi2c: {
      SX_ASSIGN(auto bus, link::open_i2c_bus(ep));
      ch = std::make_unique<t1::Host>(std::move(bus), pick_timing(options));
      break;
    }
  }
  // PlatformSCP03 directly on the link, below reset recovery (docs/scp03.md §9),
  // unless the link leads to se05xd, which owns the channel.
  if (ch && options.secure_link) {
    const bool jrcp = ep.kind == link::Endpoint::Kind::JrcpTcp || ep.kind == link::Endpoint::Kind::JrcpUnix;
    if (!jrcp || !is_broker(ep)) ch = options.secure_link(std::move(ch));
  }
  // The bare link for a caller that recovers by itself (the broker); every
  // other program gets the reset-recovery layer on top.
  if (ch && options.reconnect) ch = std::make_unique<device::ReselectChannel>(std::move(ch));
  if (!ch) return make_error(Errc::InvalidArgument, "unsupported connection string");
  auto atr = ch->open();
  if (!atr.ok()) {
    Error e = atr.take_error();
    e.message = link::to_string(ep) + ": " + e.message;
    return e;
  }
  return OpenedLink{std::move(ch), std::move(*atr)};
}

Result<std::unique_ptr<link::ApduChannel>> open_channel(std::string_view connection, const ConnectOptions& options) {
  SX_ASSIGN(OpenedLink l, open_link(connection, options));
  return std::move(l.channel);
}

}  // namespace sx::se05x
