#include "broker/broker.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "broker/status.h"
#include "link/endpoint.h"
#include "link/socket.h"
#include "se05x/connect.h"

namespace sx::broker {

namespace {

Result<gid_t> group_id(const std::string& g) {
  if (!g.empty() && g.size() <= 9 && g.find_first_not_of("0123456789") == std::string::npos)
    return static_cast<gid_t>(std::stoul(g));
  group gr{}, *res = nullptr;
  std::vector<char> buf(16384);
  if (::getgrnam_r(g.c_str(), &gr, buf.data(), buf.size(), &res) != 0 || !res)
    return make_error(Errc::InvalidArgument, "socket_group: unknown group \"" + g + "\"");
  return gr.gr_gid;
}

// Anyone who may write the socket's directory (or a directory above it) can
// rename a listener of their own over the socket and read every later
// client's APDUs. Refused unless only root, the broker's user or its group
// can write there. A sticky directory (like /tmp) is fine when root or the
// broker owns it: there only the socket's owner may rename over or remove it.
Status check_socket_dir(const std::string& socket) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::canonical(std::filesystem::path(socket).parent_path(), ec);
  if (ec) return make_error(Errc::Io, "socket directory of " + socket + ": " + ec.message());
  const uid_t me = ::geteuid();
  const gid_t my_group = ::getegid();
  for (std::filesystem::path cur = dir;; cur = cur.parent_path()) {
    struct stat st{};
    if (::stat(cur.c_str(), &st) < 0) return make_error(Errc::Io, link::errno_text("stat " + cur.string(), errno));
    std::string who;
    if (st.st_uid != 0 && st.st_uid != me)
      who = "its owner, uid " + std::to_string(st.st_uid);
    else if (!(st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH))
      who = "everybody (mode " + [&] {
        char m[8];
        std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return std::string(m);
      }() + ")";
    else if (!(st.st_mode & S_ISVTX) && (st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != my_group)
      who = "group " + std::to_string(st.st_gid) + ", which is not the broker's own group";
    if (!who.empty())
      return make_error(Errc::InvalidArgument,
                        "refusing to serve on " + socket + ": " + cur.string() + " is writable by " + who +
                            "; whoever can write there can put their own socket in place of the broker's and read "
                            "the clients' APDUs. Make it writable only by root or the broker's user/group "
                            "(e.g. chmod 0755), or use a sticky directory owned by root");
    if (cur == cur.parent_path()) break;
  }
  return {};
}

}  // namespace

Broker::Broker(const Config& cfg, LogFn log, ChannelFactory factory) : cfg_(cfg), log_(std::move(log)) {
  policy_.uids = cfg.allow_uids;
  policy_.gids = cfg.allow_gids;
  std::string conn = connection_of(cfg);
  chip_ = std::make_unique<Chip>(std::move(factory), conn, log_, cfg.log_apdus);

  ServiceOptions so;
  so.max_payload = cfg.max_payload;
  so.lock_hold_max = std::chrono::milliseconds(cfg.lock_hold_ms);
  so.max_clients = cfg.max_clients;
  so.max_clients_per_peer = cfg.max_clients_per_uid;
  so.message_timeout = std::chrono::milliseconds(cfg.message_timeout_ms);
  so.idle_timeout = std::chrono::milliseconds(cfg.idle_timeout_ms);
  so.refusal_timeout = std::chrono::milliseconds(cfg.refusal_timeout_ms);
  so.limit_exempt_type = kStatusMty;  // se05xd --status answers even when every slot is taken
  so.listener_check_interval = std::chrono::milliseconds(cfg.socket_check_ms);
  so.max_queue = cfg.max_queue;
  so.cut_off_on_expiry = true;
  so.admit = [this](const link::JrcpPeer& p) { return check_access(policy_, p); };
  so.log = log_;  // every event carries its level
  server_ = std::make_unique<Service>(*chip_, so);
  chip_->set_extension([this](const link::JrcpPeer& p, const link::jrcp::Message& m)
                           -> std::optional<link::jrcp::Message> {
    if (m.type != kStatusMty) return std::nullopt;
    std::string j = status_json(p.id);
    return link::jrcp::Message{kStatusMty, Bytes(j.begin(), j.end())};
  });
  if (cfg.log_apdus) {
    // Debug trace only (one state() per APDU): "[req N, lock M]" = this
    // client's request count (LOCK/UNLOCK show up as gaps) and the holder.
    chip_->set_apdu_context([this](const link::JrcpPeer& p) {
      ServiceState st = server_->state();
      uint64_t req = 0;
      for (const auto& c : st.clients)
        if (c.peer.id == p.id) req = c.requests;
      return " [req " + std::to_string(req) + ", lock " + std::to_string(st.lock_owner) + "]";
    });
  }
}

Broker::~Broker() { stop(); }

void Broker::log(LogLevel l, const std::string& s) const {
  if (log_) log_(l, s);
}

std::string Broker::connection_of(const Config& cfg) {
  return cfg.connection.empty() ? std::string(link::kDefaultEndpoint) : cfg.connection;
}

// The chip link: PlatformSCP03 (when configured) directly on it, under the
// Chip's own reset recovery (docs/scp03.md §9). The key ring outlives every
// re-open: keys read once, the working set remembered, one warning.
Result<ChannelFactory> Broker::default_factory(const Config& cfg, const LogFn& log) {
  auto warn = [log](const std::string& w) {
    if (log) log(LogLevel::Warning, w);
  };
  SX_ASSIGN(std::shared_ptr<device::Scp03KeyRing> ring, device::scp03_ring_for(cfg.scp03, warn));
  if (ring && log) log(LogLevel::Info, "PlatformSCP03 on the chip link; clients send plain APDUs");
  se05x::ConnectOptions o = device::with_scp03(se05x::ConnectOptions{}, ring);
  o.reconnect = false;  // the Chip re-opens itself, and must see every failure
  return ChannelFactory([conn = connection_of(cfg), o]() -> Result<OpenedChannel> {
    SX_ASSIGN(se05x::OpenedLink l, se05x::open_link(conn, o));
    return OpenedChannel{std::move(l.channel), std::move(l.atr)};
  });
}

Result<std::unique_ptr<Broker>> Broker::create(const Config& cfg, LogFn log, ChannelFactory factory) {
  SX_TRY(validate(cfg));
  if (!factory) {
    SX_ASSIGN(factory, default_factory(cfg, log));
  }
  std::unique_ptr<Broker> b(new Broker(cfg, std::move(log), std::move(factory)));
  SX_TRY(b->bind());
  return b;
}

Status Broker::bind() {
  if (!cfg_.socket.empty()) {
    std::filesystem::path dir = std::filesystem::path(cfg_.socket).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return make_error(Errc::Io, "cannot create " + dir.string() + ": " + ec.message());
      ::chmod(dir.c_str(), 0755);
    }
    SX_TRY(check_socket_dir(cfg_.socket));
    SX_TRY(server_->listen_unix(cfg_.socket));
    if (::chmod(cfg_.socket.c_str(), static_cast<mode_t>(cfg_.socket_mode)) < 0)
      return make_error(Errc::Io, link::errno_text("chmod " + cfg_.socket, errno));
    if (!cfg_.socket_group.empty()) {
      SX_ASSIGN(gid_t g, group_id(cfg_.socket_group));
      // Under systemd the broker runs with socket_group as its own group, so the
      // socket is born with it: no chown then, which the unit's system call
      // filter (~@privileged, which holds @chown) would refuse.
      struct stat st{};
      bool has_group = ::stat(cfg_.socket.c_str(), &st) == 0 && st.st_gid == g;
      if (!has_group && ::chown(cfg_.socket.c_str(), static_cast<uid_t>(-1), g) < 0)
        return make_error(Errc::Io, link::errno_text("chown " + cfg_.socket, errno));
    }
    listeners_.push_back("unix:" + cfg_.socket);
  }
  if (!cfg_.tcp.empty()) {
    SX_ASSIGN(link::Endpoint ep, tcp_endpoint(cfg_.tcp));
    SX_ASSIGN(uint16_t port, server_->listen_tcp(ep.host, ep.port));
    ep.port = port;
    listeners_.push_back(link::to_string(ep));
    log(LogLevel::Warning, "TCP listener " + link::to_string(ep) +
                               " is on: TCP clients carry no credentials and are not checked against allow_uids");
  }
  return {};
}

Status Broker::open_chip() { return chip_->ensure_open(); }

std::string Broker::listener_list() const {
  std::string s;
  for (const auto& l : listeners_) s += (s.empty() ? "" : ", ") + l;
  return s;
}

Status Broker::start() {
  log(LogLevel::Info, "serving on " + listener_list());
  return server_->start();
}

Status Broker::run() {
  log(LogLevel::Info, "serving on " + listener_list());
  auto r = server_->run();
  chip_->close();
  return r;
}

void Broker::request_stop() noexcept {
  if (server_) server_->request_stop();
}

void Broker::stop() {
  if (server_) server_->stop();
  if (chip_) chip_->close();
}

std::string Broker::status_json(uint64_t asking_client) const {
  ServiceState ss = server_->state();
  ChipState cs = chip_->state();
  nlohmann::json j;
  j["broker"] = "se05xd";
  j["version"] = kVersion;
  j["pid"] = static_cast<int64_t>(::getpid());
  j["listeners"] = ss.listeners;
  j["chip"] = {{"connection", cs.connection}, {"up", cs.up},
               {"last_error", cs.last_error}, {"opens", cs.opens},
               {"failed_opens", cs.failed_opens}, {"apdus", cs.apdus},
               {"failed_apdus", cs.failed_apdus}, {"sessions_closed", cs.sessions_closed},
               {"session_resets", cs.session_resets}, {"selects_answered", cs.selects_answered}};
  // Counts only: never a session ID or a verified value.
  nlohmann::json auths = nlohmann::json::array();
  for (const auto& a : cs.auth_sessions) {
    char id[9];
    std::snprintf(id, sizeof id, "%08X", a.auth_id);
    auths.push_back({{"auth_object", id}, {"chip_session", a.chip_session},
                     {"virtual_sessions", a.virtual_sessions}, {"verified", a.verified}});
  }
  j["sessions"] = std::move(auths);
  j["lock"] = {{"holder", ss.lock_owner},
               {"held_ms", static_cast<uint64_t>(ss.lock_held_for.count())},
               {"hold_max_ms", static_cast<uint64_t>(ss.lock_hold_max.count())}};
  j["refused"] = ss.refused;
  j["cut_off"] = ss.cut_off;
  j["over_limit"] = ss.over_limit;
  j["timed_out"] = ss.timed_out;
  j["listener_problems"] = ss.listener_problems;
  nlohmann::json clients = nlohmann::json::array();
  for (const auto& c : ss.clients) {
    nlohmann::json e;
    e["id"] = c.peer.id;
    e["transport"] = c.peer.unix_socket ? "unix" : "tcp";
    e["name"] = c.peer.name;
    e["address"] = c.peer.address;
    if (c.peer.has_cred) {
      e["pid"] = static_cast<int64_t>(c.peer.cred.pid);
      e["uid"] = static_cast<int64_t>(c.peer.cred.uid);
      e["gid"] = static_cast<int64_t>(c.peer.cred.gid);
    }
    e["holds_lock"] = c.holds_lock;
    e["lock_depth"] = c.lock_depth;
    e["waiting"] = c.waiting_for_lock;
    e["queued"] = c.queued;
    e["requests"] = c.requests;
    auto it = cs.open_sessions.find(c.peer.id);
    e["sessions"] = it == cs.open_sessions.end() ? size_t{0} : it->second;
    e["connected_ms"] = static_cast<uint64_t>(c.connected_for.count());
    e["self"] = c.peer.id == asking_client;
    clients.push_back(std::move(e));
  }
  j["clients"] = std::move(clients);
  std::string out = j.dump();
  // The reply must fit one JRCP message: drop client entries from the end until it does.
  while (out.size() > link::jrcp::kMaxPayload && !j["clients"].empty()) {
    j["clients"].erase(j["clients"].size() - 1);
    j["clients_truncated"] = true;
    out = j.dump();
  }
  return out;
}

}  // namespace sx::broker
