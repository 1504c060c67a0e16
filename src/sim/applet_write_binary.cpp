// WriteBinary (create + chunked writes) and WriteSymmKey (storage only).
#include <algorithm>

#include "sim/applet.h"

namespace sx::sim {

namespace t = se05x::tag;

namespace {

void copy_into(Bytes& file, size_t off, ByteView chunk) {
  std::copy(chunk.begin(), chunk.end(), file.begin() + static_cast<std::ptrdiff_t>(off));
}

}  // namespace

Applet::Reply Applet::on_WriteBinary(const Request& r) {
  const uint32_t id = r.u32(t::k1);
  const auto length = r.opt_u16(t::k3);
  const ByteView chunk = r.bin(t::k4);
  const size_t off = r.opt_u16(t::k2).value_or(0);
  op_ = {Op::WriteBinary, 0, static_cast<uint32_t>(chunk.size())};
  const size_t keep = faults_.torn_prefix(chunk.size());
  const Bytes data(chunk.begin(), chunk.end());

  SecureObject* o = find(id);
  if (!o) {
    const size_t len = length.value_or(0);
    if (len == 0 || len > se05x::kMaxBinaryFile) return sw(sw_choice::kBadTlv);
    SecureObject n;
    n.id = id;
    n.kind = ObjectKind::Binary;
    n.transient = r.transient();
    if (auto p = r.opt(t::kPolicy)) n.policy.assign(p->begin(), p->end());
    n.data.assign(len, 0);
    if (const uint16_t code = check_new_object(n); code != se05x::sw::kOk) return sw(code);
    if (off > len || chunk.size() > len - off) return sw(sw_choice::kBadTlv);
    // Creation is atomic; the data of the same APDU can still tear (zeros beyond the prefix).
    return sw(commit(
        [n, off, data](Store& s) mutable {
          copy_into(n.data, off, data);
          s.objects.emplace(n.id, std::move(n));
        },
        [n, off, data, keep](Store& s) mutable {
          copy_into(n.data, off, ByteView(data).first(keep));
          s.objects.emplace(n.id, std::move(n));
        },
        !n.transient));
  }
  if (o->kind != ObjectKind::Binary) return sw(sw_choice::kExists);
  if (o->origin == se05x::Origin::Provisioned) return sw(sw_choice::kDenied);
  if (length && *length != o->data.size()) return sw(sw_choice::kBadTlv);  // cannot grow
  if (!may(*o)) return sw(sw_choice::kDenied);
  if (off > o->data.size() || chunk.size() > o->data.size() - off) return sw(sw_choice::kBadTlv);
  return sw(commit([id, off, data](Store& s) { copy_into(s.objects.at(id).data, off, data); },
                   [id, off, data, keep](Store& s) {
                     copy_into(s.objects.at(id).data, off, ByteView(data).first(keep));
                   },
                   !o->transient));
}

Applet::Reply Applet::on_WriteAESKey(const Request& r) { return write_symmetric(r, ObjectKind::Aes); }
Applet::Reply Applet::on_WriteDESKey(const Request& r) { return write_symmetric(r, ObjectKind::Des); }
Applet::Reply Applet::on_WriteHMACKey(const Request& r) { return write_symmetric(r, ObjectKind::Hmac); }

Applet::Reply Applet::write_symmetric(const Request& r, ObjectKind kind) {
  op_.op = Op::WriteKey;
  if (r.opt(t::k2)) return sw(sw_choice::kBadTlv);  // no KEK-wrapped import
  const uint32_t id = r.u32(t::k1);
  const ByteView key = r.bin(t::k3);
  const size_t n = key.size();
  const bool len_ok = kind == ObjectKind::Aes   ? (n == 16 || n == 24 || n == 32)
                      : kind == ObjectKind::Des ? (n == 8 || n == 16 || n == 24)
                                          : (n >= 1 && n <= 256);
  if (!len_ok) return sw(sw_choice::kBadTlv);
  const Bytes value(key.begin(), key.end());
  if (SecureObject* o = find(id)) {
    if (o->kind != kind) return sw(sw_choice::kExists);
    if (o->origin == se05x::Origin::Provisioned || !may(*o))
      return sw(sw_choice::kDenied);
    if (o->data.size() != value.size()) return sw(sw_choice::kBadTlv);
    return sw(commit([id, value](Store& s) { s.objects.at(id).data = value; }, nullptr, !o->transient));
  }
  SecureObject o;
  o.id = id;
  o.kind = kind;
  o.transient = r.transient();
  if (auto p = r.opt(t::kPolicy)) o.policy.assign(p->begin(), p->end());
  o.data = value;
  if (const uint16_t code = check_new_object(o); code != se05x::sw::kOk) return sw(code);
  const bool persistent = !o.transient;
  return sw(commit([o](Store& s) { s.objects.emplace(o.id, o); }, nullptr, persistent));
}

}  // namespace sx::sim
