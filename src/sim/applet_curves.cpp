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

Applet::Reply Applet::on_CreateECCurve(const Request& r) {
  const uint8_t c = r.u8(t::k1);
  if (!find_curve(c)) return sw(sw_choice::kBadTlv);
  const CurveState& st = store_.curves[c];
  // A complete curve cannot be created again; an incomplete one (an interrupted
  // Create/SetParam sequence) starts over [U].
  if (st.created && st.params_set == kAllCurveParams) return sw(sw_choice::kExists);
  return sw(commit([c](Store& s) { s.curves[c] = CurveState{true, 0}; }));
}

Applet::Reply Applet::on_SetECCurveParam(const Request& r) {
  const uint8_t c = r.u8(t::k1), pm = r.u8(t::k2);
  const CurveInfo* info = find_curve(c);
  if (!info || !store_.curves[c].created) return sw(sw_choice::kNoObject);
  if (pm != 0x01 && pm != 0x02 && pm != 0x04 && pm != 0x08 && pm != 0x10) return sw(sw_choice::kBadTlv);
  if (!curve_param_matches(*info, pm, r.bin(t::k3))) return sw(sw_choice::kBadTlv);
  return sw(commit([c, pm](Store& s) { s.curves[c].params_set |= pm; }));
}

Applet::Reply Applet::on_GetECCurveId(const Request& r) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  if (!is_ec(o->kind)) return sw(sw_choice::kWrongType);
  return ok(se05x::TlvWriter().u8(t::k1, o->curve).take());
}

Applet::Reply Applet::on_ReadECCurveList(const Request&) {
  Bytes list;
  for (uint8_t id = 1; id <= kCurveListLen; ++id) {
    const CurveState& st = store_.curves[id];
    list.push_back(st.created && st.params_set == kAllCurveParams ? se05x::kCurveSet : se05x::kCurveNotSet);
  }
  return ok(se05x::TlvWriter().bytes(t::k1, list).take());
}

Applet::Reply Applet::on_DeleteECCurve(const Request& r) {
  const uint8_t c = r.u8(t::k1);
  if (c == 0 || c >= store_.curves.size() || !store_.curves[c].created) return sw(sw_choice::kNoObject);
  // [U] A curve still used by a user key cannot be deleted.
  for (const auto& [oid, o] : store_.objects)
    if (is_ec(o.kind) && o.curve == c && o.origin != se05x::Origin::Provisioned) return sw(sw_choice::kWrongType);
  return sw(commit([c](Store& s) { s.curves[c] = CurveState{}; }));
}

}  // namespace sx::sim
