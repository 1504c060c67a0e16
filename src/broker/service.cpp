#include "broker/service.h"

#include <algorithm>

namespace sx::broker {

namespace jrcp = link::jrcp;
using log::Level;

struct Service::Client {
  uint64_t id = 0;
  link::JrcpConnection* conn = nullptr;  // valid while !dead
  bool dead = false;
  std::deque<jrcp::Message> queue;  // complete requests not served yet
  // Turned away (admission or a connection limit): takes no slot, gets the
  // reason as the reply to its first request (or the status answer when
  // limit_exempt), then is closed; closed anyway at `deadline`.
  std::optional<std::string> refused;
  bool limit_exempt = false;
  Clock::time_point deadline{};
  std::string peer_key;  // what max_clients_per_peer counts by
  uint64_t requests = 0;
  bool received_any = false;  // a complete request ever arrived
  uint64_t ticket = 0;   // arrival order of the request at the head of the queue
  bool served = false;   // served in this round
  Clock::time_point since = Clock::now();

  const link::JrcpPeer& peer() const { return conn->peer(); }
  const std::string& name() const { return conn->peer().name; }
};

namespace {

// Requests that need the chip (and so wait while another client holds the
// lock); everything else (status, TERMINAL_INFO, CLOSE, ...) is answered at once.
bool needs_chip(uint8_t type) {
  return type == static_cast<uint8_t>(jrcp::Mty::WaitForCard) || type == static_cast<uint8_t>(jrcp::Mty::ApduData) ||
         type == static_cast<uint8_t>(jrcp::Mty::Lock);
}

// Connections are counted per peer for max_clients_per_peer: a Unix peer by
// its uid, all TCP peers (no credentials) together.
std::string peer_key(const link::JrcpPeer& p) {
  if (!p.unix_socket) return "tcp";
  if (!p.has_cred) return "unix";
  return "uid " + std::to_string(p.cred.uid);
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

link::JrcpServerOptions transport_options(const ServiceOptions& o) {
  link::JrcpServerOptions t;
  t.max_payload = o.max_payload;
  t.listener_check_interval = o.listener_check_interval;
  t.log = o.log;
  return t;
}

}  // namespace

Service::Service(link::JrcpBackend& backend, ServiceOptions opt)
    : backend_(backend), opt_(std::move(opt)), server_(*this, transport_options(opt_)) {}

Service::~Service() { server_.stop(); }

Service::Client* Service::find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

bool Service::allowed(const Client& c) const { return lock_owner_ == 0 || lock_owner_ == c.id; }

bool Service::servable(const Client& c) const {
  return !c.queue.empty() && (allowed(c) || c.refused || !needs_chip(c.queue.front().type));
}

// Connection limits. Clients turned away hold no slot, so neither refused
// peers nor a full house can lock out the others or the status query.
std::optional<std::string> Service::turn_away(Client& c, bool& over_limit) const {
  size_t active = 0, of_peer = 0;
  for (const auto& o : clients_) {
    if (o->dead || o->refused) continue;
    ++active;
    of_peer += o->peer_key == c.peer_key;
  }
  over_limit = true;
  if (active >= opt_.max_clients)
    return "too many clients connected (limit " + std::to_string(opt_.max_clients) + "); try again later";
  if (opt_.max_clients_per_peer && of_peer >= opt_.max_clients_per_peer)
    return "too many connections from " + (c.peer_key == "tcp" ? std::string("TCP clients") : c.peer_key) +
           " (limit " + std::to_string(opt_.max_clients_per_peer) + "); try again later";
  over_limit = false;
  return std::nullopt;
}

bool Service::accepted(link::JrcpConnection& conn, const std::string& listener) {
  auto c = std::make_unique<Client>();
  c->id = conn.id();
  c->conn = &conn;
  c->peer_key = peer_key(conn.peer());
  if (opt_.admit) {
    try {
      c->refused = opt_.admit(conn.peer());
    } catch (...) {
      c->refused = "admission check failed";
    }
  }
  bool over_limit = false;
  if (!c->refused) c->refused = turn_away(*c, over_limit);
  if (!c->refused) {
    log(Level::Info, c->name() + " connected on " + listener);
    by_id_[c->id] = c.get();
    clients_.push_back(std::move(c));
    return true;
  }
  if (over_limit) ++over_limit_;
  else ++refused_;
  size_t pending = 0, pending_of_peer = 0;
  for (const auto& o : clients_) {
    if (o->dead || !o->refused) continue;
    ++pending;
    pending_of_peer += o->peer_key == c->peer_key;
  }
  if (pending >= opt_.max_pending || pending_of_peer >= kPendingPerPeer) {
    log(Level::Warning,
        c->name() + " refused and closed at once (too many turned-away connections waiting): " + *c->refused);
    return false;  // the transport closes it
  }
  log(Level::Warning, c->name() + (over_limit ? " turned away: " : " refused: ") + *c->refused);
  c->limit_exempt = over_limit && opt_.limit_exempt_type.has_value();
  c->deadline = Clock::now() + opt_.refusal_timeout;
  by_id_[c->id] = c.get();
  clients_.push_back(std::move(c));
  return true;
}

void Service::requests(link::JrcpConnection& conn, std::vector<jrcp::Message> batch) {
  Client* c = find(conn.id());
  if (!c || c->dead) return;
  for (auto& m : batch) {
    if (c->queue.empty()) c->ticket = ++next_ticket_;
    c->queue.push_back(std::move(m));
    c->received_any = true;
  }
  if (opt_.max_queue && c->queue.size() > opt_.max_queue) {
    ++cut_off_;
    server_.drop(conn,
                 "sent " + std::to_string(c->queue.size()) + " requests without waiting (queue limit " +
                     std::to_string(opt_.max_queue) + ")",
                 Level::Warning);
  }
}

bool Service::wants_input(const link::JrcpConnection& conn) const {
  const Client* c = find(conn.id());
  return c == nullptr || c->queue.empty();
}

void Service::gone(link::JrcpConnection& conn) {
  Client* c = find(conn.id());
  if (!c || c->dead) return;
  c->dead = true;
  const bool held = lock_owner_ == c->id;
  if (held) {
    lock_owner_ = 0;
    lock_depth_ = 0;
    log(Level::Info, c->name() + " released the lock by disconnecting");
  }
  c->queue.clear();
  if (!c->refused) {
    try {
      backend_.client_gone(c->peer(), held);
    } catch (...) {
      log(Level::Info, "backend client_gone() threw");
    }
  }
}

link::JrcpClock::time_point Service::next_wake() {
  for (const auto& c : clients_)
    if (!c->dead && !c->conn->sending() && servable(*c)) return Clock::now();  // work pending
  auto t = next_expiry_;
  if (lock_owner_ != 0) t = std::min(t, lock_deadline_);
  return t;
}

void Service::serve() {
  expire_lock();
  serve_round();
  // After serving: a client just answered starts its idle time now.
  next_expiry_ = expire_clients();
  for (const auto& c : clients_)
    if (c->dead) by_id_.erase(c->id);
  std::erase_if(clients_, [](const std::unique_ptr<Client>& c) { return c->dead; });
}

void Service::expire_lock() {
  if (lock_owner_ == 0 || Clock::now() < lock_deadline_) return;
  const std::string ms = std::to_string(opt_.lock_hold_max.count());
  Client* holder = find(lock_owner_);
  if (holder && holder->dead) holder = nullptr;
  if (opt_.cut_off_on_expiry && holder) {
    ++cut_off_;
    server_.drop(*holder->conn, "held the lock longer than " + ms + " ms: cut off", Level::Warning);
  } else {
    log(Level::Info, "client#" + std::to_string(lock_owner_) + " held the lock longer than " + ms + " ms; lock released");
  }
  lock_owner_ = 0;
  lock_depth_ = 0;
}

// One request per client per round. Requests that do not need the chip
// (and those of turned-away clients) go first, from a rotating start; then
// those that need the chip, oldest first: whoever just had the chip (or the
// lock) queues up behind everybody already waiting.
void Service::serve_round() {
  const size_t count = clients_.size();
  chip_order_.clear();
  for (size_t k = 0; k < count; ++k) {
    Client& c = *clients_[(rr_ + k) % count];
    if (c.dead || c.conn->sending() || c.queue.empty()) continue;
    if (c.refused || !needs_chip(c.queue.front().type)) handle(c);
    else chip_order_.push_back(&c);
  }
  if (count) rr_ = (rr_ + 1) % count;
  std::sort(chip_order_.begin(), chip_order_.end(), [](const Client* a, const Client* b) { return a->ticket < b->ticket; });
  for (Client* c : chip_order_) {
    if (c->dead || c->served || c->conn->sending() || !allowed(*c)) continue;
    handle(*c);
  }
  for (auto& c : clients_) c->served = false;
}

void Service::timed_out(Client& c, const std::string& why) {
  ++timed_out_;
  server_.drop(*c.conn, why, Level::Warning);
}

// Closes clients that keep a slot without making progress; returns the
// earliest moment another such check is due (or max()).
Service::Clock::time_point Service::expire_clients() {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  for (auto& c : clients_)
    if (!c->dead) next = std::min(next, expire_one(*c, now));
  return next;
}

Service::Clock::time_point Service::expire_one(Client& c, Clock::time_point now) {
  constexpr auto never = Clock::time_point::max();
  const auto mt = opt_.message_timeout, idle = opt_.idle_timeout;
  const link::JrcpConnection& io = *c.conn;
  if (c.refused) {
    if (now < c.deadline) return c.deadline;
    timed_out(c, "turned away, and sent no request within " + ms_text(opt_.refusal_timeout));
    return never;
  }
  if (io.sending()) {
    if (!mt.count()) return never;
    if (now - io.send_since() < mt) return io.send_since() + mt;
    timed_out(c, "did not read its reply within " + ms_text(mt) + " (message_timeout)");
    return never;
  }
  if (!c.queue.empty()) {  // waiting for the server (or the lock): not the client's fault
    c.conn->touch();
    return never;
  }
  if (mt.count() && (!c.received_any || io.mid_message())) {
    if (now - io.await_since() < mt) return io.await_since() + mt;
    timed_out(c, std::string(io.mid_message() ? "sent half a request" : "sent no request") + " within " + ms_text(mt) +
                     " (message_timeout)");
    return never;
  }
  if (idle.count() && !io.mid_message()) {
    if (now - io.await_since() < idle) return io.await_since() + idle;
    timed_out(c, "idle for " + ms_text(idle) + " (idle_timeout)");
  }
  return never;
}

// A message type of the backend's own (e.g. the broker's status query):
// true when the backend answered it.
bool Service::answer_extension(Client& c, const jrcp::Message& m) {
  std::optional<jrcp::Message> ext;
  try {
    ext = backend_.extension(c.peer(), m);
  } catch (...) {
    log(Level::Info, "backend extension() threw");
  }
  if (!ext) return false;
  server_.reply(*c.conn, ext->type, ext->payload);
  return true;
}

// A turned-away connection's one reply: the reason (or the status answer),
// then it is closed.
void Service::refuse(Client& c, const jrcp::Message& m) {
  server_.close_after_reply(*c.conn);
  if (c.limit_exempt && m.type == *opt_.limit_exempt_type && answer_extension(c, m)) return;
  server_.reply(*c.conn, jrcp::kError, ByteView(reinterpret_cast<const uint8_t*>(c.refused->data()), c.refused->size()));
}

void Service::handle(Client& c) {
  if (c.queue.empty()) return;
  const jrcp::Message m = std::move(c.queue.front());
  c.queue.pop_front();
  if (!c.queue.empty()) c.ticket = ++next_ticket_;  // the next request queues up behind everybody waiting now
  ++c.requests;
  c.served = true;
  if (c.refused) return refuse(c, m);
  link::JrcpConnection& conn = *c.conn;
  using jrcp::Mty;
  switch (static_cast<Mty>(m.type)) {
    case Mty::WaitForCard: {
      Bytes atr;
      try {
        atr = backend_.atr();
      } catch (...) {
        log(Level::Info, "backend atr() threw");
      }
      return server_.reply(conn, m.type, atr);
    }
    case Mty::ApduData: {
      Bytes r;
      try {
        r = backend_.transceive_from(c.peer(), m.payload);
      } catch (...) {
        log(Level::Info, "backend transceive() threw; answering with no answer");
        r.clear();
      }
      return server_.reply(conn, m.type, r);
    }
    case Mty::Lock:
      if (lock_owner_ == 0) {
        lock_owner_ = c.id;
        lock_depth_ = 1;
        lock_since_ = Clock::now();
        lock_deadline_ = lock_since_ + opt_.lock_hold_max;
      } else if (lock_owner_ == c.id) {
        ++lock_depth_;
      }
      return server_.reply(conn, m.type, {});
    case Mty::Unlock:
      if (lock_owner_ == c.id && --lock_depth_ == 0) lock_owner_ = 0;
      return server_.reply(conn, m.type, {});
    case Mty::Close:
      server_.close_after_reply(conn);
      return server_.reply(conn, m.type, {});
    case Mty::TerminalInfo:
    case Mty::DebugInfo:
      return server_.reply(conn, m.type, {});
    case Mty::Quit:
      if (!opt_.allow_quit) break;
      log(Level::Info, c.name() + " sent QUIT");
      server_.quit();
      return server_.reply(conn, m.type, {});
    default:
      if (answer_extension(c, m)) return;
      break;
  }
  const uint8_t t = m.type;
  server_.reply(conn, jrcp::kError, ByteView(&t, 1));
}

ServiceState Service::state() const {
  ServiceState st;
  const auto now = Clock::now();
  auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
  for (const auto& cp : clients_) {
    if (cp->dead || cp->refused) continue;  // turned-away connections hold no slot
    ServiceClient c;
    c.peer = cp->peer();
    c.queued = cp->queue.size();
    c.holds_lock = lock_owner_ == cp->id;
    c.lock_depth = c.holds_lock ? lock_depth_ : 0;
    // Waiting means a request that needs the chip is kept out by the lock. A
    // queued status query or TERMINAL_INFO is answered at once and is no wait
    // (counting it made a status poller look like a queued client). Bytes still
    // in the kernel behind an empty queue are read on the next turn of the loop,
    // so they are not a wait yet either.
    c.waiting_for_lock = lock_owner_ != 0 && !c.holds_lock && !cp->queue.empty() && needs_chip(cp->queue.front().type);
    c.requests = cp->requests;
    c.connected_for = ms(now - cp->since);
    st.clients.push_back(std::move(c));
  }
  st.lock_owner = lock_owner_;
  if (lock_owner_) st.lock_held_for = ms(now - lock_since_);
  st.lock_hold_max = opt_.lock_hold_max;
  st.listeners = server_.listeners();
  st.refused = refused_;
  st.cut_off = cut_off_;
  st.over_limit = over_limit_;
  st.timed_out = timed_out_;
  st.listener_problems = server_.listener_problems();
  return st;
}

}  // namespace sx::broker
