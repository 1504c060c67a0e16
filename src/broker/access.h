// Who may use the broker: Unix-socket peers are checked by SO_PEERCRED uid,
// primary gid and supplementary groups (from /proc/<pid>/status); TCP peers
// carry no credentials and are admitted only because the operator enabled the
// (loopback) TCP listener.
#pragma once

#include <sys/types.h>

#include <functional>
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

// Supplementary groups of a process; empty when unknown.
using GroupsOf = std::function<std::vector<gid_t>(pid_t)>;
std::vector<gid_t> proc_groups(pid_t pid);

// Parses the "Groups:" line of a /proc/<pid>/status text.
std::vector<gid_t> parse_proc_groups(const std::string& status_text);

// nullopt = admitted; otherwise the reason sent to the client and logged.
std::optional<std::string> check_access(const AccessPolicy& p, const link::JrcpPeer& peer,
                                        const GroupsOf& groups = proc_groups);

}  // namespace sx::broker
