// Object queries and reads (docs/se05x-protocol.md §4.6.2, §4.6.3, §4.6.7, §4.8).
#include <algorithm>
#include <string>

#include "se05x/channel_lock.h"
#include "se05x/client_internal.h"

namespace sx::se05x {

Result<IdPage> Client::read_id_list(uint16_t offset, uint8_t type_filter) {
  constexpr CmdId id = CmdId::ReadIDList;
  // The offset is sent even when 0 (unlike the "optional" U16 TLVs).
  SX_ASSIGN(Answer a, run(id, {Arg::u16(tag::k1, offset), Arg::u8(tag::k2, type_filter)}));
  const uint8_t more = a.fields.u8(tag::k1);
  const ByteView list = a.fields.bytes(tag::k2);
  if (more != kMore && more != kNoMore) return malformed_reply(id, "bad 'more' flag");
  if (list.size() % 4 != 0) return malformed_reply(id, "ID list length is not a multiple of 4");
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
    if (all.size() > 0xFFFF) return malformed_reply(CmdId::ReadIDList, "more IDs than a 16-bit offset can page through");
    // AN12413: the next offset is the number of IDs listed so far (not bytes).
    SX_ASSIGN(IdPage page, read_id_list(static_cast<uint16_t>(all.size()), type_filter));
    all.insert(all.end(), page.ids.begin(), page.ids.end());
    if (!page.more) return all;
    if (page.ids.empty()) return malformed_reply(CmdId::ReadIDList, "card says 'more' but listed nothing");
  }
  return malformed_reply(CmdId::ReadIDList, "still 'more' after " + std::to_string(max_pages) + " pages");
}

Result<bool> Client::check_object_exists(uint32_t id) {
  return run_result(CmdId::CheckObjectExists, {Arg::u32(tag::k1, id)});
}

Result<TypeInfo> Client::read_type(uint32_t id) {
  SX_ASSIGN(Answer a, run(CmdId::ReadType, {Arg::u32(tag::k1, id)}));
  const uint8_t where = a.fields.u8(tag::k2);
  if (where != kPersistent && where != kTransientObj) return malformed_reply(CmdId::ReadType, "bad transient indicator");
  return TypeInfo{a.fields.u8(tag::k1), where == kTransientObj};
}

Result<uint16_t> Client::read_size(uint32_t id) {
  SX_ASSIGN(Answer a, run(CmdId::ReadSize, {Arg::u32(tag::k1, id)}));
  return a.fields.u16(tag::k1);
}

Result<Curve> Client::get_ec_curve_id(uint32_t id) {
  SX_ASSIGN(Answer a, run(CmdId::GetECCurveId, {Arg::u32(tag::k1, id)}));
  return static_cast<Curve>(a.fields.u8(tag::k1));
}

Result<ObjectAttributes> Client::read_object_attributes(uint32_t id) {
  constexpr CmdId cid = CmdId::ReadObjectAttributes;
  SX_ASSIGN(Answer a, run(cid, {Arg::u32(tag::k1, id)}));
  // Below applet 7.2 the attributes come in TAG_2, from 7.2 in TAG_3 (with a version).
  const auto v2 = a.fields.get(tag::k2), v3 = a.fields.get(tag::k3);
  const bool tag_ok = version_ ? (version_->at_least(7, 2) ? (v3 && !v2) : (v2 && !v3)) : (v2.has_value() != v3.has_value());
  if (!tag_ok) return malformed_reply(cid, "unexpected attributes tag");
  return named(name_of(cid), parse_attributes(v3 ? *v3 : *v2, v3.has_value()));
}

Status Client::delete_object(uint32_t id) { return run_empty(CmdId::DeleteSecureObject, {Arg::u32(tag::k1, id)}); }

Result<Bytes> Client::read_object(uint32_t id) { return run_tlv(CmdId::ReadObject, {Arg::u32(tag::k1, id)}); }

Result<Bytes> Client::read_object_part(uint32_t id, uint16_t offset, uint16_t length) {
  constexpr CmdId cid = CmdId::ReadObject;
  if (length == 0) return invalid(name_of(cid), "length must be at least 1");
  // TAG_2 is left out for offset 0, like the MW.
  const Arg with_offset[] = {Arg::u32(tag::k1, id), Arg::u16(tag::k2, offset), Arg::u16(tag::k3, length)};
  const Arg from_start[] = {Arg::u32(tag::k1, id), Arg::u16(tag::k3, length)};
  SX_ASSIGN(Answer a, offset ? run(cid, with_offset) : run(cid, from_start));
  const ByteView v = a.fields.bytes(tag::k1);
  if (v.size() != length)
    return malformed_reply(cid, "asked for " + std::to_string(length) + " bytes, got " + std::to_string(v.size()));
  return Bytes(v.begin(), v.end());
}

Result<Bytes> Client::read_rsa_component(uint32_t id, RsaComponent which) {
  return run_tlv(CmdId::ReadObject, {Arg::u32(tag::k1, id), Arg::u8(tag::k4, static_cast<uint8_t>(which))});
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
  if (total == 0 || total > kMaxBinaryFile) return invalid(name_of(CmdId::ReadObject), "binary file size out of range");
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
