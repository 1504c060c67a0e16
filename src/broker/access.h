// Who may use the broker: Unix-socket peers are checked by their uid, primary
// gid (SO_PEERCRED) and supplementary groups (SO_PEERGROUPS), all taken from
// the connection itself at accept. Nothing is looked up by PID: in its own
// PID namespace (a container) the broker sees pid 0 for clients outside it,
// and a /proc/<pid> lookup would race with PID reuse. TCP peers carry no
// credentials and are admitted only because the operator enabled the
// (loopback) TCP listener.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "link/jrcp_server.h"

namespace sx::broker {

struct AccessPolicy {
  std::vector<uid_t> uids;
  std::vector<gid_t> gids;
  bool open() const { return uids.empty() && gids.empty(); }
};

// nullopt = admitted; otherwise the reason sent to the client and logged.
std::optional<std::string> check_access(const AccessPolicy& p, const link::JrcpPeer& peer);

}  // namespace sx::broker
