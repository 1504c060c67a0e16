// EC curve management and the "create if needed" sequence (docs/se05x-protocol.md §4.6.8).
#include <string>

#include "se05x/channel_lock.h"
#include "se05x/client_internal.h"
#include "se05x/curves.h"

namespace sx::se05x {

Result<Bytes> Client::read_ec_curve_list() {
  SX_ASSIGN(Bytes list, run_tlv(CmdId::ReadECCurveList, {}));
  for (uint8_t b : list)
    if (b != kCurveSet && b != kCurveNotSet) return malformed_reply(CmdId::ReadECCurveList, "bad set indicator");
  return list;
}

Status Client::create_ec_curve(Curve c) {
  return run_empty(CmdId::CreateECCurve, {Arg::u8(tag::k1, static_cast<uint8_t>(c))});
}

Status Client::set_ec_curve_param(Curve c, CurveParam param, ByteView value) {
  if (value.empty()) return invalid(name_of(CmdId::SetECCurveParam), "empty parameter value");
  return run_empty(CmdId::SetECCurveParam, {Arg::u8(tag::k1, static_cast<uint8_t>(c)),
                                            Arg::u8(tag::k2, static_cast<uint8_t>(param)), Arg::bin(tag::k3, value)});
}

Status Client::ensure_curve(Curve c) {
  const CurveInfo* info = curve_info(c);
  if (!info) return invalid("ensure_curve", "unknown curve");
  // The MW treats Ed25519 as always present; Montgomery curves need applet 7.2
  // handling we do not have yet.
  if (info->family == CurveFamily::Edwards) return {};
  if (info->family == CurveFamily::Montgomery)
    return make_error(Errc::Unsupported, "ensure_curve: Montgomery curves are not handled");
  // Fetch the parameters before touching the chip so a missing OpenSSL curve
  // cannot leave a created-but-empty curve behind.
  SX_ASSIGN(CurveDomain d, curve_domain(c));
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  SX_ASSIGN(Bytes list, read_ec_curve_list());
  const size_t index = static_cast<size_t>(c) - 1;
  if (index >= list.size())
    return malformed_reply(CmdId::ReadECCurveList, "curve list has no entry for curve " + std::to_string(static_cast<int>(c)));
  if (list[index] == kCurveSet) return {};
  SX_TRY(create_ec_curve(c));
  const struct {
    CurveParam param;
    const Bytes& value;
  } steps[] = {{CurveParam::A, d.a}, {CurveParam::B, d.b}, {CurveParam::G, d.g}, {CurveParam::N, d.order},
               {CurveParam::Prime, d.prime}};
  for (const auto& s : steps) SX_TRY(set_ec_curve_param(c, s.param, s.value));
  return {};
}

}  // namespace sx::se05x
