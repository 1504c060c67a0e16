#include "link/jrcp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <deque>

#include "link/jrcp.h"
#include "link/socket.h"

namespace sx::link {

using Clock = std::chrono::steady_clock;

struct JrcpServer::Client {
  uint64_t id = 0;
  Fd fd;
  jrcp::Decoder dec;
  std::deque<jrcp::Message> queue;  // complete requests not served yet
  Bytes out;
  size_t out_pos = 0;
  bool close_after_reply = false;
  bool dead = false;
  std::string name;
  JrcpPeer peer;
  // Turned away (admission or a connection limit): takes no slot, gets the
  // reason as the reply to its first request (or the status answer when
  // limit_exempt), then is closed; closed anyway at `deadline`.
  std::optional<std::string> refused;
  bool limit_exempt = false;
  Clock::time_point deadline{};
  std::string peer_key;  // what max_clients_per_peer counts by
  uint64_t requests = 0;
  bool received_any = false;  // a complete request ever arrived
  // Since when the server waits for this client to finish its next request
  // (or, between requests, how long it has been idle); refreshed while the
  // client waits for the server instead.
  Clock::time_point await_since = Clock::now();
  Clock::time_point send_since{};  // a reply started waiting for the client to read it
  uint64_t ticket = 0;   // arrival order of the request at the head of the queue
  bool served = false;   // served in this round
  Clock::time_point since = Clock::now();

  Client(uint64_t i, Fd f, size_t max_payload) : id(i), fd(std::move(f)), dec(max_payload) {}
  bool sending() const { return out_pos < out.size(); }
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
std::string peer_key(const JrcpPeer& p) {
  if (!p.unix_socket) return "tcp";
  if (!p.has_cred) return "unix";
  return "uid " + std::to_string(p.cred.uid);
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

int poll_ms(Clock::time_point now, Clock::time_point when) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left + 1, 1000000));
}

std::string tcp_peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
    std::string out = host;
    out += ":";
    out += std::to_string(port);
    return out;
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
    std::string out = "[";
    out += host;
    out += "]:";
    out += std::to_string(port);
    return out;
  }
  return "?";
}

}  // namespace

JrcpServer::JrcpServer(JrcpBackend& backend, JrcpServerOptions opt)
    : backend_(backend), opt_(std::move(opt)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

JrcpServer::~JrcpServer() {
  stop();
  remove_socket_files();
}

// Removes our socket files, but not a file someone put in their place.
void JrcpServer::remove_socket_files() {
  for (size_t i = 0; i < unix_paths_.size(); ++i) {
    struct stat st{};
    if (::lstat(unix_paths_[i].c_str(), &st) == 0 && st.st_dev == unix_files_[i].dev &&
        st.st_ino == unix_files_[i].ino)
      ::unlink(unix_paths_[i].c_str());
  }
  unix_paths_.clear();
  unix_files_.clear();
}

void JrcpServer::check_socket_files() {
  for (size_t i = 0; i < unix_paths_.size(); ++i) {
    struct stat st{};
    std::string problem;
    if (::lstat(unix_paths_[i].c_str(), &st) < 0)
      problem = unix_paths_[i] + " was removed";
    else if (st.st_dev != unix_files_[i].dev || st.st_ino != unix_files_[i].ino)
      problem = unix_paths_[i] + " was replaced by another file (owner uid " + std::to_string(st.st_uid) +
                "); new clients reach whoever made it, not this server";
    if (problem != unix_files_[i].problem && !problem.empty()) log("SOCKET FILE " + problem);
    if (problem != unix_files_[i].problem && problem.empty()) log(unix_paths_[i] + " is this server's socket again");
    unix_files_[i].problem = problem;
  }
}

void JrcpServer::log(const std::string& s) {
  if (opt_.log) opt_.log("jrcp-server: " + s);
}

Result<uint16_t> JrcpServer::listen_tcp(const std::string& host, uint16_t port) {
  SX_ASSIGN(Fd fd, tcp_listen(host, port));
  SX_TRY(set_nonblocking(fd.get(), true));
  SX_ASSIGN(uint16_t bound, local_port(fd.get()));
  listeners_.push_back(std::move(fd));
  listener_unix_.push_back(false);
  Endpoint ep;
  ep.kind = Endpoint::Kind::JrcpTcp;
  ep.host = host;
  ep.port = bound;
  listener_names_.push_back(to_string(ep));
  return bound;
}

Status JrcpServer::listen_unix(const std::string& path) {
  SX_ASSIGN(Fd fd, unix_listen(path));
  SX_TRY(set_nonblocking(fd.get(), true));
  struct stat st{};
  if (::lstat(path.c_str(), &st) < 0) return make_error(Errc::Io, errno_text("stat " + path, errno));
  listeners_.push_back(std::move(fd));
  listener_unix_.push_back(true);
  unix_paths_.push_back(path);
  unix_files_.push_back({st.st_dev, st.st_ino, {}});
  listener_names_.push_back("unix:" + path);
  return {};
}

Status JrcpServer::listen(const Endpoint& ep) {
  if (ep.kind == Endpoint::Kind::JrcpTcp) {
    auto r = listen_tcp(ep.host, ep.port);
    if (!r) return r.take_error();
    return {};
  }
  if (ep.kind == Endpoint::Kind::JrcpUnix) return listen_unix(ep.path);
  return make_error(Errc::InvalidArgument, "jrcp-server: cannot listen on " + to_string(ep));
}

Status JrcpServer::start() {
  std::lock_guard<std::mutex> g(start_mu_);
  if (thread_.joinable()) return make_error(Errc::InvalidArgument, "jrcp-server: already started");
  if (!wake_) return make_error(Errc::Io, "jrcp-server: eventfd failed");
  stopping_ = false;
  try {
    thread_ = std::thread([this] { (void)run(); });
  } catch (const std::exception& e) {
    return make_error(Errc::Io, std::string("jrcp-server: cannot start thread: ") + e.what());
  }
  return {};
}

void JrcpServer::request_stop() noexcept {
  stopping_ = true;
  if (wake_) {
    uint64_t one = 1;
    ssize_t n = ::write(wake_.get(), &one, sizeof one);
    (void)n;
  }
}

void JrcpServer::stop() {
  request_stop();
  std::lock_guard<std::mutex> g(start_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void JrcpServer::drop(Client& c, const std::string& why) {
  if (c.dead) return;
  c.dead = true;
  log(c.name + " dropped: " + why);
  bool held = lock_owner_ == c.id;
  if (held) {
    lock_owner_ = 0;
    lock_depth_ = 0;
    log(c.name + " released the lock by disconnecting");
  }
  c.fd.reset();
  c.queue.clear();
  if (!c.refused) {
    try {
      backend_.client_gone(c.peer, held);
    } catch (...) {
      log("backend client_gone() threw");
    }
  }
}

bool JrcpServer::flush(Client& c) {
  while (c.sending()) {
    ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    drop(c, n < 0 ? errno_text("send", errno) : "send returned 0");
    return false;
  }
  c.out.clear();
  c.out_pos = 0;
  if (c.close_after_reply) {
    drop(c, "closed after CLOSE");
    return false;
  }
  return true;
}

void JrcpServer::touch(Client& c) { c.await_since = Clock::now(); }

void JrcpServer::reply(Client& c, uint8_t type, ByteView payload) {
  auto msg = jrcp::encode(type, payload);
  if (!msg) {
    // Only a backend answer above 64 KiB gets here; the client must not wait forever.
    log(c.name + ": " + msg.error().message);
    msg = jrcp::encode(type, {});
  }
  if (!c.sending()) c.send_since = Clock::now();
  append(c.out, *msg);
  if (flush(c)) touch(c);
}

// A message type of the backend's own (e.g. the broker's status query):
// true when the backend answered it.
bool JrcpServer::answer_extension(Client& c, const jrcp::Message& m) {
  std::optional<jrcp::Message> ext;
  try {
    ext = backend_.extension(c.peer, m);
  } catch (...) {
    log("backend extension() threw");
  }
  if (!ext) return false;
  reply(c, ext->type, ext->payload);
  return true;
}

void JrcpServer::handle(Client& c) {
  if (c.queue.empty()) return;
  std::optional<jrcp::Message> m = std::move(c.queue.front());
  c.queue.pop_front();
  if (!c.queue.empty()) c.ticket = ++next_ticket_;  // the next request queues up behind everybody waiting now
  ++c.requests;
  c.served = true;
  if (c.refused) {
    c.close_after_reply = true;
    if (c.limit_exempt && m->type == *opt_.limit_exempt_type && answer_extension(c, *m)) return;
    reply(c, jrcp::kError, ByteView(reinterpret_cast<const uint8_t*>(c.refused->data()), c.refused->size()));
    return;
  }
  using jrcp::Mty;
  switch (static_cast<Mty>(m->type)) {
    case Mty::WaitForCard: {
      Bytes atr;
      try {
        atr = backend_.atr();
      } catch (...) {
        log("backend atr() threw");
      }
      reply(c, m->type, atr);
      return;
    }
    case Mty::ApduData: {
      Bytes r;
      try {
        r = backend_.transceive_from(c.peer, m->payload);
      } catch (...) {
        log("backend transceive() threw; answering with no answer");
        r.clear();
      }
      reply(c, m->type, r);
      return;
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
      reply(c, m->type, {});
      return;
    case Mty::Unlock:
      if (lock_owner_ == c.id && --lock_depth_ == 0) lock_owner_ = 0;
      reply(c, m->type, {});
      return;
    case Mty::Close:
      c.close_after_reply = true;
      reply(c, m->type, {});
      return;
    case Mty::TerminalInfo:
    case Mty::DebugInfo:
      reply(c, m->type, {});
      return;
    case Mty::Quit:
      if (opt_.allow_quit) {
        log(c.name + " sent QUIT");
        quit_ = true;
        reply(c, m->type, {});
        return;
      }
      break;
    default: {
      if (answer_extension(c, *m)) return;
      break;
    }
  }
  uint8_t t = m->type;
  reply(c, jrcp::kError, ByteView(&t, 1));
}

void JrcpServer::accept_from(size_t i) {
  for (;;) {
    int fd = ::accept4(listeners_[i].get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;  // EAGAIN, or a transient error: try again on the next wake-up
    Fd cfd(fd);
    int one = 1;
    if (!listener_unix_[i]) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Client>(next_id_++, std::move(cfd), opt_.max_payload);
    JrcpPeer& p = c->peer;
    p.id = c->id;
    p.unix_socket = listener_unix_[i];
    c->name = "client#" + std::to_string(c->id);
    if (p.unix_socket) {
      p.address = listener_names_[i];
      if (auto pc = peer_cred(c->fd.get())) {
        p.has_cred = true;
        p.cred = *pc;
        c->name += " (pid " + std::to_string(pc->pid) + " uid " + std::to_string(pc->uid) + " gid " +
                   std::to_string(pc->gid) + ")";
      }
      if (auto pg = peer_groups(c->fd.get())) {
        p.has_groups = true;
        p.groups = std::move(*pg);
      }
    } else {
      p.address = tcp_peer_address(c->fd.get());
      c->name += " (tcp " + p.address + ")";
    }
    p.name = c->name;
    c->peer_key = peer_key(p);
    if (opt_.admit) {
      try {
        c->refused = opt_.admit(p);
      } catch (...) {
        c->refused = "admission check failed";
      }
    }
    // Connection limits. Clients turned away hold no slot, so neither
    // refused peers nor a full house can lock out the others or the status query.
    size_t active = 0, of_peer = 0, pending = 0, pending_of_peer = 0;
    for (const auto& o : clients_) {
      if (o->dead) continue;
      bool same = o->peer_key == c->peer_key;
      if (o->refused) {
        ++pending;
        pending_of_peer += same;
      } else {
        ++active;
        of_peer += same;
      }
    }
    bool over_limit = false;
    if (!c->refused && active >= opt_.max_clients) {
      c->refused = "too many clients connected (limit " + std::to_string(opt_.max_clients) + "); try again later";
      over_limit = true;
    } else if (!c->refused && opt_.max_clients_per_peer && of_peer >= opt_.max_clients_per_peer) {
      c->refused = "too many connections from " + (c->peer_key == "tcp" ? std::string("TCP clients") : c->peer_key) +
                   " (limit " + std::to_string(opt_.max_clients_per_peer) + "); try again later";
      over_limit = true;
    }
    if (!c->refused) {
      log(c->name + " connected on " + listener_names_[i]);
      clients_.push_back(std::move(c));
      continue;
    }
    if (over_limit) ++over_limit_;
    else ++refused_;
    if (pending >= opt_.max_pending || pending_of_peer >= kPendingPerPeer) {
      log(c->name + " refused and closed at once (too many turned-away connections waiting): " + *c->refused);
      continue;  // the fd closes
    }
    log(c->name + (over_limit ? " turned away: " : " refused: ") + *c->refused);
    c->limit_exempt = over_limit && opt_.limit_exempt_type.has_value();
    c->deadline = Clock::now() + opt_.refusal_timeout;
    clients_.push_back(std::move(c));
  }
}

// Closes clients that keep a slot without making progress; returns the
// earliest moment another such check is due (or max()).
Clock::time_point JrcpServer::expire_clients() {
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  const auto mt = opt_.message_timeout, idle = opt_.idle_timeout;
  auto due = [&](Clock::time_point t) { next = std::min(next, t); };
  for (auto& cp : clients_) {
    Client& c = *cp;
    if (c.dead) continue;
    if (c.refused) {
      if (now >= c.deadline) {
        ++timed_out_;
        drop(c, "turned away, and sent no request within " + ms_text(opt_.refusal_timeout));
      } else {
        due(c.deadline);
      }
      continue;
    }
    if (c.sending()) {
      if (mt.count() && now - c.send_since >= mt) {
        ++timed_out_;
        drop(c, "did not read its reply within " + ms_text(mt) + " (message_timeout)");
      } else if (mt.count()) {
        due(c.send_since + mt);
      }
      continue;
    }
    if (!c.queue.empty()) {  // waiting for the server (or the lock): not the client's fault
      c.await_since = now;
      continue;
    }
    if (mt.count() && (!c.received_any || c.dec.mid_message())) {
      if (now - c.await_since >= mt) {
        ++timed_out_;
        drop(c, std::string(c.dec.mid_message() ? "sent half a request" : "sent no request") + " within " + ms_text(mt) +
                    " (message_timeout)");
      } else {
        due(c.await_since + mt);
      }
      continue;
    }
    if (idle.count() && !c.dec.mid_message()) {
      if (now - c.await_since >= idle) {
        ++timed_out_;
        drop(c, "idle for " + ms_text(idle) + " (idle_timeout)");
      } else {
        due(c.await_since + idle);
      }
    }
  }
  return next;
}

Status JrcpServer::run() {
  if (!wake_) return make_error(Errc::Io, "jrcp-server: eventfd failed");
  if (listeners_.empty()) return make_error(Errc::InvalidArgument, "jrcp-server: no listener");
  quit_ = false;
  std::vector<pollfd> pfds;
  std::vector<Client*> polled;
  std::vector<Client*> chip_order;
  uint8_t rbuf[4096];
  auto next_check = Clock::now() + opt_.listener_check_interval;
  auto next_expiry = Clock::now();
  while (!stopping_.load() && !quit_) {
    auto allowed = [&](const Client& c) { return lock_owner_ == 0 || lock_owner_ == c.id; };
    auto servable = [&](const Client& c) {
      return !c.queue.empty() && (allowed(c) || c.refused || !needs_chip(c.queue.front().type));
    };
    bool work_pending = false;
    pfds.clear();
    polled.clear();
    pfds.push_back({wake_.get(), POLLIN, 0});
    for (auto& l : listeners_) pfds.push_back({l.get(), POLLIN, 0});
    for (auto& cp : clients_) {
      Client& c = *cp;
      short ev = 0;
      // A client is read only when nothing of it is queued (back-pressure);
      // one whose request waits for the lock is polled with no events, so
      // POLLHUP/POLLERR still report a peer that died while queued.
      if (c.sending()) ev = POLLOUT;
      else if (servable(c)) work_pending = true;
      else if (c.queue.empty()) ev = POLLIN;
      pfds.push_back({c.fd.get(), ev, 0});
      polled.push_back(&c);
    }
    const auto now = Clock::now();
    int timeout = -1;
    auto wake_at = [&](Clock::time_point t) {
      int ms = poll_ms(now, t);
      timeout = timeout < 0 ? ms : std::min(timeout, ms);
    };
    if (work_pending) timeout = 0;
    if (lock_owner_ != 0) wake_at(lock_deadline_);
    if (next_expiry != Clock::time_point::max()) wake_at(next_expiry);
    if (opt_.listener_check_interval.count() && !unix_paths_.empty()) wake_at(next_check);
    int n = ::poll(pfds.data(), pfds.size(), timeout);
    if (n < 0 && errno != EINTR) return make_error(Errc::Io, errno_text("jrcp-server: poll", errno));
    if (n < 0) continue;
    if (pfds[0].revents) {
      uint64_t v;
      ssize_t r = ::read(wake_.get(), &v, sizeof v);
      (void)r;
    }
    if (stopping_.load()) break;

    for (size_t i = 0; i < listeners_.size(); ++i)
      if (pfds[1 + i].revents & POLLIN) accept_from(i);

    size_t base = 1 + listeners_.size();
    for (size_t i = 0; i < polled.size(); ++i) {
      Client& c = *polled[i];
      short re = pfds[base + i].revents;
      if (!re || c.dead) continue;
      if (re & POLLOUT) {
        if (flush(c)) touch(c);
        continue;
      }
      if (re & POLLIN) {
        ssize_t r = ::recv(c.fd.get(), rbuf, sizeof rbuf, 0);
        if (r > 0) {
          if (!c.dec.mid_message()) touch(c);  // a new request starts: its deadline starts now
          if (Status s = c.dec.feed(ByteView(rbuf, static_cast<size_t>(r))); !s) {
            drop(c, s.error().message);
          } else {
            while (auto m = c.dec.next()) {
              if (c.queue.empty()) c.ticket = ++next_ticket_;
              c.queue.push_back(std::move(*m));
              c.received_any = true;
            }
            if (opt_.max_queue && c.queue.size() > opt_.max_queue) {
              ++cut_off_;
              drop(c, "sent " + std::to_string(c.queue.size()) + " requests without waiting (queue limit " +
                          std::to_string(opt_.max_queue) + ")");
            }
          }
        } else if (r == 0) {
          drop(c, c.dec.mid_message() ? "closed mid-message" : "disconnected");
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          drop(c, errno_text("recv", errno));
        }
        continue;
      }
      if (re & (POLLHUP | POLLERR | POLLNVAL)) drop(c, "hang-up");
    }

    if (lock_owner_ != 0 && Clock::now() >= lock_deadline_) {
      const std::string ms = std::to_string(opt_.lock_hold_max.count());
      Client* holder = nullptr;
      for (auto& cp : clients_)
        if (cp->id == lock_owner_ && !cp->dead) holder = cp.get();
      if (opt_.cut_off_on_expiry && holder) {
        ++cut_off_;
        drop(*holder, "held the lock longer than " + ms + " ms: cut off");
      } else {
        log("client#" + std::to_string(lock_owner_) + " held the lock longer than " + ms + " ms; lock released");
      }
      lock_owner_ = 0;
      lock_depth_ = 0;
    }

    if (opt_.listener_check_interval.count() && Clock::now() >= next_check) {
      check_socket_files();
      next_check = Clock::now() + opt_.listener_check_interval;
    }

    // One request per client per round. Requests that do not need the chip
    // (and those of turned-away clients) go first, from a rotating start;
    // then those that need the chip, oldest first: whoever just had the chip
    // (or the lock) queues up behind everybody already waiting.
    size_t count = clients_.size();
    chip_order.clear();
    for (size_t k = 0; k < count; ++k) {
      Client& c = *clients_[(rr_ + k) % count];
      if (c.dead || c.sending() || c.queue.empty()) continue;
      if (c.refused || !needs_chip(c.queue.front().type)) handle(c);
      else chip_order.push_back(&c);
    }
    if (count) rr_ = (rr_ + 1) % count;
    std::sort(chip_order.begin(), chip_order.end(), [](const Client* a, const Client* b) { return a->ticket < b->ticket; });
    for (Client* c : chip_order) {
      if (c->dead || c->served || c->sending() || !allowed(*c)) continue;
      handle(*c);
    }
    for (auto& cp : clients_) cp->served = false;
    // After serving: a client just answered starts its idle time now.
    next_expiry = expire_clients();

    std::erase_if(clients_, [](const std::unique_ptr<Client>& c) { return c->dead; });
    client_count_ = clients_.size();
  }
  // Best effort: a QUIT reply that did not fit the socket buffer is dropped.
  // Listeners close too, so new clients fail fast instead of waiting forever.
  for (auto& cp : clients_) drop(*cp, "server stopping");
  clients_.clear();
  listeners_.clear();
  remove_socket_files();
  client_count_ = 0;
  lock_owner_ = 0;
  lock_depth_ = 0;
  return {};
}

}  // namespace sx::link

namespace sx::link {

JrcpServerState JrcpServer::state() const {
  JrcpServerState st;
  const auto now = Clock::now();
  auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
  for (const auto& cp : clients_) {
    if (cp->dead || cp->refused) continue;  // turned-away connections hold no slot
    JrcpClientState c;
    c.peer = cp->peer;
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
  st.listeners = listener_names_;
  st.refused = refused_;
  st.cut_off = cut_off_;
  st.over_limit = over_limit_;
  st.timed_out = timed_out_;
  for (const auto& f : unix_files_)
    if (!f.problem.empty()) st.listener_problems.push_back(f.problem);
  return st;
}

}  // namespace sx::link
