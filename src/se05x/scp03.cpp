#include "se05x/scp03.h"

#include <algorithm>

#include "crypto/aes.h"
#include "se05x/apdu.h"

namespace sx::se05x::scp03 {

namespace {

constexpr uint8_t kDerivCardCryptogram = 0x00;
constexpr uint8_t kDerivHostCryptogram = 0x01;
constexpr uint8_t kDerivSEnc = 0x04;
constexpr uint8_t kDerivSMac = 0x06;
constexpr uint8_t kDerivSRmac = 0x07;
constexpr size_t kMacSize = 8;
constexpr uint8_t kClaSecure = 0x04;  // class bit "secure messaging" (docs/scp03.md §4)
constexpr uint8_t kKeyTypeAes = 0x88;

Error channel_error(std::string what) { return make_error(Errc::SecureChannel, "PlatformSCP03: " + std::move(what)); }

// Compares without an early exit: a MAC check must not leak how many bytes matched.
bool same(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  uint8_t d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<uint8_t>(a[i] ^ b[i]);
  return d == 0;
}

// ISO/IEC 9797-1 method 2: 80 then 00s to the next multiple of 16 (a whole
// block when already aligned).
Bytes pad(ByteView data) {
  Bytes out(data.begin(), data.end());
  out.push_back(0x80);
  while (out.size() % 16 != 0) out.push_back(0x00);
  return out;
}

// Undoes pad(), looking only at the last block (docs/scp03.md §4).
Result<Bytes> unpad(Bytes data) {
  if (data.empty() || data.size() % 16 != 0) return channel_error("protected data is not a whole number of blocks");
  size_t i = data.size();
  const size_t floor = data.size() - 16;
  while (i > floor && data[i - 1] == 0x00) --i;
  if (i == floor || data[i - 1] != 0x80) return channel_error("no padding found in the protected data");
  data.resize(i - 1);
  return data;
}

void increment(std::array<uint8_t, 16>& c) {
  for (size_t i = c.size(); i-- > 0;)
    if (++c[i] != 0) break;
}

bool advances(CounterRule rule, bool has_data) { return rule == CounterRule::Applet43 || has_data; }

Result<Bytes> icv(const ChannelState& st, bool response) {
  std::array<uint8_t, 16> block = st.counter;
  if (response) block[0] = 0x80;
  return crypto::aes_ecb_encrypt(st.keys.s_enc, block);
}

// The Lc field as it goes on the wire: one byte, or 00 HH LL.
Bytes lc_field(size_t lc, bool extended) {
  if (!extended) return {static_cast<uint8_t>(lc)};
  return {0x00, static_cast<uint8_t>(lc >> 8), static_cast<uint8_t>(lc)};
}

Bytes le_field(const std::optional<uint32_t>& le, bool extended) {
  if (!le) return {};
  if (!extended) return {static_cast<uint8_t>(*le)};
  return {static_cast<uint8_t>(*le >> 8), static_cast<uint8_t>(*le)};
}

// MAC over MCV || header || Lc field || data; updates the MCV.
Result<Bytes> chain_mac(ChannelState& st, ByteView header_and_lc, ByteView data) {
  Bytes in(st.mcv.begin(), st.mcv.end());
  in.insert(in.end(), header_and_lc.begin(), header_and_lc.end());
  in.insert(in.end(), data.begin(), data.end());
  SX_ASSIGN(Bytes mac, crypto::aes_cmac(st.keys.s_mac, in));
  std::copy(mac.begin(), mac.end(), st.mcv.begin());
  mac.resize(kMacSize);
  return mac;
}

Result<Bytes> response_mac(const ChannelState& st, ByteView enc, uint16_t sw) {
  Bytes in(st.mcv.begin(), st.mcv.end());
  in.insert(in.end(), enc.begin(), enc.end());
  in.push_back(static_cast<uint8_t>(sw >> 8));
  in.push_back(static_cast<uint8_t>(sw));
  SX_ASSIGN(Bytes mac, crypto::aes_cmac(st.keys.s_rmac, in));
  mac.resize(kMacSize);
  return mac;
}

Result<Bytes> cryptogram(const SessionKeys& s, uint8_t constant, ByteView context) {
  return kdf(s.s_mac, constant, context, 64);
}

Status check_context(ByteView context) {
  if (context.size() != 2 * kChallengeSize) return make_error(Errc::InvalidArgument, "SCP03 context must be 16 bytes");
  return {};
}

}  // namespace

CounterRule counter_rule_for(uint8_t major, uint8_t minor) {
  return (major > 4 || (major == 4 && minor >= 3)) ? CounterRule::Applet43 : CounterRule::Applet3;
}

StaticKeys::~StaticKeys() {
  secure_wipe(enc);
  secure_wipe(mac);
  secure_wipe(dek);
}

Status StaticKeys::check() const {
  if ((enc.size() != 16 && enc.size() != 32) || mac.size() != enc.size() || dek.size() != enc.size())
    return make_error(Errc::InvalidArgument, "SCP03 keys must be three AES keys of 16 or 32 bytes each, all the same length");
  return {};
}

SessionKeys::~SessionKeys() {
  secure_wipe(s_enc);
  secure_wipe(s_mac);
  secure_wipe(s_rmac);
}

Result<Bytes> kdf(ByteView key, uint8_t constant, ByteView context, uint16_t bits) {
  if (bits == 0 || bits > 256 || bits % 8 != 0) return make_error(Errc::InvalidArgument, "SCP03 KDF length");
  Bytes out;
  for (uint8_t counter = 1; out.size() * 8 < bits; ++counter) {
    Bytes dd(11, 0x00);
    dd.push_back(constant);
    dd.push_back(0x00);
    dd.push_back(static_cast<uint8_t>(bits >> 8));
    dd.push_back(static_cast<uint8_t>(bits));
    dd.push_back(counter);
    dd.insert(dd.end(), context.begin(), context.end());
    SX_ASSIGN(Bytes block, crypto::aes_cmac(key, dd));
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

Result<SessionKeys> derive_session_keys(const StaticKeys& keys, ByteView context) {
  SX_TRY(keys.check());
  SX_TRY(check_context(context));
  const auto bits = static_cast<uint16_t>(keys.enc.size() * 8);
  SessionKeys s;
  SX_ASSIGN(s.s_enc, kdf(keys.enc, kDerivSEnc, context, bits));
  SX_ASSIGN(s.s_mac, kdf(keys.mac, kDerivSMac, context, bits));
  SX_ASSIGN(s.s_rmac, kdf(keys.mac, kDerivSRmac, context, bits));
  return s;
}

Result<Bytes> card_cryptogram(const SessionKeys& s, ByteView context) {
  return cryptogram(s, kDerivCardCryptogram, context);
}

Result<Bytes> host_cryptogram(const SessionKeys& s, ByteView context) {
  return cryptogram(s, kDerivHostCryptogram, context);
}

Result<Bytes> key_check_value(ByteView key) {
  const Bytes ones(16, 0x01);
  SX_ASSIGN(Bytes v, crypto::aes_ecb_encrypt(key, ones));
  v.resize(3);
  return v;
}

Bytes initialize_update(ByteView host_challenge, uint8_t kvn) {
  Bytes c{0x80, 0x50, kvn, 0x00, static_cast<uint8_t>(host_challenge.size())};
  c.insert(c.end(), host_challenge.begin(), host_challenge.end());
  return c;
}

Result<InitUpdateReply> parse_initialize_update_reply(ByteView rapdu) {
  SX_ASSIGN(Response r, split_response(rapdu));
  if (!r.ok()) {
    Error e = make_error(Errc::StatusWord, "INITIALIZE UPDATE refused");
    e.sw = r.sw;
    return e;
  }
  if (r.data.size() != 29 && r.data.size() != 32)
    return make_error(Errc::Malformed, "INITIALIZE UPDATE answer of " + std::to_string(r.data.size()) + " bytes");
  InitUpdateReply out;
  const ByteView d(r.data);
  out.diversification.assign(d.begin(), d.begin() + 10);
  out.kvn = d[10];
  out.scp_id = d[11];
  out.i_param = d[12];
  out.card_challenge.assign(d.begin() + 13, d.begin() + 21);
  out.card_cryptogram.assign(d.begin() + 21, d.begin() + 29);
  return out;
}

Bytes encode_initialize_update_reply(const InitUpdateReply& r) {
  Bytes d = r.diversification;
  d.resize(10, 0x00);
  d.push_back(r.kvn);
  d.push_back(r.scp_id);
  d.push_back(r.i_param);
  d.insert(d.end(), r.card_challenge.begin(), r.card_challenge.end());
  d.insert(d.end(), r.card_cryptogram.begin(), r.card_cryptogram.end());
  return d;
}

// ---- host side ---------------------------------------------------------------

Result<HostChannel> HostChannel::begin(const StaticKeys& keys, ByteView host_challenge, const InitUpdateReply& reply,
                                       CounterRule rule, Bytes* external_authenticate) {
  if (host_challenge.size() != kChallengeSize || reply.card_challenge.size() != kChallengeSize)
    return make_error(Errc::InvalidArgument, "SCP03 challenges must be 8 bytes");
  Bytes context(host_challenge.begin(), host_challenge.end());
  context.insert(context.end(), reply.card_challenge.begin(), reply.card_challenge.end());
  HostChannel ch;
  SX_ASSIGN(ch.st_.keys, derive_session_keys(keys, context));
  SX_ASSIGN(Bytes expected, card_cryptogram(ch.st_.keys, context));
  if (!same(expected, reply.card_cryptogram))
    return channel_error("the card cryptogram does not match: the chip holds other keys");
  SX_ASSIGN(Bytes hc, host_cryptogram(ch.st_.keys, context));
  ch.st_.rule = rule;
  const Bytes header{0x84, 0x82, kSecurityLevelFull, 0x00, 0x10};
  SX_ASSIGN(Bytes mac, chain_mac(ch.st_, header, hc));
  if (external_authenticate) {
    *external_authenticate = header;
    external_authenticate->insert(external_authenticate->end(), hc.begin(), hc.end());
    external_authenticate->insert(external_authenticate->end(), mac.begin(), mac.end());
  }
  return ch;
}

Result<Bytes> HostChannel::wrap(ByteView plain) {
  SX_ASSIGN(ParsedCommand p, parse_command(plain));
  if (p.header.cla & kClaSecure) return make_error(Errc::InvalidArgument, "SCP03: command is already wrapped");
  const bool has_data = !p.body.empty();
  if (advances(st_.rule, has_data)) increment(st_.counter);
  Bytes enc;
  if (has_data) {
    SX_ASSIGN(Bytes iv, icv(st_, false));
    SX_ASSIGN(enc, crypto::aes_cbc_encrypt(st_.keys.s_enc, iv, pad(p.body)));
  }
  const size_t lc = enc.size() + kMacSize;
  if (lc > 0xFFFF) return make_error(Errc::InvalidArgument, "SCP03: command too long to wrap");
  const bool extended = p.extended || lc > 0xFF;
  Bytes out{static_cast<uint8_t>(p.header.cla | kClaSecure), p.header.ins, p.header.p1, p.header.p2};
  const Bytes lcf = lc_field(lc, extended);
  out.insert(out.end(), lcf.begin(), lcf.end());
  SX_ASSIGN(Bytes mac, chain_mac(st_, out, enc));
  out.insert(out.end(), enc.begin(), enc.end());
  out.insert(out.end(), mac.begin(), mac.end());
  const Bytes lef = le_field(p.le, extended);
  out.insert(out.end(), lef.begin(), lef.end());
  return out;
}

Result<Bytes> HostChannel::unwrap(ByteView rapdu) {
  if (rapdu.size() < 2) return channel_error("response shorter than a status word");
  const uint16_t sw = get_u16(rapdu, rapdu.size() - 2);
  if (sw != 0x9000) {
    if (rapdu.size() != 2) return channel_error("error status word with data in a protected response");
    return Bytes(rapdu.begin(), rapdu.end());
  }
  if (rapdu.size() < 2 + kMacSize) return channel_error("protected response without R-MAC");
  const ByteView enc = rapdu.first(rapdu.size() - 2 - kMacSize);
  const ByteView rmac = rapdu.subspan(enc.size(), kMacSize);
  SX_ASSIGN(Bytes expected, response_mac(st_, enc, sw));
  if (!same(expected, rmac)) return channel_error("response MAC mismatch");
  Bytes out;
  if (!enc.empty()) {
    if (enc.size() % 16 != 0) return channel_error("protected response data is not a whole number of blocks");
    SX_ASSIGN(Bytes iv, icv(st_, true));
    SX_ASSIGN(Bytes plain, crypto::aes_cbc_decrypt(st_.keys.s_enc, iv, enc));
    SX_ASSIGN(out, unpad(std::move(plain)));
  }
  out.push_back(0x90);
  out.push_back(0x00);
  return out;
}

// ---- card side ---------------------------------------------------------------

Result<CardChannel> CardChannel::on_initialize_update(const StaticKeys& keys, ByteView host_challenge,
                                                      ByteView card_challenge, ByteView diversification,
                                                      CounterRule rule, Bytes* reply_data) {
  if (host_challenge.size() != kChallengeSize || card_challenge.size() != kChallengeSize)
    return make_error(Errc::InvalidArgument, "SCP03 challenges must be 8 bytes");
  CardChannel ch;
  ch.context_.assign(host_challenge.begin(), host_challenge.end());
  ch.context_.insert(ch.context_.end(), card_challenge.begin(), card_challenge.end());
  SX_ASSIGN(ch.st_.keys, derive_session_keys(keys, ch.context_));
  ch.st_.rule = rule;
  InitUpdateReply r;
  r.diversification.assign(diversification.begin(), diversification.end());
  r.kvn = kPlatformKvn;
  r.scp_id = 0x03;
  r.i_param = 0x00;
  r.card_challenge.assign(card_challenge.begin(), card_challenge.end());
  SX_ASSIGN(r.card_cryptogram, card_cryptogram(ch.st_.keys, ch.context_));
  if (reply_data) *reply_data = encode_initialize_update_reply(r);
  return ch;
}

Status CardChannel::on_external_authenticate(ByteView capdu) {
  open_ = false;
  SX_ASSIGN(ParsedCommand p, parse_command(capdu));
  if (p.header.cla != 0x84 || p.header.ins != 0x82 || p.extended || p.body.size() != 16)
    return channel_error("malformed EXTERNAL AUTHENTICATE");
  if (p.header.p1 != kSecurityLevelFull)
    return make_error(Errc::Unsupported, "PlatformSCP03: only security level 33 is supported");
  SX_ASSIGN(Bytes hc, host_cryptogram(st_.keys, context_));
  const Bytes header{p.header.cla, p.header.ins, p.header.p1, p.header.p2, 0x10};
  ChannelState trial = st_;
  SX_ASSIGN(Bytes mac, chain_mac(trial, header, p.body.first(8)));
  if (!same(hc, p.body.first(8)) || !same(mac, p.body.subspan(8)))
    return channel_error("host cryptogram or MAC mismatch");
  st_.mcv = trial.mcv;
  st_.security_level = p.header.p1;
  st_.counter = {};
  open_ = true;
  return {};
}

Result<Bytes> CardChannel::unwrap(ByteView capdu) {
  if (!open_) return channel_error("no channel open");
  auto fail = [this](std::string why) {
    open_ = false;
    return channel_error(std::move(why));
  };
  auto parsed = parse_command(capdu);
  if (!parsed) return fail("malformed protected command");
  const ParsedCommand& p = *parsed;
  if (!(p.header.cla & kClaSecure) || p.body.size() < kMacSize) return fail("command without C-MAC");
  const ByteView enc = p.body.first(p.body.size() - kMacSize);
  Bytes hdr{p.header.cla, p.header.ins, p.header.p1, p.header.p2};
  const Bytes lcf = lc_field(p.body.size(), p.extended);
  hdr.insert(hdr.end(), lcf.begin(), lcf.end());
  ChannelState trial = st_;
  SX_ASSIGN(Bytes mac, chain_mac(trial, hdr, enc));
  if (!same(mac, p.body.subspan(enc.size()))) return fail("command MAC mismatch");
  st_.mcv = trial.mcv;
  const bool has_data = !enc.empty();
  if (advances(st_.rule, has_data)) increment(st_.counter);
  Bytes data;
  if (has_data) {
    if (enc.size() % 16 != 0) return fail("protected command data is not a whole number of blocks");
    SX_ASSIGN(Bytes iv, icv(st_, false));
    SX_ASSIGN(Bytes plain, crypto::aes_cbc_decrypt(st_.keys.s_enc, iv, enc));
    auto unpadded = unpad(std::move(plain));
    if (!unpadded) return fail("no padding found in the protected command");
    data = std::move(*unpadded);
  }
  // The plain command is extended when its data needs it or it carried an
  // extended Le; a short command only went extended for the MAC's 8 bytes.
  const bool extended = data.size() > 0xFF || (p.extended && p.le.has_value());
  Bytes out{static_cast<uint8_t>(p.header.cla & ~kClaSecure), p.header.ins, p.header.p1, p.header.p2};
  if (!data.empty()) {
    const Bytes f = lc_field(data.size(), extended);
    out.insert(out.end(), f.begin(), f.end());
    out.insert(out.end(), data.begin(), data.end());
  } else if (extended && p.le) {
    out.push_back(0x00);  // extended case 2: the Le is preceded by 00
  }
  const Bytes lef = le_field(p.le, extended);
  out.insert(out.end(), lef.begin(), lef.end());
  secure_wipe(data);
  return out;
}

Result<Bytes> CardChannel::wrap(ByteView plain_rapdu) {
  if (!open_) return channel_error("no channel open");
  if (plain_rapdu.size() < 2) return make_error(Errc::InvalidArgument, "response shorter than a status word");
  const uint16_t sw = get_u16(plain_rapdu, plain_rapdu.size() - 2);
  if (sw != 0x9000) return Bytes(plain_rapdu.end() - 2, plain_rapdu.end());
  const ByteView data = plain_rapdu.first(plain_rapdu.size() - 2);
  Bytes out;
  if (!data.empty()) {
    SX_ASSIGN(Bytes iv, icv(st_, true));
    SX_ASSIGN(out, crypto::aes_cbc_encrypt(st_.keys.s_enc, iv, pad(data)));
  }
  SX_ASSIGN(Bytes mac, response_mac(st_, out, sw));
  out.insert(out.end(), mac.begin(), mac.end());
  out.push_back(0x90);
  out.push_back(0x00);
  return out;
}

// ---- PUT KEY -----------------------------------------------------------------

Result<Bytes> put_key(const StaticKeys& current, const StaticKeys& next, uint8_t old_kvn, uint8_t new_kvn) {
  SX_TRY(current.check());
  SX_TRY(next.check());
  const auto len = static_cast<uint8_t>(next.enc.size());
  Bytes body{new_kvn};
  for (const Bytes* k : {&next.enc, &next.mac, &next.dek}) {
    SX_ASSIGN(Bytes wrapped, crypto::aes_ecb_encrypt(current.dek, *k));
    SX_ASSIGN(Bytes kcv, key_check_value(*k));
    body.push_back(kKeyTypeAes);
    body.push_back(static_cast<uint8_t>(len + 1));
    body.push_back(len);
    body.insert(body.end(), wrapped.begin(), wrapped.end());
    body.push_back(static_cast<uint8_t>(kcv.size()));
    body.insert(body.end(), kcv.begin(), kcv.end());
  }
  Bytes c{0x80, 0xD8, old_kvn, 0x81, static_cast<uint8_t>(body.size())};
  c.insert(c.end(), body.begin(), body.end());
  c.push_back(0x00);
  return c;
}

Result<Bytes> put_key_reply(const StaticKeys& next, uint8_t new_kvn) {
  SX_TRY(next.check());
  Bytes r{new_kvn};
  for (const Bytes* k : {&next.enc, &next.mac, &next.dek}) {
    SX_ASSIGN(Bytes kcv, key_check_value(*k));
    r.insert(r.end(), kcv.begin(), kcv.end());
  }
  return r;
}

Result<PutKeyRequest> parse_put_key(ByteView plain_capdu, const StaticKeys& current) {
  SX_TRY(current.check());
  SX_ASSIGN(ParsedCommand p, parse_command(plain_capdu));
  if (p.header.ins != 0xD8 || p.header.p2 != 0x81 || p.body.empty())
    return make_error(Errc::Malformed, "PUT KEY: not a three-key AES PUT KEY");
  PutKeyRequest out;
  out.old_kvn = p.header.p1;
  out.new_kvn = p.body[0];
  ByteView rest = p.body.subspan(1);
  Bytes* slots[] = {&out.keys.enc, &out.keys.mac, &out.keys.dek};
  for (Bytes* slot : slots) {
    if (rest.size() < 3 || rest[0] != kKeyTypeAes || rest[1] != rest[2] + 1 || (rest[2] != 16 && rest[2] != 32))
      return make_error(Errc::Malformed, "PUT KEY: key component is not a 16- or 32-byte AES key");
    const size_t len = rest[2];
    if (rest.size() < 3 + len + 1 + 3 || rest[3 + len] != 3) return make_error(Errc::Malformed, "PUT KEY: truncated");
    SX_ASSIGN(*slot, crypto::aes_ecb_decrypt(current.dek, rest.subspan(3, len)));
    SX_ASSIGN(Bytes kcv, key_check_value(*slot));
    if (!same(kcv, rest.subspan(3 + len + 1, 3)))
      return make_error(Errc::SecureChannel, "PUT KEY: key check value mismatch");
    rest = rest.subspan(3 + len + 1 + 3);
  }
  if (!rest.empty()) return make_error(Errc::Malformed, "PUT KEY: trailing bytes");
  SX_TRY(out.keys.check());
  return out;
}

}  // namespace sx::se05x::scp03
