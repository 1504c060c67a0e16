#include "sim/applet.h"

#include <algorithm>

#include <openssl/err.h>

#include "sim/policy.h"

namespace sx::sim {

namespace s = se05x::sw;
namespace p2 = se05x::p2;
namespace p1 = se05x::p1;
namespace ins = se05x::ins;

Applet::Applet(const Variant& v, Store store, FaultPlan& faults, Persist persist)
    : v_(v), store_(std::move(store)), faults_(faults), persist_(std::move(persist)) {}

void Applet::reset() {
  selected_ = false;
  std::erase_if(store_.objects, [](const auto& kv) { return kv.second.transient; });
}

SecureObject* Applet::find(uint32_t id) {
  auto it = store_.objects.find(id);
  return it == store_.objects.end() ? nullptr : &it->second;
}

uint16_t Applet::check_new_object(const SecureObject& o) const {
  if (o.id == 0 || (o.id >= se05x::objid::kReservedFirst && o.id <= se05x::objid::kReservedLast))
    return sw_choice::kBadTlv;
  if (!o.policy.empty() && !parse_policy(o.policy)) return sw_choice::kBadPolicy;
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
    }
    return s::kOk;
  }
  apply(store_);
  return persist_(store_).ok() ? s::kOk : s::kUnknown;
}

Outcome Applet::process(ByteView capdu) {
  name_ = "Unknown";
  op_ = {};
  cut_ = false;
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
  if (cut_) {
    out.power_cut = true;
    return out;
  }
  if (r.data.size() + 2 > v_.max_apdu) r = sw(s::kWrongLength);
  out.rapdu = se05x::make_response(r.data, r.sw);
  return out;
}

Applet::Reply Applet::select(const Cmd& c) {
  name_ = "Select";
  op_.op = Op::Select;
  if (c.header.p1 != 0x04) return sw(sw_choice::kWrongP1P2);
  if (c.body.empty()) {  // card manager (ISD) selected: the applet is deselected
    reset();
    return ok(Bytes{0x6F, 0x10, 0x84, 0x08, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0xA5, 0x04, 0x9F, 0x65,
                    0x01, 0xFF});
  }
  if (!std::equal(c.body.begin(), c.body.end(), se05x::kAppletAid.begin(), se05x::kAppletAid.end()))
    return sw(s::kFileNotFound);
  // Re-selecting the applet starts a fresh applet session: transient objects stay (they are
  // tied to the chip reset, not to selection) [U].
  selected_ = true;
  return ok(version_bytes());
}

Applet::Reply Applet::dispatch(const Cmd& c) {
  const auto& h = c.header;
  if ((h.cla & 0xFC) == 0x00 && h.ins == 0xA4) return select(c);
  if (h.cla != se05x::kCla) return sw(s::kClaNotSupported);
  if (!selected_) return sw(sw_choice::kNoApplet);
  auto tlvs = Tlvs::parse(c.body);
  if (!tlvs) {
    name_ = "BadTlv";
    return sw(sw_choice::kBadTlv);
  }
  return dispatch_applet(c, *tlvs);
}

Applet::Reply Applet::dispatch_applet(const Cmd& c, const Tlvs& t) {
  const uint8_t in = c.header.ins, cls = in & ins::kMask, a = c.header.p1, b = c.header.p2;
  if (in & (ins::kAuthObject | ins::kAttest)) return sw(s::kInsNotSupported);  // no auth objects / attestation
  const bool transient = (in & ins::kTransient) != 0;
  if (transient && cls != ins::kWrite) return sw(s::kInsNotSupported);
  switch (cls) {
    case ins::kWrite:
      switch (a & p1::kTypeMask) {
        case p1::kEc: return b == p2::kDefault ? write_ec_key(c, t) : sw(sw_choice::kWrongP1P2);
        case p1::kRsa: return write_rsa_key(c, t);
        case p1::kAes:
        case p1::kDes:
        case p1::kHmac: return b == p2::kDefault ? write_symmetric(c, t) : sw(sw_choice::kWrongP1P2);
        case p1::kBinary: return b == p2::kDefault ? write_binary(c, t) : sw(sw_choice::kWrongP1P2);
        case p1::kCurve:
          if (transient) break;
          if (b == p2::kCreate) return create_curve(t);
          if (b == p2::kParam) return set_curve_param(t);
          break;
        default: break;
      }
      return sw(sw_choice::kWrongP1P2);
    case ins::kRead:
      if (a == p1::kDefault) {
        switch (b) {
          case p2::kDefault: return read_object(t);
          case p2::kSize: return read_size(t);
          case p2::kList: return read_id_list(t);
          case p2::kType: return read_type(t);
          case p2::kAttributes: return read_attributes(t);
          default: break;
        }
      } else if (a == p1::kCurve) {
        if (b == p2::kList) return read_curve_list();
        if (b == p2::kId) return get_curve_id(t);
      }
      return sw(sw_choice::kWrongP1P2);
    case ins::kCrypto:
      if (a == p1::kSignature && b == p2::kSign) return sign(t);
      if (a == p1::kSignature && b == p2::kVerify) return verify(t);
      if (a == p1::kEc && b == p2::kDh) return ecdh(t);
      if (a == p1::kRsa && (b == p2::kEncryptOneShot || b == p2::kDecryptOneShot)) {
        name_ = b == p2::kEncryptOneShot ? "RSAEncrypt" : "RSADecrypt";
        if (!v_.rsa) return sw(sw_choice::kNoRsa);
        return rsa_crypt(t, b == p2::kEncryptOneShot);
      }
      if (a == p1::kDefault && b == p2::kOneShot) return digest_one_shot(t);
      return sw(sw_choice::kWrongP1P2);
    case ins::kMgmt:
      if (a == p1::kDefault) {
        switch (b) {
          case p2::kVersion: return get_version();
          case p2::kMemory: return get_free_memory(t);
          case p2::kExist: return check_exists(t);
          case p2::kDeleteObject: return delete_object(t);
          case p2::kDeleteAll: return delete_all();
          case p2::kRandom: return get_random(t);
          default: break;
        }
      } else if (a == p1::kCurve && b == p2::kDeleteObject) {
        return delete_curve(t);
      }
      return sw(sw_choice::kWrongP1P2);
    default: return sw(s::kInsNotSupported);
  }
}

}  // namespace sx::sim
