// Object queries and reads (protocol notes 4.6.2, 4.6.3, 4.6.7, 4.8).
#include <algorithm>
#include <string>

#include "se05x/channel_lock.h"
#include "se05x/client_internal.h"

namespace sx::se05x {

namespace {

Error malformed(const CmdSpec& c, const std::string& what) {
  return make_error(Errc::Malformed, std::string(c.name) + ": " + what);
}

}  // namespace

Result<IdPage> Client::read_id_list(uint16_t offset, uint8_t type_filter) {
  const auto& c = cmd::kReadIdList;
  // The offset is sent even when 0 (unlike the "optional" U16 TLVs).
  SX_ASSIGN(Bytes data, call(c, TlvWriter().u16(tag::k1, offset).u8(tag::k2, type_filter).take()));
  TlvReader r(data);
  SX_ASSIGN(uint8_t more, named(c.name, r.expect_u8(tag::k1)));
  SX_ASSIGN(ByteView list, named(c.name, r.expect(tag::k2)));
  SX_TRY(expect_end(r, c.name));
  if (more != kMore && more != kNoMore) return malformed(c, "bad 'more' flag");
  if (list.size() % 4 != 0) return malformed(c, "ID list length is not a multiple of 4");
  IdPage page;
  page.more = more == kMore;
  for (size_t i = 0; i < list.size(); i += 4) page.ids.push_back(get_u32(list, i));
  return page;
}

Result<std::vector<uint32_t>> Client::read_all_ids(uint8_t type_filter, size_t max_pages) {
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  std::vector<uint32_t> all;
  for (size_t page_no = 0; page_no < max_pages; ++page_no) {
    if (all.size() > 0xFFFF) return malformed(cmd::kReadIdList, "more IDs than a 16-bit offset can page through");
    // AN12413: the next offset is the number of IDs listed so far (not bytes).
    SX_ASSIGN(IdPage page, read_id_list(static_cast<uint16_t>(all.size()), type_filter));
    all.insert(all.end(), page.ids.begin(), page.ids.end());
    if (!page.more) return all;
    if (page.ids.empty()) return malformed(cmd::kReadIdList, "card says 'more' but listed nothing");
  }
  return malformed(cmd::kReadIdList, "still 'more' after " + std::to_string(max_pages) + " pages");
}

Result<bool> Client::check_object_exists(uint32_t id) { return call_result(cmd::kCheckExists, id_body(id)); }

Result<TypeInfo> Client::read_type(uint32_t id) {
  const auto& c = cmd::kReadType;
  SX_ASSIGN(Bytes data, call(c, id_body(id)));
  TlvReader r(data);
  SX_ASSIGN(uint8_t type, named(c.name, r.expect_u8(tag::k1)));
  SX_ASSIGN(uint8_t where, named(c.name, r.expect_u8(tag::k2)));
  SX_TRY(expect_end(r, c.name));
  if (where != kPersistent && where != kTransientObj) return malformed(c, "bad transient indicator");
  return TypeInfo{type, where == kTransientObj};
}

Result<uint16_t> Client::read_size(uint32_t id) { return call_u16(cmd::kReadSize, id_body(id)); }

Result<Curve> Client::get_ec_curve_id(uint32_t id) {
  SX_ASSIGN(uint8_t c, call_u8(cmd::kGetCurveId, id_body(id)));
  return static_cast<Curve>(c);
}

Result<ObjectAttributes> Client::read_object_attributes(uint32_t id) {
  const auto& c = cmd::kReadAttributes;
  SX_ASSIGN(Bytes data, call(c, id_body(id)));
  TlvReader r(data);
  SX_ASSIGN(Tlv t, named(c.name, r.next()));
  SX_TRY(expect_end(r, c.name));
  // Below applet 7.2 the attributes come in TAG_2, from 7.2 in TAG_3 (with a version).
  const bool v72 = t.tag == tag::k3;
  const bool tag_ok = version_ ? (t.tag == (version_->at_least(7, 2) ? tag::k3 : tag::k2))
                               : (t.tag == tag::k2 || t.tag == tag::k3);
  if (!tag_ok) return malformed(c, "unexpected attributes tag");
  return named(c.name, parse_attributes(t.value, v72));
}

Status Client::delete_object(uint32_t id) { return call_empty(cmd::kDeleteObject, id_body(id)); }

Result<Bytes> Client::read_object(uint32_t id) { return call_tlv(cmd::kReadObject, id_body(id)); }

Result<Bytes> Client::read_object_part(uint32_t id, uint16_t offset, uint16_t length) {
  const auto& c = cmd::kReadObject;
  if (length == 0) return invalid(c.name, "length must be at least 1");
  TlvWriter w;
  w.u32(tag::k1, id).u16_opt(tag::k2, offset).u16(tag::k3, length);
  SX_ASSIGN(Bytes v, call_tlv(c, w.data()));
  if (v.size() != length)
    return malformed(c, "asked for " + std::to_string(length) + " bytes, got " + std::to_string(v.size()));
  return v;
}

Result<Bytes> Client::read_rsa_component(uint32_t id, RsaComponent which) {
  TlvWriter w;
  w.u32(tag::k1, id).u8(tag::k4, static_cast<uint8_t>(which));
  return call_tlv(cmd::kReadObject, w.data());
}

Result<Bytes> Client::read_binary(uint32_t id) {
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  SX_ASSIGN(uint16_t size, read_size(id));
  return read_chunks(id, size);
}

Result<Bytes> Client::read_binary(uint32_t id, size_t total) {
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  return read_chunks(id, total);
}

Result<Bytes> Client::read_chunks(uint32_t id, size_t total) {
  if (total == 0 || total > kMaxBinaryFile) return invalid(cmd::kReadObject.name, "binary file size out of range");
  Bytes out;
  out.reserve(total);
  while (out.size() < total) {
    const size_t n = std::min(kBinaryChunk, total - out.size());
    SX_ASSIGN(Bytes chunk,
              read_object_part(id, static_cast<uint16_t>(out.size()), static_cast<uint16_t>(n)));
    append(out, chunk);
  }
  return out;
}

}  // namespace sx::se05x
