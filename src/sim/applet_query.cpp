// Object queries: CheckObjectExists, ReadType, ReadSize, ReadIDList, ReadObject,
// ReadObjectAttributes.
#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;

Applet::Reply Applet::on_CheckObjectExists(const Request& r) {
  const uint8_t res = find(r.u32(t::k1)) ? se05x::kResultSuccess : se05x::kResultFailure;
  return ok(se05x::TlvWriter().u8(t::k1, res).take());
}

Applet::Reply Applet::on_ReadType(const Request& r) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  return ok(se05x::TlvWriter()
                .u8(t::k1, type_code(*o, v_.applet7))
                .u8(t::k2, o->transient ? se05x::kTransientObj : se05x::kPersistent)
                .take());
}

Applet::Reply Applet::on_ReadSize(const Request& r) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  if (o->is_auth()) return sw(sw_choice::kWrongType);  // docs/se05x-protocol.md §4.9.1
  return ok(se05x::TlvWriter().u16(t::k1, object_size(*o)).take());
}

Applet::Reply Applet::on_ReadIDList(const Request& r) {
  const uint8_t want = r.opt_u8(t::k2).value_or(0xFF);
  std::vector<uint32_t> ids;
  for (const auto& [id, o] : store_.objects)
    if (want == 0xFF || type_code(o, v_.applet7) == want) ids.push_back(id);
  const size_t from = r.opt_u16(t::k1).value_or(0);
  const size_t page = v_.idlist_page();
  Bytes list;
  size_t i = from;
  for (; i < ids.size() && i < from + page; ++i) put_u32(list, ids[i]);
  const uint8_t more = i < ids.size() ? se05x::kMore : se05x::kNoMore;
  return ok(se05x::TlvWriter().u8(t::k1, more).bytes(t::k2, list).take());
}

// No crypto objects ever exist here: an empty TAG_1 list, 9000 (not 6A86, which
// NXP's middleware treats as a failure of its erase and start-up paths).
Applet::Reply Applet::on_ReadCryptoObjectList(const Request&) {
  return ok(se05x::TlvWriter().bytes(t::k1, Bytes{}).take());
}

Applet::Reply Applet::on_ReadObject(const Request& r) {
  op_.op = Op::Read;
  const auto offset = r.opt_u16(t::k2), length = r.opt_u16(t::k3);
  const auto comp = r.opt_u8(t::k4);
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  if (has_private(o->kind) && !has_public(o->kind)) return sw(sw_choice::kWrongType);
  if (is_symmetric(o->kind) || o->is_auth()) return sw(sw_choice::kWrongType);
  if (!may(*o)) return sw(sw_choice::kDenied);
  Bytes out;
  if (o->kind == ObjectKind::Binary) {
    const size_t off = offset.value_or(0);
    if (off > o->data.size()) return sw(sw_choice::kBadTlv);
    const size_t len = length.value_or(0) ? *length : o->data.size() - off;
    if (len > o->data.size() - off) return sw(sw_choice::kBadTlv);
    out.assign(o->data.begin() + static_cast<std::ptrdiff_t>(off),
               o->data.begin() + static_cast<std::ptrdiff_t>(off + len));
  } else if (is_ec(o->kind)) {
    out = o->ec_pub;
  } else {  // RSA pair / public: one component per read
    if (!o->complete()) return sw(sw_choice::kWrongType);
    if (!comp) return sw(sw_choice::kBadTlv);
    uint8_t tag = 0;
    if (*comp == static_cast<uint8_t>(se05x::RsaComponent::Modulus)) tag = t::k10;
    if (*comp == static_cast<uint8_t>(se05x::RsaComponent::PublicExponent)) tag = t::k8;
    if (!tag) return sw(sw_choice::kBadTlv);
    out = o->rsa.at(tag);
  }
  op_.size = static_cast<uint32_t>(out.size());
  return ok(se05x::TlvWriter().bytes(t::k1, out).take());
}

Applet::Reply Applet::on_ReadObjectAttributes(const Request& r) {
  const SecureObject* o = find(r.u32(t::k1));
  if (!o) return sw(sw_choice::kNoObject);
  Bytes a;
  put_u32(a, o->id);
  a.push_back(type_code(*o, v_.applet7));
  // Readable by everybody, in or out of sessions: the counter is how a host shows tries left.
  a.push_back(o->is_auth() ? 0x02 : 0x01);  // authentication indicator
  put_u16(a, o->attempts);                  // failed attempts (bytes 6-7)
  put_u32(a, 0);                            // authentication object ID
  put_u16(a, o->max_attempts);              // max attempts (bytes 12-13)
  if (o->policy.empty()) {  // the rules that apply: the default one, for everybody
    a.push_back(8);
    put_u32(a, 0);
    put_u32(a, default_rules(*o));
  } else {
    append(a, o->policy);
  }
  a.push_back(static_cast<uint8_t>(o->origin));
  if (v_.applet7) put_u32(a, 0);  // object version
  return ok(se05x::TlvWriter().bytes(v_.applet7 ? t::k3 : t::k2, a).take());
}

}  // namespace sx::sim
