// The broker's side of the one physical link: forwards each client APDU as
// one atomic exchange (the T=1 layer finishes or aborts its own chaining
// inside transceive), re-opens the link on the next request after it broke
// (the device stack's reset-recovery layer, device/reselect_channel.h,
// replays the last applet SELECT so clients need not notice), and keeps
// per-client chip state clean. SE05x user sessions are virtual
// (broker/sessions.h, docs/chip-pin.md §4): the broker owns the chip sessions,
// and closes one when its last client closed or left.
//
// Not thread-safe: called from the JrcpServer thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "broker/apdu_watch.h"
#include "broker/log.h"
#include "broker/sessions.h"
#include "device/reselect_channel.h"
#include "link/apdu_channel.h"
#include "link/jrcp_server.h"

namespace sx::broker {

// An opened link to the chip and the ATR it reported on opening.
struct OpenedChannel {
  std::unique_ptr<link::ApduChannel> channel;
  Bytes atr;
};
using ChannelFactory = std::function<Result<OpenedChannel>()>;

struct ChipState {
  std::string connection;
  bool up = false;
  std::string last_error;     // empty when the last exchange worked
  uint64_t opens = 0;         // successful (re)opens of the link
  uint64_t failed_opens = 0;
  uint64_t apdus = 0;         // APDUs forwarded
  uint64_t failed_apdus = 0;  // answered with "no answer" because of the link
  uint64_t sessions_closed = 0;  // chip sessions closed when their last client left
  uint64_t session_resets = 0;   // times the chip lost the sessions the broker holds
  uint64_t selects_answered = 0;  // applet SELECTs answered from the last answer
  std::map<uint64_t, size_t> open_sessions;  // client id -> virtual sessions it holds
  std::vector<AuthSessionCount> auth_sessions;  // per auth object: chip session, virtual sessions
};

class Chip : public link::JrcpBackend {
 public:
  Chip(ChannelFactory factory, std::string connection, LogFn log, bool log_apdus = false);
  ~Chip() override;

  // JrcpBackend
  Bytes atr() override;
  Bytes transceive(ByteView capdu) override;
  Bytes transceive_from(const link::JrcpPeer& peer, ByteView capdu) override;
  void client_gone(const link::JrcpPeer& peer, bool held_lock) override;
  std::optional<link::jrcp::Message> extension(const link::JrcpPeer& peer, const link::jrcp::Message& m) override;

  // Handler for the broker's own message types (status); set by Broker.
  void set_extension(std::function<std::optional<link::jrcp::Message>(const link::JrcpPeer&,
                                                                      const link::jrcp::Message&)> f) {
    ext_ = std::move(f);
  }
  // Extra text for the per-APDU debug line (log_apdus): the broker adds the
  // client's request number and the lock holder, so a trace shows which
  // APDUs ran inside whose LOCK...UNLOCK. Set by Broker.
  void set_apdu_context(std::function<std::string(const link::JrcpPeer&)> f) { apdu_context_ = std::move(f); }

  // Opens the link now (the daemon does this at start to report problems early).
  Status ensure_open();
  // Ends the APDU session on the chip and closes the link.
  void close();
  ChipState state() const;

 private:
  Result<Bytes> forward(ByteView capdu);
  // forward() plus what the sessions must know: a replayed or forwarded
  // SELECT ended every chip session; the last SELECT's answer is kept.
  Result<Bytes> send(ByteView capdu);
  std::optional<Bytes> cached_select(ByteView capdu) const;
  void mark_down(const Error& e);
  void log(LogLevel l, const std::string& s) const;

  ChannelFactory factory_;
  LogFn log_;
  device::ReselectChannel link_;  // the link (null while down) under reset recovery
  Bytes atr_;
  ChipState st_;
  bool log_apdus_;
  std::function<std::string(const link::JrcpPeer&)> apdu_context_;
  VirtualSessions sessions_;
  VirtualSessions::Send send_;
  uint64_t replays_seen_ = 0;
  Bytes select_, select_answer_;  // the last applet SELECT that answered 90 00, and that answer
  // A slow failed open (e.g. T=1 polling an I2C chip that does not answer)
  // is not retried for a second, so that one dead chip cannot make every
  // request (and the status query behind it) wait that long again.
  std::chrono::steady_clock::time_point no_retry_until_{};
  std::function<std::optional<link::jrcp::Message>(const link::JrcpPeer&, const link::jrcp::Message&)> ext_;
};

}  // namespace sx::broker
