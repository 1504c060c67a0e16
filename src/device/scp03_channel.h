// Layer 1b of the device stack (device/stack.h): PlatformSCP03, an ApduChannel
// decorator directly on the link, BELOW reset recovery (docs/scp03.md §9).
//
//  - A SELECT goes plain. When it selects the applet or the platform SCP
//    security domain and is answered 90 00, the channel is opened at once
//    (INITIALIZE UPDATE + EXTERNAL AUTHENTICATE, docs/scp03.md §3), so the
//    re-SELECT that reset recovery replays after a chip reset re-opens it too.
//    A SELECT of the issuer security domain (empty AID) stays plain and leaves
//    the channel closed: it is how the OEF ID is read (docs/scp03.md §8).
//  - Every other command is wrapped and its answer unwrapped (§4). A bad R-MAC,
//    an unparseable protected answer or 69 82 to a wrapped command closes the
//    channel and comes back as Errc::SecureChannel — never retried here, since
//    the command may have run. Reset recovery then replays the SELECT before
//    the next command (device/reselect_channel.h).
//  - Errc::LinkReset from below closes the channel and goes up unchanged.
//  - Without an open channel a command is never sent plain: Errc::SecureChannel.
//
// The static keys come from a Scp03KeyRing: candidates tried in order at the
// first open (a card cryptogram mismatch costs one INITIALIZE UPDATE, §3); the
// one that worked is tried first afterwards and reported once, so that the
// caller can finish or roll back a key rotation (device/scp03_key_file.h).
// Not thread-safe, like the rest of the stack.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/scp03_key_file.h"
#include "link/apdu_channel.h"
#include "se05x/scp03.h"

namespace sx::device {

// The key candidates of one configured channel, shared by every channel layer
// stacked with it (the broker re-opens the link, and with it the layer, after
// a failure: the keys are loaded once and the working set remembered).
class Scp03KeyRing {
 public:
  // Loads the candidates. `plain` is the bare link, usable before the first
  // channel opens (the OEF ID read-out of default-keys, docs/scp03.md §8).
  using Load = std::function<Result<std::vector<KeyCandidate>>(link::ApduChannel& plain)>;
  // Called once with the candidate that opened the first channel.
  using Opened = std::function<void(const KeyCandidate&)>;

  explicit Scp03KeyRing(Load load, Opened opened = {}) : load_(std::move(load)), opened_(std::move(opened)) {}
  // Fixed candidates (tests, the CLI's rotation).
  explicit Scp03KeyRing(std::vector<KeyCandidate> fixed, Opened opened = {});

  // The candidates, loaded on the first call.
  Result<const std::vector<KeyCandidate>*> candidates(link::ApduChannel& plain);
  // Index of the candidate to try first (the last one that worked).
  size_t preferred() const { return preferred_; }
  void worked(size_t index);
  // The candidate that opened the last channel; null before the first one.
  const KeyCandidate* used() const;

 private:
  Load load_;
  Opened opened_;
  std::optional<std::vector<KeyCandidate>> loaded_;
  size_t preferred_ = 0;
  bool reported_ = false;
};

class Scp03Channel : public link::ApduChannel {
 public:
  // Owns the link below.
  Scp03Channel(std::unique_ptr<link::ApduChannel> link, std::shared_ptr<Scp03KeyRing> keys);
  // Borrows it (tests).
  Scp03Channel(link::ApduChannel& link, std::shared_ptr<Scp03KeyRing> keys);

  bool channel_open() const { return channel_.has_value(); }
  // Channels opened so far (each costs INITIALIZE UPDATE + EXTERNAL AUTHENTICATE).
  uint64_t handshakes() const { return handshakes_; }
  Scp03KeyRing& keys() { return *keys_; }
  link::ApduChannel& below() { return *link_; }

  Result<Bytes> open() override;
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override;
  Status close() override;
  Status lock() override { return link_->lock(); }
  Status unlock() override { return link_->unlock(); }
  std::string describe() const override;

 private:
  Result<Bytes> select(std::span<const uint8_t> capdu);
  Status handshake();
  Result<bool> try_keys(const KeyCandidate& c);
  Result<Bytes> wrapped(std::span<const uint8_t> capdu);
  Error lost(const std::string& why);

  std::unique_ptr<link::ApduChannel> owned_;
  link::ApduChannel* link_;
  std::shared_ptr<Scp03KeyRing> keys_;
  std::optional<se05x::scp03::HostChannel> channel_;
  se05x::scp03::CounterRule rule_ = se05x::scp03::CounterRule::Applet3;
  bool selected_ = false;  // the applet or the SSD is selected (a channel should be open)
  std::string lost_why_;   // why the last channel ended, for the next refusal
  uint64_t handshakes_ = 0;
};

// What the channel layer recognises: a SELECT by AID (00 A4 04 00 ..), and
// the two that open a channel.
bool opens_scp03_channel(ByteView select_capdu);

}  // namespace sx::device
