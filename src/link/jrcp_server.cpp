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

#include "link/jrcp.h"
#include "link/socket.h"

namespace sx::link {

using Clock = JrcpClock;
using log::Level;

namespace {

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

JrcpServer::JrcpServer(JrcpHandler& handler, JrcpServerOptions opt)
    : handler_(handler), opt_(std::move(opt)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

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
    if (problem != unix_files_[i].problem && !problem.empty()) log(Level::Error, "SOCKET FILE " + problem);
    if (problem != unix_files_[i].problem && problem.empty())
      log(Level::Warning, unix_paths_[i] + " is this server's socket again");
    unix_files_[i].problem = problem;
  }
}

std::vector<std::string> JrcpServer::listener_problems() const {
  std::vector<std::string> out;
  for (const auto& f : unix_files_)
    if (!f.problem.empty()) out.push_back(f.problem);
  return out;
}

void JrcpServer::log(Level level, const std::string& s) const {
  if (opt_.log) opt_.log(level, "jrcp-server: " + s);
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

void JrcpServer::drop(JrcpConnection& c, const std::string& why, Level level) {
  if (c.dead_) return;
  c.dead_ = true;
  log(level, c.peer_.name + " dropped: " + why);
  c.fd_.reset();
  handler_.gone(c);
}

bool JrcpServer::flush(JrcpConnection& c) {
  while (c.sending()) {
    ssize_t n = ::send(c.fd_.get(), c.out_.data() + c.out_pos_, c.out_.size() - c.out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    drop(c, n < 0 ? errno_text("send", errno) : "send returned 0");
    return false;
  }
  c.out_.clear();
  c.out_pos_ = 0;
  if (c.close_after_reply_) {
    drop(c, "closed after CLOSE");
    return false;
  }
  return true;
}

void JrcpServer::reply(JrcpConnection& c, uint8_t type, ByteView payload) {
  auto msg = jrcp::encode(type, payload);
  if (!msg) {
    // Only a backend answer above 64 KiB gets here; the client must not wait forever.
    log(Level::Info, c.peer_.name + ": " + msg.error().message);
    msg = jrcp::encode(type, {});
  }
  if (!c.sending()) c.send_since_ = Clock::now();
  append(c.out_, *msg);
  if (flush(c)) c.touch();
}

void JrcpServer::accept_from(size_t i) {
  for (;;) {
    int fd = ::accept4(listeners_[i].get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;  // EAGAIN, or a transient error: try again on the next wake-up
    Fd cfd(fd);
    int one = 1;
    if (!listener_unix_[i]) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<JrcpConnection> c(new JrcpConnection(std::move(cfd), opt_.max_payload));
    JrcpPeer& p = c->peer_;
    p.id = next_id_++;
    p.unix_socket = listener_unix_[i];
    p.name = "client#" + std::to_string(p.id);
    if (p.unix_socket) {
      p.address = listener_names_[i];
      if (auto pc = peer_cred(c->fd_.get())) {
        p.has_cred = true;
        p.cred = *pc;
        p.name += " (pid " + std::to_string(pc->pid) + " uid " + std::to_string(pc->uid) + " gid " +
                  std::to_string(pc->gid) + ")";
      }
      if (auto pg = peer_groups(c->fd_.get())) {
        p.has_groups = true;
        p.groups = std::move(*pg);
      }
    } else {
      p.address = tcp_peer_address(c->fd_.get());
      p.name += " (tcp " + p.address + ")";
    }
    if (handler_.accepted(*c, listener_names_[i])) conns_.push_back(std::move(c));
  }
}

void JrcpServer::read_from(JrcpConnection& c) {
  uint8_t rbuf[4096];
  ssize_t r = ::recv(c.fd_.get(), rbuf, sizeof rbuf, 0);
  if (r > 0) {
    if (!c.mid_message()) c.touch();  // a new request starts: its deadline starts now
    if (Status s = c.dec_.feed(ByteView(rbuf, static_cast<size_t>(r))); !s) {
      drop(c, s.error().message);
      return;
    }
    std::vector<jrcp::Message> batch;
    while (auto m = c.dec_.next()) batch.push_back(std::move(*m));
    if (!batch.empty()) handler_.requests(c, std::move(batch));
  } else if (r == 0) {
    drop(c, c.mid_message() ? "closed mid-message" : "disconnected");
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    drop(c, errno_text("recv", errno));
  }
}

Status JrcpServer::run() {
  if (!wake_) return make_error(Errc::Io, "jrcp-server: eventfd failed");
  if (listeners_.empty()) return make_error(Errc::InvalidArgument, "jrcp-server: no listener");
  quit_ = false;
  std::vector<pollfd> pfds;
  std::vector<JrcpConnection*> polled;
  auto next_check = Clock::now() + opt_.listener_check_interval;
  while (!stopping_.load() && !quit_) {
    pfds.clear();
    polled.clear();
    pfds.push_back({wake_.get(), POLLIN, 0});
    for (auto& l : listeners_) pfds.push_back({l.get(), POLLIN, 0});
    for (auto& cp : conns_) {
      // Not read while the handler wants no input, but still polled (with
      // no events), so POLLHUP/POLLERR report a peer that died meanwhile.
      short ev = cp->sending() ? POLLOUT : handler_.wants_input(*cp) ? POLLIN : 0;
      pfds.push_back({cp->fd_.get(), ev, 0});
      polled.push_back(cp.get());
    }
    const auto handler_wake = handler_.next_wake();
    const auto now = Clock::now();
    int timeout = -1;
    auto wake_at = [&](Clock::time_point t) {
      int ms = poll_ms(now, t);
      timeout = timeout < 0 ? ms : std::min(timeout, ms);
    };
    if (handler_wake != Clock::time_point::max()) wake_at(handler_wake);
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

    const size_t base = 1 + listeners_.size();
    for (size_t i = 0; i < polled.size(); ++i) {
      JrcpConnection& c = *polled[i];
      short re = pfds[base + i].revents;
      if (!re || c.dead()) continue;
      if (re & POLLOUT) {
        if (flush(c)) c.touch();
      } else if (re & POLLIN) {
        read_from(c);
      } else if (re & (POLLHUP | POLLERR | POLLNVAL)) {
        drop(c, "hang-up");
      }
    }

    if (opt_.listener_check_interval.count() && Clock::now() >= next_check) {
      check_socket_files();
      next_check = Clock::now() + opt_.listener_check_interval;
    }
    handler_.serve();
    std::erase_if(conns_, [](const std::unique_ptr<JrcpConnection>& c) { return c->dead(); });
  }
  // Best effort: a QUIT reply that did not fit the socket buffer is dropped.
  // Listeners close too, so new clients fail fast instead of waiting forever.
  for (auto& cp : conns_) drop(*cp, "server stopping");
  conns_.clear();
  listeners_.clear();
  remove_socket_files();
  return {};
}

}  // namespace sx::link
