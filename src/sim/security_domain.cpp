#include "sim/security_domain.h"

#include <algorithm>

#include <openssl/rand.h>

#include "se05x/scp03_defaults.h"

namespace sx::sim {

namespace scp = se05x::scp03;
namespace s = se05x::sw;

namespace {

// GlobalPlatform instructions of the card manager (docs/scp03.md §3, §6, §8).
constexpr uint8_t kInsSelect = 0xA4, kInsInitUpdate = 0x50, kInsExtAuth = 0x82, kInsGetData = 0xCA,
                  kInsPutKey = 0xD8;
constexpr uint8_t kClaGp = 0x80;
constexpr uint8_t kClaSecureMessaging = 0x04;  // CLA bit of a wrapped command
constexpr uint16_t kSwRefDataNotFound = 0x6A88;
// [U] What the SE050 puts in the diversification data: ten zero bytes (docs/scp03.md §3).
const Bytes kDiversification(10, 0x00);
// The answer to SELECT of the SSD [U]: a minimal FCI naming the AID (docs/simulator.md).
const Bytes kSsdFci = {0x6F, 0x0D, 0x84, 0x0B, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x30, 0x4A, 0x43, 0x4F, 0x90, 0x03};

Outcome answer(std::string name, uint16_t sw, ByteView data = {}, Op op = Op::Misc) {
  Outcome o;
  o.name = std::move(name);
  o.op.op = op;
  o.rapdu = se05x::make_response(data, sw);
  return o;
}

bool ends_ok(const Bytes& rapdu) {
  return rapdu.size() >= 2 && rapdu[rapdu.size() - 2] == 0x90 && rapdu[rapdu.size() - 1] == 0x00;
}

// CLA of a wrapped command: secure-messaging bit in the interindustry class (00..0F) or GP's
// proprietary one (80..8F); CLA FF and others are not secure messaging.
bool wrapped_cla(uint8_t cla) {
  const uint8_t group = cla & 0xF0;
  return (group == 0x00 || group == 0x80) && (cla & kClaSecureMessaging);
}

Bytes random_challenge() {
  Bytes b(scp::kChallengeSize);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) b.clear();
  return b;
}

}  // namespace

SecurityDomain::SecurityDomain(const Variant& v, Challenge card_challenge)
    : v_(v), challenge_(card_challenge ? std::move(card_challenge) : Challenge(random_challenge)) {}

void SecurityDomain::reset() {
  target_ = Target::None;
  drop();
}

scp::StaticKeys SecurityDomain::current_keys(const Store& st) const {
  if (st.scp_keys) return *st.scp_keys;
  const scp::DefaultKeySet* d = scp::default_keys_for_oef(v_.oef_id);
  return d ? d->keys() : scp::StaticKeys{};
}

Outcome SecurityDomain::process(Applet& a, ByteView capdu) {
  if (capdu.size() > v_.max_apdu) return a.process(capdu);  // the applet's "Oversize" answer
  if (capdu.size() >= 4 && wrapped_cla(capdu[0])) {
    // Wrapped, or malformed as such: the channel's business (a malformed one fails its C-MAC).
    if (capdu[0] == (kClaGp | kClaSecureMessaging) && capdu[1] == kInsExtAuth) return external_authenticate(capdu);
    return secured(a, capdu);
  }
  auto parsed = se05x::parse_command(capdu);
  if (!parsed) return a.process(capdu);  // the applet's "Malformed" answer
  return plain(a, *parsed, capdu, false);
}

// Every SELECT ends the channel (GP; docs/scp03.md §9), whether it selects anything or not.
Outcome SecurityDomain::select(Applet& a, const se05x::ParsedCommand& c, ByteView capdu) {
  drop();
  const bool by_name = c.header.p1 == 0x04 && c.header.p2 == 0x00;
  if (by_name && std::equal(c.body.begin(), c.body.end(), kSsdAid.begin(), kSsdAid.end())) {
    a.deselect();
    target_ = Target::Ssd;
    return answer("Select", s::kOk, kSsdFci, Op::Select);
  }
  Outcome out = a.process(capdu);  // the applet, or the ISD (empty AID) as the applet knows it
  if (ends_ok(out.rapdu)) target_ = c.body.empty() ? Target::Isd : Target::Applet;
  return out;
}

// A wrapped command: unwrapped (a bad C-MAC or padding ends the channel, 6982), run as a plain
// one that came through the channel, its 9000 answer wrapped (docs/scp03.md §4).
Outcome SecurityDomain::secured(Applet& a, ByteView capdu) {
  if (!channel_open()) {
    drop();
    return answer("PlatformSCP", scp::kSwSecurityStatus);
  }
  auto unwrapped = channel_->unwrap(capdu);
  if (!unwrapped) {
    drop();
    return answer("PlatformSCP", scp::kSwSecurityStatus);
  }
  auto parsed = se05x::parse_command(*unwrapped);
  Outcome out = parsed ? plain(a, *parsed, *unwrapped, true) : a.process(*unwrapped, true);
  secure_wipe(*unwrapped);
  out.scp = true;
  if (out.power_cut || !channel_open()) return out;  // a SELECT inside ended the channel: plain answer
  auto w = channel_->wrap(out.rapdu);
  if (!w) {
    drop();
    return answer(out.name, s::kUnknown);
  }
  out.rapdu = std::move(*w);
  return out;
}

Outcome SecurityDomain::plain(Applet& a, const se05x::ParsedCommand& c, ByteView capdu, bool secure) {
  const se05x::CommandHeader& h = c.header;
  if ((h.cla & 0xFC) == 0x00 && h.ins == kInsSelect) return select(a, c, capdu);
  if (h.cla == kClaGp) {
    switch (h.ins) {
      case kInsInitUpdate:  // plain only: inside a channel it cannot start another [U]
        return secure ? answer("InitializeUpdate", s::kConditionsNotSatisfied) : initialize_update(a, c);
      case kInsGetData:
        if (target_ != Target::Applet) return get_data(c);  // a security domain's command
        break;
      case kInsPutKey:
        if (target_ == Target::Ssd) return put_key(a, capdu, secure);
        break;
      default: break;
    }
  }
  if (target_ == Target::Ssd) return answer("Unknown", s::kInsNotSupported);  // the SSD has no more
  if (target_ == Target::Applet && a.store().scp_required && !secure) {
    // Platform SCP required (docs/scp03.md §7): refused before the applet sees it.
    const se05x::Matches m = se05x::find_commands(h);
    return answer(m.count ? m.name : "Unknown", scp::kSwSecurityStatus);
  }
  return a.process(capdu, secure);
}

// INITIALIZE UPDATE (docs/scp03.md §3): on the applet or the SSD, key version 0B (or 00: "the
// default set"), a new pending channel replacing any open one.
Outcome SecurityDomain::initialize_update(const Applet& a, const se05x::ParsedCommand& c) {
  constexpr const char* kName = "InitializeUpdate";
  drop();
  if (target_ != Target::Applet && target_ != Target::Ssd) return answer(kName, s::kInsNotSupported);
  if (c.header.p1 != scp::kPlatformKvn && c.header.p1 != 0x00) return answer(kName, kSwRefDataNotFound);
  if (c.header.p2 != 0x00) return answer(kName, s::kWrongP1P2);
  if (c.body.size() != scp::kChallengeSize) return answer(kName, s::kWrongLength);
  const Bytes card_challenge = challenge_();
  if (card_challenge.size() != scp::kChallengeSize) return answer(kName, s::kUnknown);
  const scp::CounterRule rule = scp::counter_rule_for(v_.version[0], v_.version[1]);
  Bytes reply;
  auto ch = scp::CardChannel::on_initialize_update(current_keys(a.store()), c.body, card_challenge, kDiversification,
                                                   rule, &reply);
  if (!ch) return answer(kName, s::kUnknown);
  channel_.emplace(std::move(*ch));
  return answer(kName, s::kOk, reply);
}

// EXTERNAL AUTHENTICATE: host cryptogram and C-MAC checked; only security level 33 opens.
Outcome SecurityDomain::external_authenticate(ByteView capdu) {
  constexpr const char* kName = "ExternalAuthenticate";
  if (!channel_ || channel_->open()) {
    drop();
    return answer(kName, scp::kSwSecurityStatus);
  }
  Status st = channel_->on_external_authenticate(capdu);
  if (!st.ok()) {
    drop();
    return answer(kName, st.error().code == Errc::Unsupported ? s::kWrongP1P2 : scp::kSwSecurityStatus);
  }
  return answer(kName, s::kOk);
}

// GET DATA DF28 (docs/scp03.md §8) on the ISD or the SSD: the configuration with the variant's
// OEF ID; plain or through the SSD's channel, and also while platform SCP is required [U].
Outcome SecurityDomain::get_data(const se05x::ParsedCommand& c) const {
  constexpr const char* kName = "GetData";
  static const Bytes kTagList = {0xDF, 0x28};
  if (c.header.p1 != 0x00 || c.header.p2 != 0xFE) return answer(kName, kSwRefDataNotFound);
  if (!std::equal(c.body.begin(), c.body.end(), kTagList.begin(), kTagList.end()))
    return answer(kName, kSwRefDataNotFound);
  return answer(kName, s::kOk, scp::encode_config_data(v_.oef_id));
}

// PUT KEY (docs/scp03.md §6): only through a channel on the SSD; replaces the platform key set
// (KVN 0B stays 0B) in one atomic NVM write. The open channel keeps its session keys.
Outcome SecurityDomain::put_key(Applet& a, ByteView capdu, bool secure) {
  constexpr const char* kName = "PutKey";
  if (!secure) return answer(kName, scp::kSwSecurityStatus);
  auto req = scp::parse_put_key(capdu, current_keys(a.store()));
  if (!req) return answer(kName, s::kWrongData);
  if (req->old_kvn != scp::kPlatformKvn || req->new_kvn != scp::kPlatformKvn) return answer(kName, kSwRefDataNotFound);
  auto reply = scp::put_key_reply(req->keys, req->new_kvn);
  if (!reply) return answer(kName, s::kUnknown);
  bool cut = false;
  const uint16_t st = a.persist_change([keys = req->keys](Store& x) { x.scp_keys = keys; }, &cut);
  Outcome out = answer(kName, st, st == s::kOk ? ByteView(*reply) : ByteView{}, Op::WriteKey);
  if (cut) {
    out.power_cut = true;
    out.rapdu.clear();
  }
  return out;
}

}  // namespace sx::sim
