#include "broker/status.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "link/endpoint.h"
#include "link/jrcp.h"
#include "link/socket.h"
#include "se05x/connect.h"

namespace sx::broker {

using json = nlohmann::json;

Result<BrokerStatus> parse_status(const std::string& text) {
  try {
    json j = json::parse(text);
    BrokerStatus s;
    s.json = text;
    s.version = j.value("version", "");
    s.pid = j.value("pid", int64_t{0});
    s.listeners = j.value("listeners", std::vector<std::string>{});
    const json& c = j.at("chip");
    s.chip_connection = c.value("connection", "");
    s.chip_up = c.value("up", false);
    s.chip_last_error = c.value("last_error", "");
    s.chip_opens = c.value("opens", uint64_t{0});
    s.chip_failed_opens = c.value("failed_opens", uint64_t{0});
    s.apdus = c.value("apdus", uint64_t{0});
    s.failed_apdus = c.value("failed_apdus", uint64_t{0});
    s.sessions_closed = c.value("sessions_closed", uint64_t{0});
    s.session_resets = c.value("session_resets", uint64_t{0});
    for (const auto& a : j.value("sessions", json::array()))
      s.auth_sessions.push_back({a.value("auth_object", ""), a.value("chip_session", false),
                                 a.value("virtual_sessions", size_t{0}), a.value("verified", size_t{0})});
    const json& l = j.at("lock");
    s.lock_holder = l.value("holder", uint64_t{0});
    s.lock_held_ms = l.value("held_ms", uint64_t{0});
    s.lock_hold_max_ms = l.value("hold_max_ms", uint64_t{0});
    s.refused = j.value("refused", uint64_t{0});
    s.cut_off = j.value("cut_off", uint64_t{0});
    s.over_limit = j.value("over_limit", uint64_t{0});
    s.timed_out = j.value("timed_out", uint64_t{0});
    s.listener_problems = j.value("listener_problems", std::vector<std::string>{});
    for (const auto& e : j.at("clients")) {
      ClientStatus cs;
      cs.id = e.value("id", uint64_t{0});
      cs.transport = e.value("transport", "");
      cs.name = e.value("name", "");
      cs.pid = e.value("pid", int64_t{-1});
      cs.uid = e.value("uid", int64_t{-1});
      cs.gid = e.value("gid", int64_t{-1});
      cs.holds_lock = e.value("holds_lock", false);
      cs.waiting = e.value("waiting", false);
      cs.queued = e.value("queued", size_t{0});
      cs.requests = e.value("requests", uint64_t{0});
      cs.sessions = e.value("sessions", size_t{0});
      cs.connected_ms = e.value("connected_ms", uint64_t{0});
      cs.is_self = e.value("self", false);
      s.clients.push_back(std::move(cs));
    }
    return s;
  } catch (const std::exception& e) {
    return make_error(Errc::Malformed, std::string("broker status: ") + e.what());
  }
}

Result<BrokerStatus> query_status(const std::string& connection, int timeout_ms) {
  std::string conn = connection.empty() ? "unix:" + se05x::broker_socket_path() : connection;
  if (!conn.empty() && conn[0] == '/') conn = "unix:" + conn;
  SX_ASSIGN(link::Endpoint ep, link::parse_endpoint(conn));
  link::Fd fd;
  if (ep.kind == link::Endpoint::Kind::JrcpUnix) {
    auto r = link::unix_connect(ep.path);
    if (!r) return make_error(r.error().code, "se05x broker at " + conn + " is not reachable: " + r.error().message);
    fd = std::move(*r);
  } else if (ep.kind == link::Endpoint::Kind::JrcpTcp) {
    auto r = link::tcp_connect(ep.host, ep.port, timeout_ms);
    if (!r) return make_error(r.error().code, "se05x broker at " + conn + " is not reachable: " + r.error().message);
    fd = std::move(*r);
  } else {
    return make_error(Errc::InvalidArgument, conn + " is not a broker address (want unix:PATH or jrcp:HOST:PORT)");
  }
  SX_ASSIGN(Bytes req, link::jrcp::encode(kStatusMty, {}));
  SX_TRY(link::write_all(fd.get(), req, timeout_ms));
  uint8_t h[4];
  if (auto s = link::read_exact(fd.get(), h, timeout_ms); !s)
    return make_error(s.error().code, "se05x broker at " + conn + ": no status reply: " + s.error().message);
  Bytes payload(get_u16(ByteView(h), 2));
  SX_TRY(link::read_exact(fd.get(), payload, timeout_ms));
  std::string text(payload.begin(), payload.end());
  if (h[0] == link::jrcp::kError) {
    if (payload.size() == 1)
      return make_error(Errc::Unsupported, conn + " does not answer status queries (not se05xd?)");
    return make_error(Errc::Io, conn + ": " + text);
  }
  if (h[0] != kStatusMty) return make_error(Errc::Protocol, conn + ": unexpected reply type " + to_hex(ByteView(h, 1)));
  return parse_status(text);
}

std::string holder_name(const BrokerStatus& s) {
  if (s.lock_holder == 0) return {};
  for (const auto& c : s.clients)
    if (c.holds_lock) return c.name;
  return "client#" + std::to_string(s.lock_holder);
}

std::string format_status(const BrokerStatus& s) {
  std::ostringstream o;
  o << "se05xd " << s.version << " (pid " << s.pid << ")\n";
  o << "  listening on:";
  for (const auto& l : s.listeners) o << " " << l;
  o << "\n  chip: " << s.chip_connection << " — " << (s.chip_up ? "up" : "down");
  if (!s.chip_last_error.empty()) o << " (last error: " << s.chip_last_error << ")";
  o << "\n  APDUs: " << s.apdus << " forwarded, " << s.failed_apdus << " failed; link opened " << s.chip_opens
    << " times\n";
  if (s.lock_holder) {
    o << "  chip held by client#" << s.lock_holder << " for " << s.lock_held_ms << " ms (limit "
      << s.lock_hold_max_ms << " ms)\n";
  } else {
    o << "  chip lock: free\n";
  }
  for (const auto& a : s.auth_sessions)
    o << "  auth object " << a.auth_object << ": chip session " << (a.chip_session ? "open" : "closed") << ", "
      << a.virtual_sessions << " virtual (" << a.verified << " verified)\n";
  for (const auto& p : s.listener_problems) o << "  WARNING: socket file " << p << "\n";
  o << "  clients: " << s.clients.size() << " (refused so far: " << s.refused << ", cut off: " << s.cut_off;
  if (s.over_limit) o << ", over connection limits: " << s.over_limit;
  if (s.timed_out) o << ", timed out: " << s.timed_out;
  o << ")\n";
  for (const auto& c : s.clients) {
    o << "    " << c.name << (c.is_self ? " [this query]" : "");
    if (c.holds_lock) o << " HOLDS THE CHIP";
    if (c.waiting) o << " waiting";
    if (c.queued) o << " queued=" << c.queued;
    o << " requests=" << c.requests;
    if (c.sessions) o << " sessions=" << c.sessions;
    o << "\n";
  }
  return o.str();
}

}  // namespace sx::broker
