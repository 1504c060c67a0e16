#include "device/scp03_channel.h"

#include <algorithm>
#include <array>

#include "crypto/digest.h"
#include "device/reselect_channel.h"
#include "se05x/constants.h"

namespace sx::device {

namespace scp = se05x::scp03;

namespace {

// The platform SCP security domain (docs/se05x-protocol.md §4.1): a channel
// opened after selecting it carries PUT KEY (docs/scp03.md §6).
constexpr std::array<uint8_t, 11> kSsdAid = {0xD2, 0x76, 0x00, 0x00, 0x85, 0x30, 0x4A, 0x43, 0x4F, 0x90, 0x03};

bool sw_is(ByteView r, uint16_t sw) {
  return r.size() >= 2 && r[r.size() - 2] == (sw >> 8) && r[r.size() - 1] == (sw & 0xFF);
}

// The AID of a SELECT by AID (00 A4 04 00 Lc AID [Le]); empty for the ISD.
ByteView aid_of(ByteView select) {
  if (select.size() < 5) return {};
  const size_t lc = select[4];
  if (select.size() < 5 + lc) return {};
  return select.subspan(5, lc);
}

template <size_t N>
bool same(ByteView a, const std::array<uint8_t, N>& b) {
  return a.size() == N && std::equal(a.begin(), a.end(), b.begin());
}

Error channel_error(std::string what) {
  return make_error(Errc::SecureChannel, "PlatformSCP03: " + std::move(what));
}

}  // namespace

bool opens_scp03_channel(ByteView c) {
  if (!is_applet_select(c)) return false;
  const ByteView aid = aid_of(c);
  return same(aid, se05x::kAppletAid) || same(aid, kSsdAid);
}

Scp03KeyRing::Scp03KeyRing(std::vector<KeyCandidate> fixed, Opened opened)
    : load_([fixed = std::move(fixed)](link::ApduChannel&) -> Result<std::vector<KeyCandidate>> { return fixed; }),
      opened_(std::move(opened)) {}

Result<const std::vector<KeyCandidate>*> Scp03KeyRing::candidates(link::ApduChannel& plain) {
  if (!loaded_) {
    if (!load_) return channel_error("no keys configured");
    SX_ASSIGN(std::vector<KeyCandidate> c, load_(plain));
    if (c.empty()) return channel_error("no key set to try");
    loaded_ = std::move(c);
  }
  return &*loaded_;
}

void Scp03KeyRing::worked(size_t index) {
  preferred_ = index;
  if (reported_ || !loaded_ || index >= loaded_->size()) return;
  reported_ = true;
  if (opened_) opened_((*loaded_)[index]);
}

const KeyCandidate* Scp03KeyRing::used() const {
  return reported_ && loaded_ && preferred_ < loaded_->size() ? &(*loaded_)[preferred_] : nullptr;
}

Scp03Channel::Scp03Channel(std::unique_ptr<link::ApduChannel> link, std::shared_ptr<Scp03KeyRing> keys)
    : owned_(std::move(link)), link_(owned_.get()), keys_(std::move(keys)) {}

Scp03Channel::Scp03Channel(link::ApduChannel& link, std::shared_ptr<Scp03KeyRing> keys)
    : link_(&link), keys_(std::move(keys)) {}

Result<Bytes> Scp03Channel::open() {
  // A fresh link session: whatever was selected, its channel is gone. The
  // selection stays "wanted": nothing goes plain until a SELECT re-opens it.
  channel_.reset();
  return link_->open();
}

Status Scp03Channel::close() {
  channel_.reset();
  return link_->close();
}

std::string Scp03Channel::describe() const { return link_->describe() + ", PlatformSCP03"; }

Result<Bytes> Scp03Channel::transceive(std::span<const uint8_t> capdu) {
  if (is_applet_select(capdu)) return select(capdu);
  if (channel_) return wrapped(capdu);
  // The ISD (or nothing) is selected: its commands go plain (docs/scp03.md §8).
  if (!selected_) return link_->transceive(capdu);
  // The applet is selected but its channel is gone: never send plain. Nothing
  // was sent, so the layer above may re-select (which re-opens) and resend.
  Error e = channel_error("no channel" + (lost_why_.empty() ? std::string() : " (" + lost_why_ + ")") +
                          "; the applet must be selected again to re-open it");
  e.retry_safe = true;
  return e;
}

Result<Bytes> Scp03Channel::select(std::span<const uint8_t> capdu) {
  // A SELECT ends the channel on the card (docs/scp03.md §3).
  channel_.reset();
  const bool opens = opens_scp03_channel(capdu);
  selected_ = opens;
  // Keys first: loading default keys reads the OEF ID through the ISD, which
  // deselects the applet (docs/scp03.md §8); the SELECT below selects it again.
  if (opens) SX_TRY(keys_->candidates(*link_));
  SX_ASSIGN(Bytes r, link_->transceive(capdu));
  if (!opens || !sw_is(r, 0x9000)) return r;
  // The counter rule by applet version (docs/scp03.md §5), from the SELECT
  // answer (docs/se05x-protocol.md §4.1). The SSD answers no version: keep the
  // applet's rule (only PUT KEY, which carries data, is sent there).
  if (same(aid_of(capdu), se05x::kAppletAid) && r.size() >= 4) rule_ = scp::counter_rule_for(r[0], r[1]);
  SX_TRY(handshake());
  lost_why_.clear();
  return r;
}

Status Scp03Channel::handshake() {
  SX_ASSIGN(const std::vector<KeyCandidate>* cands, keys_->candidates(*link_));
  std::vector<size_t> order{keys_->preferred()};
  for (size_t i = 0; i < cands->size(); ++i)
    if (i != keys_->preferred()) order.push_back(i);
  std::string tried;
  for (size_t i : order) {
    if (i >= cands->size()) continue;
    SX_ASSIGN(bool ok, try_keys((*cands)[i]));
    if (ok) {
      keys_->worked(i);
      ++handshakes_;
      return {};
    }
    tried += (tried.empty() ? "" : ", ") + (*cands)[i].path;
  }
  return channel_error("no key set opens a channel (tried: " + tried +
                       "); the chip holds other keys (docs/scp03.md §10, §11)");
}

// One candidate: Ok(false) when the card cryptogram says these are not the
// chip's keys (nothing else was sent), an error when the exchange failed.
Result<bool> Scp03Channel::try_keys(const KeyCandidate& c) {
  Bytes host_challenge(scp::kChallengeSize);
  if (!crypto::random_bytes(host_challenge.data(), host_challenge.size()))
    return make_error(Errc::Crypto, "PlatformSCP03: no random host challenge");
  SX_ASSIGN(Bytes iu, link_->transceive(scp::initialize_update(host_challenge)));
  auto reply = scp::parse_initialize_update_reply(iu);
  if (!reply) return channel_error("INITIALIZE UPDATE: " + reply.error().to_string());
  Bytes ea;
  auto ch = scp::HostChannel::begin(c.keys, host_challenge, *reply, rule_, &ea);
  if (!ch) {
    if (ch.error().code == Errc::SecureChannel) return false;
    return ch.take_error();
  }
  SX_ASSIGN(Bytes answer, link_->transceive(ea));
  if (!sw_is(answer, 0x9000))
    return channel_error("EXTERNAL AUTHENTICATE refused (SW " + to_hex(ByteView(answer).last(std::min<size_t>(2, answer.size()))) + ")");
  channel_ = std::move(*ch);
  return true;
}

Result<Bytes> Scp03Channel::wrapped(std::span<const uint8_t> capdu) {
  auto w = channel_->wrap(capdu);
  if (!w) {
    // Nothing was sent, but the counter may have moved: start a fresh channel.
    channel_.reset();
    lost_why_ = "a command could not be wrapped: " + w.error().message;
    return w.take_error();
  }
  auto r = link_->transceive(*w);
  if (!r) {
    // The MAC chain may have moved on the card without us: this channel is
    // over (a LinkReset goes up unchanged; reset recovery re-selects).
    channel_.reset();
    lost_why_ = "the link failed during a command: " + r.error().message;
    return r;
  }
  if (sw_is(*r, scp::kSwSecurityStatus) && r->size() == 2)
    return lost("the chip refused a wrapped command (69 82) and dropped the channel");
  auto plain = channel_->unwrap(*r);
  if (!plain) return lost("unusable protected answer: " + plain.error().message);
  return plain;
}

Error Scp03Channel::lost(const std::string& why) {
  channel_.reset();
  lost_why_ = why;
  // The command may have run: never resent (a write must not happen twice).
  Error e = channel_error(why);
  e.retry_safe = false;
  return e;
}

}  // namespace sx::device
