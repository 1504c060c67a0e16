#include "device/reselect_channel.h"

namespace sx::device {

namespace {

bool sw_9000(ByteView r) { return r.size() >= 2 && r[r.size() - 2] == 0x90 && r[r.size() - 1] == 0x00; }

Error no_link() { return make_error(Errc::Closed, "no link to the chip"); }

}  // namespace

bool is_applet_select(ByteView c) { return c.size() >= 5 && c[0] == 0x00 && c[1] == 0xA4 && c[2] == 0x04; }

ReselectChannel::ReselectChannel(std::unique_ptr<link::ApduChannel> inner, Warn warn)
    : owned_(std::move(inner)), inner_(owned_.get()), warn_(std::move(warn)) {}

ReselectChannel::ReselectChannel(link::ApduChannel& inner, Warn warn) : inner_(&inner), warn_(std::move(warn)) {}

void ReselectChannel::replace(std::unique_ptr<link::ApduChannel> inner) {
  owned_ = std::move(inner);
  inner_ = owned_.get();
  pending_ = inner_ != nullptr && !select_.empty();
}

Result<Bytes> ReselectChannel::open() {
  if (!inner_) return no_link();
  auto r = inner_->open();
  // A fresh session on the same link object: nothing is selected there yet.
  if (r) pending_ = !select_.empty();
  return r;
}

Status ReselectChannel::replay_select(const std::string& why) {
  ++replays_;
  auto s = inner_->transceive(select_);
  if (!s) return s.take_error();
  if (!sw_9000(*s) && warn_) warn_("re-SELECT after " + why + " answered " + to_hex(*s));
  return {};
}

Result<Bytes> ReselectChannel::transceive(std::span<const uint8_t> capdu) {
  if (!inner_) return no_link();
  const bool select = is_applet_select(capdu);
  if (pending_ && !select) SX_TRY(replay_select("re-opening"));
  pending_ = false;
  auto r = inner_->transceive(capdu);
  if (!r && r.error().code == Errc::LinkReset) r = after_reset(capdu, select, r.take_error());
  else if (!r && r.error().code == Errc::SecureChannel && !select) r = after_channel_loss(capdu, r.take_error());
  if (r && select && sw_9000(*r)) select_.assign(capdu.begin(), capdu.end());
  return r;
}

Result<Bytes> ReselectChannel::after_reset(std::span<const uint8_t> capdu, bool select, Error reset) {
  if (warn_) warn_("chip link reset during an APDU (" + reset.message + ")");
  // SELECT is idempotent, so a reset during it is always worth one more try.
  if (select) return inner_->transceive(capdu);
  if (!select_.empty()) {
    ++replays_;
    auto s = inner_->transceive(select_);
    const bool refused = s && !sw_9000(*s);
    if (!s || refused) {
      Error e = s ? make_error(Errc::StatusWord, "answered " + to_hex(*s)) : s.take_error();
      if (refused) e.sw = static_cast<uint16_t>(((*s)[s->size() - 2] << 8) | (*s)[s->size() - 1]);
      e.message = "re-SELECT after link reset (" + reset.message + "): " + e.message;
      return e;
    }
  }
  if (!reset.retry_safe) return reset;
  return inner_->transceive(capdu);
}

// The PlatformSCP03 layer below (device/scp03_channel.h) lost its channel:
// only a SELECT opens a new one, so this is a lost selection. A command the
// layer refused unsent (retry_safe) is resent after the replay at once; one
// that may have run (a bad MAC on its answer) is not: the error goes up and
// the SELECT is replayed before the next command (docs/scp03.md §9).
Result<Bytes> ReselectChannel::after_channel_loss(std::span<const uint8_t> capdu, Error lost) {
  if (select_.empty()) return lost;
  if (!lost.retry_safe) {
    pending_ = true;
    return lost;
  }
  if (warn_) warn_("secure channel lost (" + lost.message + "); selecting the applet again");
  SX_TRY(replay_select("a lost secure channel"));
  return inner_->transceive(capdu);
}

Status ReselectChannel::close() { return inner_ ? inner_->close() : Status{}; }
Status ReselectChannel::lock() { return inner_ ? inner_->lock() : Status(no_link()); }
Status ReselectChannel::unlock() { return inner_ ? inner_->unlock() : Status(no_link()); }
std::string ReselectChannel::describe() const { return inner_ ? inner_->describe() : std::string("(no link)"); }

}  // namespace sx::device
