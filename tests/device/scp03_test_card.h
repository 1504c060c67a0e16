// The card side of PlatformSCP03 for the channel layer's tests, built on
// se05x::scp03::CardChannel in front of the in-process simulator (the applet):
// SELECT resets the channel, INITIALIZE UPDATE / EXTERNAL AUTHENTICATE open it,
// a wrapped command is unwrapped (69 82 and the channel dropped when its MAC
// is bad) and handed to the simulator, and its answer wrapped. Optionally
// "SCP required": plain applet commands refused with 69 82 (docs/scp03.md §7).
// Also: a corrupter (one byte flipped in the next command or answer) and chip
// resets injected as Errc::LinkReset, between this card and the host layer.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "crypto/digest.h"
#include "link/apdu_channel.h"
#include "se05x/constants.h"
#include "se05x/scp03.h"
#include "sim/simulator.h"
#include "support/sim_channel.h"

namespace sx::testing {

class ScpCard : public link::ApduChannel {
 public:
  ScpCard(sim::Simulator& s, se05x::scp03::StaticKeys keys) : sim_(s), ch_(s), keys_(std::move(keys)) {}

  bool required = false;  // plain applet commands refused
  int initialize_updates = 0;
  int wrapped = 0;        // wrapped commands accepted
  int plain_commands = 0; // plain non-SELECT, non-handshake commands that reached the applet
  int refused = 0;        // 69 82 answers
  std::vector<Bytes> plain_log;  // every applet command as the applet received it (after unwrapping)
  bool open_channel() const { return card_ && card_->open(); }
  void drop_channel() { card_.reset(); }
  void set_keys(se05x::scp03::StaticKeys k) { keys_ = std::move(k); }

  Result<Bytes> open() override { return ch_.open(); }
  Status close() override { return {}; }
  std::string describe() const override { return "scp03 test card"; }

  Result<Bytes> transceive(std::span<const uint8_t> c) override {
    const ByteView capdu(c.data(), c.size());
    if (capdu.size() >= 2 && capdu[0] == 0x00 && capdu[1] == 0xA4) {
      card_.reset();
      pending_.reset();
      return ch_.transceive(capdu);
    }
    if (capdu.size() >= 2 && capdu[0] == 0x80 && capdu[1] == 0x50) return initialize_update(capdu);
    if (capdu.size() >= 2 && capdu[0] == 0x84 && capdu[1] == 0x82) return external_authenticate(capdu);
    if (capdu.size() >= 1 && (capdu[0] & 0x04)) return secured(capdu);
    if (required) return refuse();
    ++plain_commands;
    plain_log.emplace_back(capdu.begin(), capdu.end());
    return ch_.transceive(capdu);
  }

 private:
  Result<Bytes> refuse() {
    ++refused;
    card_.reset();
    return Bytes{0x69, 0x82};
  }

  se05x::scp03::CounterRule rule() const {
    return se05x::scp03::counter_rule_for(sim_.variant().version[0], sim_.variant().version[1]);
  }

  Result<Bytes> initialize_update(ByteView capdu) {
    ++initialize_updates;
    card_.reset();
    Bytes cc(8), reply;
    crypto::random_bytes(cc.data(), cc.size());
    auto ch = se05x::scp03::CardChannel::on_initialize_update(keys_, capdu.subspan(5, 8), cc, Bytes(10, 0), rule(),
                                                              &reply);
    if (!ch) return Bytes{0x6A, 0x88};
    pending_.emplace(std::move(*ch));
    reply.push_back(0x90);
    reply.push_back(0x00);
    return reply;
  }

  Result<Bytes> external_authenticate(ByteView capdu) {
    if (!pending_) return refuse();
    auto st = pending_->on_external_authenticate(capdu);
    if (!st) {
      pending_.reset();
      return refuse();
    }
    card_.emplace(std::move(*pending_));
    pending_.reset();
    return Bytes{0x90, 0x00};
  }

  Result<Bytes> secured(ByteView capdu) {
    if (!card_ || !card_->open()) return refuse();
    auto plain = card_->unwrap(capdu);
    if (!plain) return refuse();
    ++wrapped;
    plain_log.push_back(*plain);
    Bytes r = sim_.process(*plain);
    if (r.empty()) return make_error(Errc::Timeout, "simulator gave no answer");
    auto w = card_->wrap(r);
    if (!w) return make_error(Errc::Internal, "card wrap failed");
    return *w;
  }

  sim::Simulator& sim_;
  SimChannel ch_;
  se05x::scp03::StaticKeys keys_;
  std::optional<se05x::scp03::CardChannel> pending_, card_;
};

// Between the card and the host layer: flips one byte of the next wrapped
// command or of the next wrapped answer, or injects a chip reset.
class Tamper : public link::ApduChannel {
 public:
  explicit Tamper(link::ApduChannel& below, sim::Simulator& s) : below_(below), sim_(s) {}
  enum class Next { None, FlipCommand, FlipAnswer, ResetBefore, ResetAfter };
  Next next = Next::None;
  int apdus = 0;

  Result<Bytes> open() override { return below_.open(); }
  Status close() override { return below_.close(); }
  std::string describe() const override { return below_.describe(); }
  Result<Bytes> transceive(std::span<const uint8_t> c) override {
    ++apdus;
    Bytes capdu(c.begin(), c.end());
    // Only wrapped applet commands (not the handshake) are tampered with.
    const bool wrapped = capdu.size() > 5 && capdu[0] == 0x84 && capdu[1] != 0x82;
    const Next n = wrapped ? std::exchange(next, Next::None) : Next::None;
    if (n == Next::FlipCommand) capdu[5] ^= 0x01;
    if (n == Next::ResetBefore || n == Next::ResetAfter) {
      if (n == Next::ResetAfter) (void)below_.transceive(capdu);  // ran; the answer was lost
      sim_.chip_reset();
      return Error{Errc::LinkReset, "injected chip reset", 0, n == Next::ResetBefore};
    }
    auto r = below_.transceive(capdu);
    if (n == Next::FlipAnswer && r && r->size() > 2) (*r)[0] ^= 0x01;
    return r;
  }

 private:
  link::ApduChannel& below_;
  sim::Simulator& sim_;
};

}  // namespace sx::testing
