// EC curve objects: CreateECCurve, SetECCurveParam, GetECCurveId, ReadECCurveList, DeleteECCurve.
#include "sim/applet.h"
#include "sim/curves.h"

namespace sx::sim {

namespace t = se05x::tag;

bool Applet::curve_usable(uint8_t id) const {
  if (!find_curve(id)) return false;
  if (v_.applet7) return true;  // [U] 7.2: Weierstrass curves built in
  return store_.curves[id].created && store_.curves[id].params_set == kAllCurveParams;
}

Applet::Reply Applet::create_curve(const Tlvs& tl) {
  name_ = "CreateECCurve";
  auto id = tl.require_u8(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  if (!find_curve(*id)) return sw(sw_choice::kBadTlv);
  const CurveState& st = store_.curves[*id];
  // A complete curve cannot be created again; an incomplete one (an interrupted
  // Create/SetParam sequence) starts over [U].
  if (st.created && st.params_set == kAllCurveParams) return sw(sw_choice::kExists);
  const uint8_t c = *id;
  return sw(commit([c](Store& s) { s.curves[c] = CurveState{true, 0}; }));
}

Applet::Reply Applet::set_curve_param(const Tlvs& tl) {
  name_ = "SetECCurveParam";
  auto id = tl.require_u8(t::k1);
  auto param = tl.require_u8(t::k2);
  auto value = tl.require(t::k3);
  if (!id || !param || !value) return sw(sw_choice::kBadTlv);
  const CurveInfo* info = find_curve(*id);
  if (!info || !store_.curves[*id].created) return sw(sw_choice::kNoObject);
  const uint8_t pm = *param;
  if (pm != 0x01 && pm != 0x02 && pm != 0x04 && pm != 0x08 && pm != 0x10) return sw(sw_choice::kBadTlv);
  if (!curve_param_matches(*info, pm, *value)) return sw(sw_choice::kBadTlv);
  const uint8_t c = *id;
  return sw(commit([c, pm](Store& s) { s.curves[c].params_set |= pm; }));
}

Applet::Reply Applet::get_curve_id(const Tlvs& tl) {
  name_ = "GetECCurveId";
  auto id = tl.require_u32(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  const SecureObject* o = find(*id);
  if (!o) return sw(sw_choice::kNoObject);
  if (!is_ec(o->kind)) return sw(sw_choice::kWrongType);
  return ok(se05x::TlvWriter().u8(t::k1, o->curve).take());
}

Applet::Reply Applet::read_curve_list() {
  name_ = "ReadECCurveList";
  Bytes list;
  for (uint8_t id = 1; id <= kCurveListLen; ++id) {
    const CurveState& st = store_.curves[id];
    list.push_back(st.created && st.params_set == kAllCurveParams ? se05x::kCurveSet : se05x::kCurveNotSet);
  }
  return ok(se05x::TlvWriter().bytes(t::k1, list).take());
}

Applet::Reply Applet::delete_curve(const Tlvs& tl) {
  name_ = "DeleteECCurve";
  auto id = tl.require_u8(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  if (*id == 0 || *id >= store_.curves.size() || !store_.curves[*id].created) return sw(sw_choice::kNoObject);
  // [U] A curve still used by a user key cannot be deleted.
  for (const auto& [oid, o] : store_.objects)
    if (is_ec(o.kind) && o.curve == *id && o.origin != se05x::Origin::Provisioned) return sw(sw_choice::kWrongType);
  const uint8_t c = *id;
  return sw(commit([c](Store& s) { s.curves[c] = CurveState{}; }));
}

}  // namespace sx::sim
