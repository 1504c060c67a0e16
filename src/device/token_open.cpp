#include "device/token_open.h"

#include <cctype>

#include "link/endpoint.h"
#include "se05x/connect.h"
#include "se05x/constants.h"

namespace sx::device {

std::string connection_of(const TokenSettings& s) {
  return s.connection.empty() ? se05x::default_connection() : s.connection;
}

bool drives_i2c_bus(const std::string& connection) {
  auto ep = link::parse_endpoint(connection);
  return ep && (ep->kind == link::Endpoint::Kind::I2c || ep->kind == link::Endpoint::Kind::Vi2c);
}

token::TokenOptions token_options(const TokenSettings& s) {
  token::TokenOptions o;
  const std::string conn = connection_of(s);
  // A broker (JRCP over TCP or a Unix socket) passes each APDU whole and
  // alone and serialises its clients: no lock file there, and no lock at all
  // around a single APDU. Only where this process drives the I2C bus itself
  // (i2c:, and vi2c:, the simulator's model of the same bus) must other
  // processes' frames be kept out with the lock file.
  if (auto ep = link::parse_endpoint(conn); ep.ok()) {
    const bool broker = ep->kind == link::Endpoint::Kind::JrcpTcp || ep->kind == link::Endpoint::Kind::JrcpUnix;
    o.atomic_apdus = broker;
    if (!broker) o.lock_path = s.lock_file;
  }
  o.lock_wait = s.lock_wait;
  o.pin_iterations = s.pin_iterations;
  o.chip_pin = s.chip_pin;
  o.pin_max_attempts = s.pin_max_attempts;
  return o;
}

Result<std::unique_ptr<link::ApduChannel>> open_device(const TokenSettings& s) {
  std::shared_ptr<Scp03KeyRing> ring = s.scp03_ring;
  if (!ring) {
    SX_ASSIGN(ring, scp03_ring_for(s.scp03, s.scp03_warn));
  }
  SX_ASSIGN(auto ch, se05x::open_channel(connection_of(s), with_scp03(se05x::ConnectOptions{}, ring)));
  if (!s.chip_pin) return ch;
  // Layer 2b sits on the recovery layer (it counts its replays), below the chip
  // lock the token stacks (docs/user-session.md). The same on a broker link: the
  // broker virtualises the sessions (docs/chip-pin.md §4).
  auto* recovery = dynamic_cast<ReselectChannel*>(ch.get());
  if (!recovery) return make_error(Errc::Internal, "no reset-recovery layer to stack the user session on");
  std::unique_ptr<link::ApduChannel> out = std::make_unique<SessionChannel>(std::move(ch), *recovery);
  return out;
}

Result<std::unique_ptr<token::Token>> open_token(link::ApduChannel& ch, const TokenSettings& s) {
  token::TokenOptions o = token_options(s);
  if (auto* sc = dynamic_cast<SessionChannel*>(&ch)) o.session = &sc->session();
  return token::Token::open(ch, o);
}

ChipFacts chip_facts(const se05x::Client& c) {
  ChipFacts f;
  if (const auto& v = c.applet_version()) {
    f.applet_major = v->major;
    f.applet_minor = v->minor;
    f.securebox = v->securebox;
    f.caps = token::capabilities_from_version(*v);
    f.model = v->major >= 7 ? "SE050E" : "SE050";
  }
  return f;
}

Result<Bytes> read_unique_id(se05x::Client& c) {
  SX_ASSIGN(Bytes uid, c.read_object(se05x::objid::kUniqueId));
  if (uid.size() < 8) return make_error(Errc::Malformed, "unique ID shorter than 8 bytes");
  return uid;
}

std::string serial_of_unique_id(ByteView uid) {
  std::string s = to_hex(uid.subspan(uid.size() - 8));
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace sx::device
