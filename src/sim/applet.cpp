#include "sim/applet.h"

#include <algorithm>

#include <openssl/err.h>

#include "sim/policy.h"

namespace sx::sim {

namespace s = se05x::sw;

Applet::Applet(const Variant& v, Store store, FaultPlan& faults, Persist persist, AuthOptions auth)
    : v_(v), store_(std::move(store)), faults_(faults), persist_(std::move(persist)), auth_opts_(auth) {}

void Applet::reset() {
  selected_ = false;
  sessions_.clear();  // sessions are RAM state of the applet (docs/se05x-protocol.md §4.9.6)
  std::erase_if(store_.objects, [](const auto& kv) { return kv.second.transient; });
}

bool Applet::may(const SecureObject& o) const { return allowed(o, required_right(cmd_), auth_id()); }

SecureObject* Applet::find(uint32_t id) {
  auto it = store_.objects.find(id);
  return it == store_.objects.end() ? nullptr : &it->second;
}

uint16_t Applet::check_new_object(const SecureObject& o) const {
  // The one reserved ID a user may create: the platform-SCP UserID, written by whoever finds it
  // absent, as NXP's example does (docs/scp03.md §7).
  const bool platform_scp_auth = o.id == se05x::objid::kPlatformScpAuth && o.auth == AuthKind::UserId;
  if (o.id == 0 || (o.id >= se05x::objid::kReservedFirst && o.id <= se05x::objid::kReservedLast && !platform_scp_auth))
    return sw_choice::kBadTlv;
  if (!o.policy.empty() && !policy_well_formed(o.policy)) return sw_choice::kBadPolicy;
  if (o.transient) {
    if (store_.used_transient() + nvm_cost(o) > v_.transient_ram) return sw_choice::kFull;
  } else if (store_.used_persistent() + nvm_cost(o) > v_.user_nvm) {
    return sw_choice::kFull;
  }
  return s::kOk;
}

uint16_t Applet::commit(const std::function<void(Store&)>& apply, const std::function<void(Store&)>& torn,
                        bool persistent) {
  if (!persistent) {
    apply(store_);
    return s::kOk;
  }
  if (auto cut = faults_.on_write()) {
    cut_ = true;
    if (*cut == CutMode::TornWrite && torn) {
      torn(store_);
      (void)persist_(store_);  // what reached the NVM before the power died
    } else if (*cut == CutMode::AfterWrite) {
      apply(store_);
      (void)persist_(store_);  // the whole write landed; only the answer is lost
    }
    return s::kOk;
  }
  apply(store_);
  return persist_(store_).ok() ? s::kOk : s::kUnknown;
}

uint16_t Applet::persist_change(const std::function<void(Store&)>& apply, bool* power_cut) {
  cut_ = false;
  const uint16_t st = commit(apply);
  *power_cut = cut_;
  cut_ = false;
  return st;
}

Outcome Applet::process(ByteView capdu, bool secure) {
  name_ = "Unknown";
  op_ = {};
  cut_ = false;
  wrapped_ = false;
  secure_ = secure;
  session_ = nullptr;
  Reply r;
  if (capdu.size() > v_.max_apdu) {
    name_ = "Oversize";
    r = sw(s::kWrongLength);
  } else {
    auto parsed = se05x::parse_command(capdu);
    if (!parsed) {
      name_ = "Malformed";
      r = sw(s::kWrongLength);
    } else {
      r = dispatch(*parsed);
    }
  }
  ERR_clear_error();
  Outcome out;
  out.name = name_;
  out.op = op_;
  out.wrapped = wrapped_;
  out.scp = secure;
  if (cut_) {
    out.power_cut = true;
    return out;
  }
  if (r.data.size() + 2 > v_.max_apdu) r = sw(s::kWrongLength);
  out.rapdu = se05x::make_response(r.data, r.sw);
  return out;
}

uint8_t Request::u8(uint8_t t) const { return opt_u8(t).value_or(0); }
uint16_t Request::u16(uint8_t t) const { return opt_u16(t).value_or(0); }

uint32_t Request::u32(uint8_t t) const {
  auto v = tlvs.get_u32(t);
  return v && *v ? **v : 0;
}

std::optional<uint8_t> Request::opt_u8(uint8_t t) const {
  auto v = tlvs.get_u8(t);
  return v ? *v : std::nullopt;
}

std::optional<uint16_t> Request::opt_u16(uint8_t t) const {
  auto v = tlvs.get_u16(t);
  return v ? *v : std::nullopt;
}

Applet::Reply Applet::on_Select(const Request& r) {
  const Cmd& c = r.apdu;
  op_.op = Op::Select;
  if (c.body.empty()) {  // card manager (ISD) selected: the applet is deselected
    reset();
    return ok(Bytes{0x6F, 0x10, 0x84, 0x08, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0xA5, 0x04, 0x9F, 0x65,
                    0x01, 0xFF});
  }
  if (!std::equal(c.body.begin(), c.body.end(), se05x::kAppletAid.begin(), se05x::kAppletAid.end()))
    return sw(s::kFileNotFound);
  // Re-selecting the applet starts a fresh applet session: transient objects stay (they are
  // tied to the chip reset, not to selection) [U]; user sessions end (docs/se05x-protocol.md §4.9.6).
  sessions_.clear();
  selected_ = true;
  return ok(version_bytes());
}

Applet::Reply Applet::dispatch(const Cmd& c) {
  se05x::CommandHeader h = c.header;
  if ((h.cla & 0xFC) == 0x00) h.cla = 0x00;  // ISO logical channels 0..3 alike
  const se05x::Matches m = se05x::find_commands(h, &Applet::implemented);
  if (h.cla != se05x::kCla) {  // the card manager: SELECT only
    if (m.count) return run(m, c, Tlvs{});
    return sw(se05x::known_instruction(h, &Applet::implemented) ? sw_choice::kWrongP1P2 : s::kClaNotSupported);
  }
  if (!selected_) return sw(sw_choice::kNoApplet);
  auto tlvs = Tlvs::parse(c.body);
  if (!tlvs) {
    name_ = "BadTlv";
    return sw(sw_choice::kBadTlv);
  }
  if (!m.count)
    return sw(se05x::known_instruction(h, &Applet::implemented) ? sw_choice::kWrongP1P2 : s::kInsNotSupported);
  return run(m, c, *tlvs);
}

Applet::Reply Applet::run(const se05x::Matches& m, const Cmd& c, const Tlvs& t) {
  using Handler = Reply (Applet::*)(const Request&);
  static constexpr Handler kHandlers[] = {
#define SX_SE05X_CMD(id, ...) &Applet::on_##id,
#include "se05x/commands.def"
#undef SX_SE05X_CMD
  };
  name_ = m.name;
  const Admission a = admit(*m.items[0], c, t);
  if (a.sw != s::kOk) return sw(a.sw);
  const se05x::Command& cmd = *a.row;
  name_ = cmd.name;
  cmd_ = cmd.id;
  if (!cmd.request.raw() && !se05x::check_request(cmd, t)) return sw(sw_choice::kBadTlv);
  return (this->*kHandlers[static_cast<size_t>(cmd.id)])(Request{cmd, c, t});
}

Applet::Admission Applet::admit(const se05x::Command& c, const Cmd& apdu, const Tlvs& t) const {
  using se05x::CmdId;
  switch (c.id) {
    case CmdId::ECDSASign:
    case CmdId::RSASign:
    case CmdId::ECDSAVerify:
    case CmdId::RSAVerify: {  // rows sharing a header: the key picks one before the rest is read
      auto id = t.require_u32(se05x::tag::k1);
      if (!id) return {nullptr, sw_choice::kBadTlv};
      auto it = store_.objects.find(*id);
      if (it == store_.objects.end()) return {nullptr, sw_choice::kNoObject};
      const ObjectKind k = it->second.kind;
      if (!is_rsa(k) && !is_ec(k)) return {nullptr, sw_choice::kWrongType};
      const bool sign = c.id == CmdId::ECDSASign || c.id == CmdId::RSASign;
      const CmdId row = is_rsa(k) ? (sign ? CmdId::RSASign : CmdId::RSAVerify) : (sign ? CmdId::ECDSASign : CmdId::ECDSAVerify);
      return {&se05x::command(row), s::kOk};
    }
    case CmdId::WriteRSAKey:
      if (!v_.rsa) return {nullptr, sw_choice::kNoRsa};
      if (apdu.header.p2 != se05x::kRsaFormatCrt && apdu.header.p2 != se05x::kRsaFormatRaw)
        return {nullptr, sw_choice::kWrongP1P2};
      break;
    case CmdId::RSAEncrypt:
    case CmdId::RSADecrypt:
      if (!v_.rsa) return {nullptr, sw_choice::kNoRsa};
      break;
    default: break;
  }
  return {&c, s::kOk};
}

bool Applet::implemented(se05x::CmdId) { return true; }

}  // namespace sx::sim
