// se05xd configuration: a JSON file (default /etc/se05xd.conf, see
// docs/broker.md and dist/se05xd.conf). Every key is optional; unknown keys
// are errors so that a typo does not silently leave a default in place.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "broker/log.h"
#include "device/scp03_setup.h"
#include "link/endpoint.h"

namespace sx::broker {

inline constexpr const char* kDefaultConfigPath = "/etc/se05xd.conf";
inline constexpr std::string_view kDefaultSocketPath = link::kDefaultBrokerSocket;

struct Config {
  std::string connection;                 // the chip; empty = link::kDefaultEndpoint
  std::string socket{kDefaultSocketPath};  // Unix listener; empty = none
  uint32_t socket_mode = 0660;
  std::string socket_group;               // name or number; empty = the daemon's group
  std::string tcp;                        // "HOST:PORT" JRCP listener for NXP programs; empty = off
  bool tcp_allow_remote = false;          // allow a non-loopback tcp host
  // Who may connect over the Unix socket (SO_PEERCRED; supplementary groups
  // from /proc). Both empty = everyone who can open the socket file.
  std::vector<uid_t> allow_uids;
  std::vector<gid_t> allow_gids;
  uint32_t lock_hold_ms = 10000;          // longest LOCK ... UNLOCK before the holder is cut off
  uint32_t max_clients = 64;
  uint32_t max_clients_per_uid = 16;      // per Unix uid; all TCP clients together count as one
  uint32_t message_timeout_ms = 5000;     // first request / a started request / a reply must complete
  uint32_t idle_timeout_ms = 0;           // 0 = never (clients keep their connection between operations)
  uint32_t refusal_timeout_ms = 1000;     // a turned-away connection waits this long for its request
  uint32_t socket_check_ms = 2000;        // how often the socket file is checked to be ours; 0 = never
  uint32_t max_queue = 8;                 // pipelined requests per client
  uint32_t max_payload = 8192;            // largest JRCP message accepted from a client
  LogLevel log_level = LogLevel::Info;
  bool log_apdus = false;                 // log every C-APDU header and SW (debug level)
  // "scp03": "off" | "default-keys" | "required", "scp03_key_file": PATH. The
  // broker owns the chip's PlatformSCP03 channel (docs/scp03.md §9); its
  // clients send plain. SE05X_SCP03 / SE05X_SCP03_KEY_FILE override them.
  device::Scp03Settings scp03;
};

// Parses the JSON text; `origin` names it in error messages.
Result<Config> parse_config(std::string_view json, const std::string& origin);
// Reads a file. A missing file is an error unless missing_ok (then defaults).
Result<Config> load_config(const std::string& path, bool missing_ok);
// The "tcp" value as an endpoint; port 0 (any free port, for tests) is allowed.
Result<link::Endpoint> tcp_endpoint(const std::string& hostport);
// 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and "localhost".
bool is_loopback(const std::string& host);
// Checks combinations (e.g. at least one listener, tcp host is loopback).
Status validate(const Config& c);

}  // namespace sx::broker
