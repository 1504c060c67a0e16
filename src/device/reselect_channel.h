// Layer 2 of the device stack (device/stack.h): after the chip or the link
// lost the applet selection, the last applet SELECT that answered 90 00 is
// replayed before the next command, and a command interrupted by the reset is
// resent when that is provably safe. The only place this rule lives: the
// client, the JRCP reconnect and the broker all sit on this layer.
//
// When the selection is lost:
//  - the link below reports Errc::LinkReset (T=1 interface reset; a JRCP
//    link that reconnected, see se05x/connect.cpp): replay the SELECT, then
//    resend the command if Error::retry_safe (it certainly did not run). A
//    SELECT interrupted that way is simply sent again (idempotent).
//  - the link below was replaced or re-opened (replace(), open()): replay the
//    SELECT before the next command that is not itself a SELECT.
//  - the PlatformSCP03 layer below (device/scp03_channel.h) reports
//    Errc::SecureChannel: its channel is gone and only a SELECT opens a new
//    one. The error goes up and the SELECT is replayed before the next
//    command; a command the layer refused unsent (retry_safe) is resent after
//    an immediate replay instead (docs/scp03.md §9).
// Nothing is replayed before a SELECT was seen: the applet was never selected.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "link/apdu_channel.h"

namespace sx::device {

// An applet SELECT by AID (00 A4 04 ..): the command this layer replays.
bool is_applet_select(ByteView capdu);

class ReselectChannel : public link::ApduChannel {
 public:
  // Called with a line worth a warning (a replayed SELECT that was refused).
  using Warn = std::function<void(const std::string&)>;

  // Owns the link below (may be null until replace()).
  explicit ReselectChannel(std::unique_ptr<link::ApduChannel> inner = nullptr, Warn warn = {});
  // Borrows it (tests and rigs that keep the link themselves).
  explicit ReselectChannel(link::ApduChannel& inner, Warn warn = {});

  // A new link under this layer (the broker re-opened the chip): the applet
  // is deselected there. Null: no link (calls fail with Errc::Closed).
  void replace(std::unique_ptr<link::ApduChannel> inner);
  link::ApduChannel* inner() { return inner_; }
  // How many times the SELECT was replayed (after a reset or a re-open). Every
  // replay ends the chip's user sessions and transient objects, so the layer
  // above (device/user_session.h) compares this count around each command.
  uint64_t replays() const { return replays_; }

  Result<Bytes> open() override;
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  Status close() override;
  Status lock() override;
  Status unlock() override;
  std::string describe() const override;

 private:
  Status replay_select(const std::string& why);
  Result<Bytes> after_reset(std::span<const uint8_t> capdu, bool select, Error reset);
  Result<Bytes> after_channel_loss(std::span<const uint8_t> capdu, Error lost);

  std::unique_ptr<link::ApduChannel> owned_;
  link::ApduChannel* inner_ = nullptr;
  Warn warn_;
  Bytes select_;         // last applet SELECT that answered 90 00
  bool pending_ = false;  // the link was (re)opened since: replay before the next command
  uint64_t replays_ = 0;
};

}  // namespace sx::device
