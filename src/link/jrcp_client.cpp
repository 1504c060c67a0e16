#include "link/jrcp_client.h"

#include "link/socket.h"

namespace sx::link {

JrcpClient::JrcpClient(Endpoint ep, JrcpClientOptions opt) : ep_(std::move(ep)), opt_(opt) {}

std::string JrcpClient::describe() const { return to_string(ep_); }

Result<Bytes> JrcpClient::open() {
  fd_.reset();
  if (ep_.kind == Endpoint::Kind::JrcpTcp) {
    SX_ASSIGN(fd_, tcp_connect(ep_.host, ep_.port, opt_.connect_timeout_ms));
  } else if (ep_.kind == Endpoint::Kind::JrcpUnix) {
    SX_ASSIGN(fd_, unix_connect(ep_.path));
  } else {
    return make_error(Errc::InvalidArgument, "jrcp: " + to_string(ep_) + " is not a JRCP endpoint");
  }
  auto r = exchange(static_cast<uint8_t>(jrcp::Mty::WaitForCard), ByteView(jrcp::kWaitForCardPayload));
  if (!r) {
    fd_.reset();
    return r.take_error();
  }
  if (r->type != static_cast<uint8_t>(jrcp::Mty::WaitForCard)) {
    fd_.reset();
    return make_error(Errc::Protocol, std::string("jrcp: ") + describe() + ": WAIT_FOR_CARD answered with " +
                                          jrcp::mty_name(r->type));
  }
  return std::move(r->payload);
}

Result<jrcp::Message> JrcpClient::exchange(uint8_t type, ByteView payload) {
  if (!fd_) return make_error(Errc::Closed, "jrcp: " + describe() + ": not connected");
  SX_ASSIGN(Bytes req, jrcp::encode(type, payload));
  auto fail = [&](Error e) -> Error {
    // After a timeout or a broken stream the next reply could belong to this
    // request: the connection cannot be trusted any more.
    fd_.reset();
    e.message = "jrcp: " + describe() + ": " + e.message;
    return e;
  };
  if (Status s = write_all(fd_.get(), req, opt_.timeout_ms); !s) return fail(s.take_error());
  uint8_t hdr[jrcp::kHeaderSize];
  if (Status s = read_exact(fd_.get(), hdr, opt_.timeout_ms); !s) {
    Error e = s.take_error();
    if (e.code == Errc::Closed) e.message = "server closed the connection (is it still running?)";
    return fail(std::move(e));
  }
  size_t len = get_u16(ByteView(hdr), 2);
  if (hdr[1] != 0 || len > opt_.max_payload)
    return fail(make_error(Errc::Protocol, "bad reply header " + to_hex(ByteView(hdr))));
  jrcp::Message m{hdr[0], Bytes(len)};
  if (Status s = read_exact(fd_.get(), m.payload, opt_.timeout_ms); !s) return fail(s.take_error());
  return m;
}

Result<Bytes> JrcpClient::transceive(std::span<const uint8_t> capdu) {
  SX_ASSIGN(jrcp::Message m, exchange(static_cast<uint8_t>(jrcp::Mty::ApduData), capdu));
  if (m.type != static_cast<uint8_t>(jrcp::Mty::ApduData))
    return make_error(Errc::Protocol, std::string("jrcp: ") + describe() + ": APDU_DATA answered with " +
                                          jrcp::mty_name(m.type) + " " + to_hex(m.payload));
  if (m.payload.empty()) return make_error(Errc::Timeout, "jrcp: " + describe() + ": the card gave no answer");
  if (m.payload.size() < 2)
    return make_error(Errc::Malformed, "jrcp: " + describe() + ": R-APDU shorter than a status word");
  return std::move(m.payload);
}

Status JrcpClient::close() {
  fd_.reset();
  return {};
}

Status JrcpClient::lock() {
  SX_ASSIGN(jrcp::Message m, exchange(static_cast<uint8_t>(jrcp::Mty::Lock), {}));
  if (m.type != static_cast<uint8_t>(jrcp::Mty::Lock))
    return make_error(Errc::Protocol, "jrcp: " + describe() + ": LOCK refused (" + jrcp::mty_name(m.type) + ")");
  return {};
}

Status JrcpClient::unlock() {
  SX_ASSIGN(jrcp::Message m, exchange(static_cast<uint8_t>(jrcp::Mty::Unlock), {}));
  if (m.type != static_cast<uint8_t>(jrcp::Mty::Unlock))
    return make_error(Errc::Protocol, "jrcp: " + describe() + ": UNLOCK refused (" + jrcp::mty_name(m.type) + ")");
  return {};
}

}  // namespace sx::link
