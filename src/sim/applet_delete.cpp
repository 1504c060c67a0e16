// DeleteSecureObject and DeleteAll.
#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;

Applet::Reply Applet::on_DeleteSecureObject(const Request& r) {
  op_.op = Op::Delete;
  const uint32_t key = r.u32(t::k1);
  const SecureObject* o = find(key);
  if (!o) return sw(sw_choice::kNoObject);
  if (o->origin == se05x::Origin::Provisioned || !may(*o))
    return sw(sw_choice::kDenied);
  const uint16_t st = commit([key](Store& s) { s.objects.erase(key); }, nullptr, !o->transient);
  end_sessions_of_missing_objects();
  return sw(st);
}

Applet::Reply Applet::on_DeleteAll(const Request&) {
  op_.op = Op::Delete;
  // [U] The real applet requires a FACTORY_RESET session; the simulator allows it plainly.
  const uint16_t st = commit([](Store& s) {
    std::erase_if(s.objects, [](const auto& kv) { return kv.second.origin != se05x::Origin::Provisioned; });
    s.curves = {};
  });
  end_sessions_of_missing_objects();
  return sw(st);
}

}  // namespace sx::sim
