#include "broker/chip.h"

#include <algorithm>

namespace sx::broker {

Chip::Chip(ChannelFactory factory, std::string connection, LogFn log, bool log_apdus)
    : factory_(std::move(factory)),
      log_(std::move(log)),
      link_(nullptr, [this](const std::string& w) { this->log(LogLevel::Warning, w); }),
      log_apdus_(log_apdus),
      sessions_(log_),
      send_([this](ByteView c) { return send(c); }) {
  st_.connection = std::move(connection);
}

Chip::~Chip() { close(); }

void Chip::log(LogLevel l, const std::string& s) const {
  if (log_) log_(l, s);
}

Status Chip::ensure_open() {
  if (link_.inner()) return {};
  const auto start = std::chrono::steady_clock::now();
  if (start < no_retry_until_) return make_error(Errc::Io, st_.last_error + " (retrying shortly)");
  Result<OpenedChannel> r = make_error(Errc::Internal, "no channel factory");
  try {
    if (factory_) r = factory_();
  } catch (...) {
    r = make_error(Errc::Internal, "channel factory threw");
  }
  if (!r) {
    ++st_.failed_opens;
    Error e = r.take_error();
    if (st_.last_error != e.message) log(LogLevel::Error, "cannot open the chip link " + st_.connection + ": " + e.message);
    st_.last_error = e.message;
    st_.up = false;
    const auto end = std::chrono::steady_clock::now();
    if (end - start > std::chrono::milliseconds(50)) no_retry_until_ = end + std::chrono::seconds(1);
    return e;
  }
  if (!r->channel) return make_error(Errc::Internal, "channel factory returned no channel");
  link_.replace(std::move(r->channel));
  atr_ = std::move(r->atr);
  ++st_.opens;
  st_.up = true;
  st_.last_error.clear();
  log(LogLevel::Info, "chip link " + st_.connection + " is up (" + link_.describe() + ")");
  return {};
}

void Chip::mark_down(const Error& e) {
  st_.last_error = e.message;
  st_.up = false;
  if (link_.inner()) {
    log(LogLevel::Error, "chip link " + st_.connection + " failed: " + e.to_string() +
                             "; it is re-opened on the next request");
    (void)link_.close();
    link_.replace(nullptr);
  }
}

void Chip::close() {
  if (!link_.inner()) return;
  (void)link_.close();
  link_.replace(nullptr);
  st_.up = false;
}

Bytes Chip::atr() {
  if (!link_.inner() && !ensure_open().ok()) return {};  // NXP clients accept an empty ATR; the APDU then fails
  return atr_;
}

Result<Bytes> Chip::forward(ByteView capdu) {
  SX_TRY(ensure_open());
  auto r = link_.transceive(capdu);
  // A reset the recovery layer could not make good leaves the link usable, and
  // so does a failed PlatformSCP03 check (the recovery layer re-selects, which
  // re-opens the channel, before the next command); anything else closes it
  // until the next request.
  if (!r && r.error().code != Errc::LinkReset && r.error().code != Errc::SecureChannel) mark_down(r.error());
  return r;
}

Bytes Chip::transceive(ByteView capdu) { return transceive_from(link::JrcpPeer{}, capdu); }

Result<Bytes> Chip::send(ByteView capdu) {
  auto r = forward(capdu);
  const bool select = is_select_by_aid(capdu);
  if (link_.replays() != replays_seen_ || select) {
    replays_seen_ = link_.replays();
    sessions_.chip_reset();  // a SELECT (replayed or not) ends every session (docs/se05x-protocol.md §4.9.6)
  }
  if (select && r && sw_ok(*r)) {
    select_.assign(capdu.begin(), capdu.end());
    select_answer_ = *r;
  }
  return r;
}

// While the broker holds chip sessions, a client's SELECT of the applet
// already selected is answered from the last answer: forwarding it would end
// the sessions of every client (docs/chip-pin.md §4).
std::optional<Bytes> Chip::cached_select(ByteView capdu) const {
  if (!is_select_by_aid(capdu) || !sessions_.any_chip_session() || select_.empty()) return std::nullopt;
  if (!std::equal(capdu.begin(), capdu.end(), select_.begin(), select_.end())) return std::nullopt;
  return select_answer_;
}

Bytes Chip::transceive_from(const link::JrcpPeer& peer, ByteView capdu) {
  ++st_.apdus;
  Result<Bytes> r = Bytes{};
  if (auto cached = cached_select(capdu)) {
    ++st_.selects_answered;
    r = std::move(*cached);
  } else if (auto s = sessions_.handle(peer, capdu, send_)) {
    r = std::move(*s);
  } else {
    r = send(capdu);
  }
  if (!r) {
    ++st_.failed_apdus;
    // "No answer" is what both NXP's middleware and our JrcpClient report as a
    // failed exchange without inventing a status word the chip never sent.
    return {};
  }
  // A session-wrapped command is traced by its inner header: the wrapper's
  // 80050000 would hide whether it reads or writes.
  const ByteView shown = inner_command(capdu);
  if (log_apdus_)
    log(LogLevel::Debug, peer.name + ": " + to_hex(shown.first(std::min<size_t>(4, shown.size()))) + " -> SW " +
                             to_hex(ByteView(*r).last(std::min<size_t>(2, r->size()))) +
                             (apdu_context_ ? apdu_context_(peer) : std::string()));
  return std::move(*r);
}

void Chip::client_gone(const link::JrcpPeer& peer, bool held_lock) {
  if (held_lock)
    log(LogLevel::Warning, peer.name + " left while holding the chip lock; its unfinished sequence is abandoned");
  sessions_.client_gone(peer, send_);
}

std::optional<link::jrcp::Message> Chip::extension(const link::JrcpPeer& peer, const link::jrcp::Message& m) {
  if (ext_) return ext_(peer, m);
  return std::nullopt;
}

ChipState Chip::state() const {
  ChipState s = st_;
  s.open_sessions = sessions_.per_client();
  s.auth_sessions = sessions_.per_auth();
  s.sessions_closed = sessions_.chip_sessions_closed();
  s.session_resets = sessions_.resets();
  return s;
}

}  // namespace sx::broker
