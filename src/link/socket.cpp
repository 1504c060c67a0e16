#include "link/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>

namespace sx::link {

namespace {

using Clock = std::chrono::steady_clock;

std::string gai_text(int rc) { return gai_strerror(rc); }

// Milliseconds left until deadline for poll(); -1 when there is none.
int remaining_ms(bool has_deadline, Clock::time_point deadline) {
  if (!has_deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  if (left > 1000000000) return 1000000000;
  return static_cast<int>(left);
}

// Waits until fd is ready for `events`; Timeout when the deadline passes.
Status wait_ready(int fd, short events, bool has_deadline, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = remaining_ms(has_deadline, deadline);
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return {};
    if (rc == 0) return make_error(Errc::Timeout, "socket: timed out");
    if (errno != EINTR) return make_error(Errc::Io, errno_text("poll", errno));
  }
}

Result<sockaddr_un> unix_addr(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty()) return make_error(Errc::InvalidArgument, "unix socket: empty path");
  if (path.size() >= sizeof(a.sun_path))
    return make_error(Errc::InvalidArgument,
                      "unix socket: path longer than " + std::to_string(sizeof(a.sun_path) - 1) + " bytes: " + path);
  memcpy(a.sun_path, path.data(), path.size());
  return a;
}

}  // namespace

std::string errno_text(const std::string& what, int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  const char* s = strerror_r(err, buf, sizeof buf);
#else
  const char* s = strerror_r(err, buf, sizeof buf) == 0 ? buf : "unknown error";
#endif
  return what + ": " + s;
}

Result<Fd> tcp_connect(const std::string& host, uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return make_error(Errc::Io, "resolve " + host + ": " + gai_text(rc));
  std::string last = "no address for " + host;
  Errc last_code = Errc::Io;
  bool has_deadline = timeout_ms >= 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last = errno_text("socket", errno);
      continue;
    }
    if (has_deadline) {
      (void)set_nonblocking(fd.get(), true);
    }
    int c;
    do c = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    while (c < 0 && errno == EINTR && !has_deadline);
    if (c < 0 && has_deadline && (errno == EINPROGRESS || errno == EINTR)) {
      Status w = wait_ready(fd.get(), POLLOUT, true, deadline);
      if (!w) {
        last = "connect " + host + ":" + service + ": timed out";
        last_code = Errc::Timeout;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      c = err == 0 ? 0 : -1;
      errno = err;
    }
    if (c < 0) {
      last = errno_text("connect " + host + ":" + service, errno);
      last_code = Errc::Io;
      continue;
    }
    if (has_deadline) (void)set_nonblocking(fd.get(), false);
    int one = 1;
    // Request/response traffic of a few bytes: Nagle would add latency per APDU.
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::freeaddrinfo(res);
    return fd;
  }
  ::freeaddrinfo(res);
  return make_error(last_code, last);
}

Result<Fd> tcp_listen(const std::string& host, uint16_t port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return make_error(Errc::Io, "resolve " + host + ": " + gai_text(rc));
  std::string last = "no address for " + host;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last = errno_text("socket", errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) < 0) {
      last = errno_text("bind " + host + ":" + service, errno);
      continue;
    }
    if (::listen(fd.get(), backlog) < 0) {
      last = errno_text("listen " + host + ":" + service, errno);
      continue;
    }
    ::freeaddrinfo(res);
    return fd;
  }
  ::freeaddrinfo(res);
  return make_error(Errc::Io, last);
}

Result<uint16_t> local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0)
    return make_error(Errc::Io, errno_text("getsockname", errno));
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return make_error(Errc::InvalidArgument, "getsockname: not an IP socket");
}

Result<Fd> unix_connect(const std::string& path) {
  SX_ASSIGN(sockaddr_un a, unix_addr(path));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(Errc::Io, errno_text("socket", errno));
  int c;
  do c = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
  while (c < 0 && errno == EINTR);
  if (c < 0) return make_error(Errc::Io, errno_text("connect " + path, errno));
  return fd;
}

Result<Fd> unix_listen(const std::string& path, int backlog) {
  SX_ASSIGN(sockaddr_un a, unix_addr(path));
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return make_error(Errc::Exists, "unix socket: " + path + " exists and is not a socket");
    if (unix_connect(path).ok())
      return make_error(Errc::Exists, "unix socket: a server is already listening on " + path);
    ::unlink(path.c_str());
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(Errc::Io, errno_text("socket", errno));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    return make_error(Errc::Io, errno_text("bind " + path, errno));
  if (::listen(fd.get(), backlog) < 0) return make_error(Errc::Io, errno_text("listen " + path, errno));
  return fd;
}

Status set_nonblocking(int fd, bool on) {
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) return make_error(Errc::Io, errno_text("fcntl", errno));
  fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, fl) < 0) return make_error(Errc::Io, errno_text("fcntl", errno));
  return {};
}

Status read_exact(int fd, std::span<uint8_t> out, int timeout_ms) {
  bool has_deadline = timeout_ms >= 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  size_t got = 0;
  while (got < out.size()) {
    if (has_deadline) SX_TRY(wait_ready(fd, POLLIN, true, deadline));
    ssize_t n = ::recv(fd, out.data() + got, out.size() - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return make_error(Errc::Closed, "peer closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      SX_TRY(wait_ready(fd, POLLIN, has_deadline, deadline));
      continue;
    }
    if (errno == ECONNRESET) return make_error(Errc::Closed, "peer reset the connection");
    return make_error(Errc::Io, errno_text("recv", errno));
  }
  return {};
}

Status write_all(int fd, ByteView data, int timeout_ms) {
  bool has_deadline = timeout_ms >= 0;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  size_t done = 0;
  while (done < data.size()) {
    if (has_deadline) SX_TRY(wait_ready(fd, POLLOUT, true, deadline));
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      SX_TRY(wait_ready(fd, POLLOUT, has_deadline, deadline));
      continue;
    }
    if (errno == EPIPE || errno == ECONNRESET) return make_error(Errc::Closed, "peer closed the connection");
    return make_error(Errc::Io, errno_text("send", errno));
  }
  return {};
}

Result<PeerCred> peer_cred(int fd) {
  ucred c{};
  socklen_t len = sizeof c;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0)
    return make_error(Errc::Io, errno_text("SO_PEERCRED", errno));
  return PeerCred{c.pid, c.uid, c.gid};
}

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux >= 4.13; asm-generic value, the same on armhf
#endif

Result<std::vector<gid_t>> peer_groups(int fd) {
  std::vector<gid_t> g(32);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t len = static_cast<socklen_t>(g.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g.data(), &len) == 0) {
      g.resize(len / sizeof(gid_t));
      return g;
    }
    // ERANGE: len now says how much room the list needs.
    if (errno != ERANGE || len / sizeof(gid_t) <= g.size() || len / sizeof(gid_t) > 65536)
      return make_error(Errc::Io, errno_text("SO_PEERGROUPS", errno));
    g.resize(len / sizeof(gid_t));
  }
  return make_error(Errc::Io, "SO_PEERGROUPS: the group list kept growing");
}

}  // namespace sx::link
