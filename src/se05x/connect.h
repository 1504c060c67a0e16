// Opens an APDU channel from a connection string (link/endpoint.h): T=1 over
// i2c-dev or over the simulator's virtual I2C bus, or JRCP over TCP / Unix.
// Every program uses this one entry point, so all accept the same strings.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "link/apdu_channel.h"
#include "link/endpoint.h"
#include "t1/host_config.h"

namespace sx::se05x {

struct ConnectOptions {
  // T=1 polling/retry policy for I2C links. Unset: the middleware's real values,
  // unless SE05X_T1_TIMING=immediate is set in the environment (for simulators).
  std::optional<t1::HostTiming> timing;
  // JRCP links (a broker, a simulator): after the server went away, the next
  // call reconnects instead of failing for good. A connection lost while the
  // caller held the lock (ApduChannel::lock) is not silently replaced: calls
  // fail until unlock() is called, so a multi-APDU sequence is never split.
  // Every link also gets the reset-recovery layer (device/reselect_channel.h:
  // re-SELECT after a chip reset or a reconnect). False: the bare link, for a
  // caller that re-opens and recovers by itself (the broker's Chip).
  bool reconnect = true;
  // PlatformSCP03 (docs/scp03.md §9): the channel layer stacked directly on
  // the link, below reset recovery; built from the `scp03` setting by
  // device::with_scp03 (device/scp03_setup.h). Empty: plain APDUs.
  // Stacked where this process talks to the chip itself: i2c:, vi2c: and a
  // JRCP server that is not se05xd (a simulator). Never on a link to se05xd
  // (unix: or jrcp:): the broker owns the chip's channel, its clients send
  // plain and never hold a key; a JRCP server is se05xd when it answers the
  // broker's status query.
  std::function<std::unique_ptr<link::ApduChannel>(std::unique_ptr<link::ApduChannel>)> secure_link;
};

// The broker's socket: SE05X_BROKER_SOCKET, else /run/se05x/se05xd.sock.
std::string broker_socket_path();

// The connection string a program should use when none was given:
// SE05X_PORT, then NXP's EX_SSS_BOOT_SSS_PORT, then "unix:<broker socket>"
// when that socket exists (a container only needs /run/se05x mounted), then
// "i2c:/dev/i2c-1:0x48".
std::string default_connection();

struct OpenedLink {
  std::unique_ptr<link::ApduChannel> channel;
  Bytes atr;  // as reported by open()
};
// open_channel() that also returns the ATR.
Result<OpenedLink> open_link(std::string_view connection, const ConnectOptions& options = {});

// Whether the JRCP server at this endpoint is se05xd (it answers the broker's
// status query; any other JRCP server refuses the message type).
bool is_broker(const link::Endpoint& ep);

// Parses the string and opens the link (open() is called: the ATR has been read).
Result<std::unique_ptr<link::ApduChannel>> open_channel(std::string_view connection,
                                                         const ConnectOptions& options = {});

}  // namespace sx::se05x
