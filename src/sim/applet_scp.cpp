// SetPlatformSCPRequest: the persistent "platform SCP required" state (docs/scp03.md §7).
// The channel itself is the card manager's (sim/security_domain.h); the applet only keeps
// the flag and says who may change it.
#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;
namespace s = se05x::sw;

namespace {
constexpr uint8_t kScpRequired = 0x01, kScpNotRequired = 0x02;
}  // namespace

// Accepted only through a channel at security level 33 and inside a session of the reserved
// UserID 7FFF0207; both refusals are our choice of SW [U] (docs/simulator.md).
Applet::Reply Applet::on_SetPlatformSCPRequest(const Request& r) {
  op_.op = Op::WriteKey;
  if (!secure_) return sw(s::kSecurityStatus);
  if (!session_ || session_->auth_id != se05x::objid::kPlatformScpAuth) return sw(sw_choice::kWrongType);
  const uint8_t v = r.u8(t::k1);
  if (v != kScpRequired && v != kScpNotRequired) return sw(sw_choice::kBadTlv);
  const bool required = v == kScpRequired;
  return sw(commit([required](Store& st) { st.scp_required = required; }));
}

}  // namespace sx::sim
