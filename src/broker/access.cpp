#include "broker/access.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace sx::broker {

std::vector<gid_t> parse_proc_groups(const std::string& text) {
  std::vector<gid_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream g(line.substr(7));
    long long v;
    while (g >> v)
      if (v >= 0 && v <= 0xFFFFFFFFLL) out.push_back(static_cast<gid_t>(v));
    break;
  }
  return out;
}

std::vector<gid_t> proc_groups(pid_t pid) {
  if (pid <= 0) return {};
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_proc_groups(ss.str());
}

std::optional<std::string> check_access(const AccessPolicy& p, const link::JrcpPeer& peer, const GroupsOf& groups) {
  if (p.open() || !peer.unix_socket) return std::nullopt;
  if (!peer.has_cred) return std::string("se05xd: access denied: the peer's credentials (SO_PEERCRED) are unknown");
  const auto& c = peer.cred;
  auto has = [](const auto& v, auto x) { return std::find(v.begin(), v.end(), x) != v.end(); };
  if (has(p.uids, c.uid) || has(p.gids, c.gid)) return std::nullopt;
  if (!p.gids.empty() && groups)
    for (gid_t g : groups(c.pid))
      if (has(p.gids, g)) return std::nullopt;
  return "se05xd: access denied for uid " + std::to_string(c.uid) + " gid " + std::to_string(c.gid) + " (pid " +
         std::to_string(c.pid) + "): not in allow_uids/allow_gids of the broker configuration";
}

}  // namespace sx::broker
