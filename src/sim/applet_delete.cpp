// DeleteSecureObject and DeleteAll.
#include "sim/applet.h"
#include "sim/policy.h"

namespace sx::sim {

namespace t = se05x::tag;

Applet::Reply Applet::delete_object(const Tlvs& tl) {
  name_ = "DeleteSecureObject";
  op_.op = Op::Delete;
  auto id = tl.require_u32(t::k1);
  if (!id) return sw(sw_choice::kBadTlv);
  const SecureObject* o = find(*id);
  if (!o) return sw(sw_choice::kNoObject);
  if (o->origin == se05x::Origin::Provisioned || !allowed(*o, se05x::policy::kAllowDelete))
    return sw(sw_choice::kDenied);
  const uint32_t key = *id;
  return sw(commit([key](Store& s) { s.objects.erase(key); }, nullptr, !o->transient));
}

Applet::Reply Applet::delete_all() {
  name_ = "DeleteAll";
  op_.op = Op::Delete;
  // [U] The real applet requires a FACTORY_RESET session; the simulator allows it plainly.
  return sw(commit([](Store& s) {
    std::erase_if(s.objects, [](const auto& kv) { return kv.second.origin != se05x::Origin::Provisioned; });
    s.curves = {};
  }));
}

}  // namespace sx::sim
