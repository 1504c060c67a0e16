// Object writes: binary files, EC and RSA keys (docs/se05x-protocol.md §4.6.4-§4.6.6).
#include <algorithm>
#include <string>
#include <vector>

#include "se05x/channel_lock.h"
#include "se05x/client_internal.h"
#include "se05x/curves.h"

namespace sx::se05x {

namespace {

uint8_t ins_flags(bool transient) { return transient ? ins::kTransient : 0; }

// Appends an optional TLV value, left out when empty (the MW's "optional" helpers).
void add_opt(std::vector<Arg>& args, uint8_t t, ByteView v) {
  if (!v.empty()) args.push_back(Arg::bin(t, v));
}

bool valid_rsa_bits(uint16_t bits) {
  constexpr uint16_t kSizes[] = {512, 1024, 1152, 2048, 3072, 4096};
  return std::find(std::begin(kSizes), std::end(kSizes), bits) != std::end(kSizes);
}

// Checks key material lengths against the curve when we know it (creation).
Status check_ec_sizes(const EcKeyWrite& w) {
  const CurveInfo* info = curve_info(w.curve);
  if (!info) return invalid(name_of(CmdId::WriteECKey), "unknown curve");
  const bool weier = info->family == CurveFamily::Weierstrass;
  const size_t pub_len = weier ? 1 + 2 * size_t{info->bytes} : info->bytes;
  if (!w.private_key.empty() && w.private_key.size() != info->bytes)
    return invalid(name_of(CmdId::WriteECKey), "private key length does not match the curve");
  if (!w.public_key.empty() && (w.public_key.size() != pub_len || (weier && w.public_key[0] != 0x04)))
    return invalid(name_of(CmdId::WriteECKey), "public key is not an uncompressed point of the curve");
  return {};
}

Status check_ec_parts(const EcKeyWrite& w) {
  const bool priv = !w.private_key.empty(), pub = !w.public_key.empty();
  bool ok = false;
  switch (w.part) {
    case KeyPart::Pair: ok = priv == pub && (priv || !w.exists); break;  // neither = generate
    case KeyPart::Private: ok = priv && !pub; break;
    case KeyPart::Public: ok = pub && !priv; break;
  }
  if (!ok) return invalid(name_of(CmdId::WriteECKey), "key material does not match the key part");
  return {};
}

struct RsaPart {
  uint8_t tag;
  ByteView value;
};

// Component order NXP's middleware uses, one component per APDU.
std::vector<RsaPart> rsa_components(const RsaKeyImport& k) {
  if (k.part == KeyPart::Public) return {{tag::k8, k.e}, {tag::k10, k.n}};
  if (k.format == RsaFormat::Raw) return {{tag::k8, k.e}, {tag::k9, k.d}, {tag::k10, k.n}};
  return {{tag::k3, k.p},  {tag::k4, k.q}, {tag::k5, k.dp}, {tag::k6, k.dq},
          {tag::k7, k.qinv}, {tag::k8, k.e}, {tag::k10, k.n}};
}

// The MW's "ByteShift": odd-length components (except e) get a leading 00.
Bytes shifted(const RsaPart& part) {
  const size_t pad = (part.tag != tag::k8 && part.value.size() % 2 == 1) ? 1 : 0;
  Bytes out(pad + part.value.size(), 0x00);
  std::copy(part.value.begin(), part.value.end(), out.begin() + static_cast<std::ptrdiff_t>(pad));
  return out;
}

}  // namespace

Status Client::write_chunks(uint32_t id, ByteView data, uint16_t offset, bool create, ByteView policy) {
  const char* name = name_of(CmdId::WriteBinary);
  if (data.empty()) return invalid(name, "no data");
  if (size_t{offset} + data.size() > kMaxBinaryFile) return invalid(name, "file would exceed 0x7FFF bytes");
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  for (size_t pos = 0; pos < data.size(); pos += kBinaryChunk) {
    // Policy and file size (TAG_3) in the creating APDU only; TAG_2 left out at offset 0.
    const bool first_create = create && pos == 0;
    const auto at = static_cast<uint16_t>(offset + pos);
    std::vector<Arg> args{Arg::u32(tag::k1, id)};
    if (first_create) add_opt(args, tag::kPolicy, policy);
    if (at) args.push_back(Arg::u16(tag::k2, at));
    if (first_create) args.push_back(Arg::u16(tag::k3, static_cast<uint16_t>(data.size())));
    args.push_back(Arg::bin(tag::k4, data.subspan(pos, std::min(kBinaryChunk, data.size() - pos))));
    SX_TRY(run_empty(CmdId::WriteBinary, args));
  }
  return {};
}

Status Client::create_binary(uint32_t id, ByteView data, ByteView policy) {
  return write_chunks(id, data, 0, true, policy);
}

Status Client::update_binary(uint32_t id, ByteView data, uint16_t offset) {
  return write_chunks(id, data, offset, false, {});
}

Status Client::write_ec_key(const EcKeyWrite& w) {
  const char* name = name_of(CmdId::WriteECKey);
  SX_TRY(check_ec_parts(w));
  if (w.exists && !w.policy.empty()) return invalid(name, "a policy can only be given on creation");
  if (!w.exists) SX_TRY(check_ec_sizes(w));
  std::vector<Arg> args{Arg::u32(tag::k1, w.id)};
  add_opt(args, tag::kPolicy, w.policy);
  if (!w.exists) args.push_back(Arg::u8(tag::k2, static_cast<uint8_t>(w.curve)));
  add_opt(args, tag::k3, w.private_key);
  add_opt(args, tag::k4, w.public_key);
  // On an existing object the card ignores the key part; the MW sends none.
  const auto part = static_cast<uint8_t>(w.exists ? 0 : static_cast<uint8_t>(w.part));
  return run_empty(CmdId::WriteECKey, args, {ins_flags(w.transient), part, 0});
}

Status Client::generate_ec_key(uint32_t id, Curve curve, ByteView policy) {
  EcKeyWrite w;
  w.id = id;
  w.curve = curve;
  w.policy = policy;
  return write_ec_key(w);
}

Status Client::generate_rsa_key(uint32_t id, uint16_t bits, RsaFormat format, ByteView policy, bool transient) {
  constexpr CmdId cid = CmdId::WriteRSAKey;
  if (!valid_rsa_bits(bits)) return invalid(name_of(cid), "unsupported RSA key size");
  std::vector<Arg> args{Arg::u32(tag::k1, id), Arg::u16(tag::k2, bits)};
  add_opt(args, tag::kPolicy, policy);
  return run_empty(cid, args, {ins_flags(transient), p1::kKeyPair, static_cast<uint8_t>(format)});
}

Status Client::import_rsa_key(const RsaKeyImport& k) {
  constexpr CmdId cid = CmdId::WriteRSAKey;
  if (!valid_rsa_bits(k.bits)) return invalid(name_of(cid), "unsupported RSA key size");
  if (k.part == KeyPart::Private) return invalid(name_of(cid), "private-only RSA import is not supported");
  const auto parts = rsa_components(k);
  for (const auto& p : parts)
    if (p.value.empty()) return invalid(name_of(cid), "a key component is missing");
  ChannelLock lock(ch_);
  SX_TRY(lock.status());
  for (size_t i = 0; i < parts.size(); ++i) {
    // Only the first APDU names the key part, size and policy; the rest add components to it.
    const bool first = i == 0;
    std::vector<Arg> args{Arg::u32(tag::k1, k.id)};
    if (first) {
      add_opt(args, tag::kPolicy, k.policy);
      args.push_back(Arg::u16(tag::k2, k.bits));
    }
    Bytes comp = shifted(parts[i]);
    args.push_back(Arg::bin(parts[i].tag, comp));
    const auto part = static_cast<uint8_t>(first ? static_cast<uint8_t>(k.part) : 0);
    Status st = run_empty(cid, args, {ins_flags(k.transient), part, static_cast<uint8_t>(k.format)});
    secure_wipe(comp);
    SX_TRY(st);
  }
  return {};
}

}  // namespace sx::se05x
