#include "broker/access.h"

#include <algorithm>

namespace sx::broker {

std::optional<std::string> check_access(const AccessPolicy& p, const link::JrcpPeer& peer) {
  if (p.open() || !peer.unix_socket) return std::nullopt;
  if (!peer.has_cred) return std::string("se05xd: access denied: the peer's credentials (SO_PEERCRED) are unknown");
  const auto& c = peer.cred;
  auto has = [](const auto& v, auto x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  if (has(p.uids, c.uid) || has(p.gids, c.gid)) return std::nullopt;
  if (peer.has_groups)
    for (gid_t g : peer.groups)
      if (has(p.gids, g)) return std::nullopt;
  std::string who = "uid " + std::to_string(c.uid) + " gid " + std::to_string(c.gid);
  if (c.pid > 0) who += " (pid " + std::to_string(c.pid) + ")";
  return "se05xd: access denied for " + who + ": not in allow_uids/allow_gids of the broker configuration" +
         (peer.has_groups ? "" : " (supplementary groups unknown: SO_PEERGROUPS needs Linux 4.13)");
}

}  // namespace sx::broker
