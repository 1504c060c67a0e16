// Socket plumbing shared by the JRCP client/server and the virtual I2C bus:
// connect/listen for TCP and Unix sockets and whole-buffer I/O that survives
// EINTR, short transfers and (optionally) enforces a deadline.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "link/fd.h"

namespace sx::link {

// timeout_ms < 0 means "wait forever" everywhere below.

// host may be a name, an IPv4 or an IPv6 literal (without brackets).
Result<Fd> tcp_connect(const std::string& host, uint16_t port, int timeout_ms = -1);
// Binds host:port (port 0 = ephemeral; see local_port) with SO_REUSEADDR.
Result<Fd> tcp_listen(const std::string& host, uint16_t port, int backlog = 64);
Result<uint16_t> local_port(int fd);

Result<Fd> unix_connect(const std::string& path);
// Removes a stale socket file first (a socket file nobody accepts on), but
// refuses to replace a non-socket file or a socket a live server listens on.
Result<Fd> unix_listen(const std::string& path, int backlog = 64);

Status set_nonblocking(int fd, bool on);

// Fails with Errc::Closed when the peer closed before all bytes arrived,
// Errc::Timeout when the deadline passed, Errc::Io otherwise.
Status read_exact(int fd, std::span<uint8_t> out, int timeout_ms = -1);
// Never raises SIGPIPE (MSG_NOSIGNAL); a vanished peer is Errc::Closed.
Status write_all(int fd, ByteView data, int timeout_ms = -1);

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
// Credentials of the process at the other end of a connected Unix socket.
Result<PeerCred> peer_cred(int fd);
// Its supplementary groups as of connect() (SO_PEERGROUPS, Linux >= 4.13),
// mapped into our user namespace; no /proc lookup, so no PID is involved.
Result<std::vector<gid_t>> peer_groups(int fd);

// "strerror(errno)" formatted as "<what>: <text>"; thread-safe.
std::string errno_text(const std::string& what, int err);

}  // namespace sx::link
