// The object index and the head (docs/token-store.md §2.2): layout, round trips,
// and every malformed input a torn write or a foreign writer could leave.
#include <gtest/gtest.h>

#include "token/index.h"
#include "token/object.h"
#include "token/store_format.h"

namespace sx::token {
namespace {

ObjectRecord record(uint32_t id, ObjectClass cls, KeyType kt, std::string label, Bytes ckid, uint32_t flags) {
  ObjectRecord r;
  r.chip_id = id;
  r.cls = cls;
  r.key_type = kt;
  r.label = std::move(label);
  r.ckid = std::move(ckid);
  r.flags = flags;
  return r;
}

IndexEntry entry(uint32_t id, uint8_t type, uint16_t info, bool cert = false, bool provisioned = false) {
  IndexEntry e;
  e.chip_id = id;
  e.type_code = type;
  e.info = info;
  e.certificate = cert;
  e.provisioned = provisioned;
  return e;
}

// A key pair with a label of ours, its certificate, a data object under its default
// names, and a factory key without a record.
Metadata sample_md() {
  Metadata md;
  md.token.label = "gateway";
  md.token.flags = tokflag::kInitialized | tokflag::kChipPin;
  md.token.next_id = 0x7B5E0004;
  md.objects.push_back(record(0x7B5E0001, ObjectClass::PrivateKey, KeyType::Ec, "gg", {0x01},
                              objflag::kPrivate | objflag::kModifiable | objflag::kLocal | objflag::kAlwaysAuthenticate));
  md.objects.push_back(record(0x7B5E0002, ObjectClass::Certificate, KeyType::None, "gg", {0x01}, objflag::kModifiable));
  md.objects.push_back(record(0x7B5E0003, ObjectClass::Data, KeyType::None, default_label(0x7B5E0003),
                              default_ckid(0x7B5E0003), objflag::kModifiable));
  md.objects.back().state = RecordState::Pending;
  return md;
}

std::vector<IndexEntry> sample_entries() {
  // Deliberately out of order: the index sorts by chip ID.
  return {entry(0xF0000100, 0x01, 3, false, true), entry(0x7B5E0003, 0x0A, 12), entry(0x7B5E0002, 0x0A, 400, true),
          entry(0x7B5E0001, 0x01, 3)};
}

TEST(ObjectIndex, RoundTripsAndStandsForTheMetadata) {
  const Bytes uid = hex("040050010000000000000000000000000000");
  const IndexImage ix = make_index(sample_md(), sample_entries(), uid, 321);
  EXPECT_TRUE(ix.complete);
  ASSERT_EQ(ix.entries.size(), 4u);
  EXPECT_EQ(ix.entries.front().chip_id, 0x7B5E0001u);
  EXPECT_FALSE(ix.entries.back().has_record);
  auto enc = encode_index(ix);
  ASSERT_TRUE(enc.ok());
  auto dec = decode_index(*enc);
  ASSERT_TRUE(dec.ok()) << dec.error().to_string();
  EXPECT_EQ(*dec, ix);
  Metadata back = metadata_of(*dec);
  Metadata want = sample_md();
  std::sort(want.objects.begin(), want.objects.end(), [](auto& a, auto& b) { return a.chip_id < b.chip_id; });
  EXPECT_EQ(back, want);
  // Default names and small flags cost nothing: the data object's entry is 10 bytes.
  EXPECT_LT(enc->size(), 100u) << to_hex(*enc);
}

TEST(ObjectIndex, FieldsTheIndexDoesNotCarryMakeItIncomplete) {
  Metadata md = sample_md();
  EXPECT_TRUE(make_index(md, sample_entries(), {}, 0).complete);
  md.objects[0].subject = hex("3000");
  EXPECT_FALSE(make_index(md, sample_entries(), {}, 0).complete);
  md = sample_md();
  md.objects[2].application = "greengrass";
  EXPECT_FALSE(make_index(md, sample_entries(), {}, 0).complete);
  md = sample_md();
  md.token.user_pin = {1000, Bytes(16, 1), Bytes(32, 2)};  // a host-PIN verifier
  EXPECT_FALSE(make_index(md, sample_entries(), {}, 0).complete);
  md = sample_md();
  md.unknown_records.push_back({0x09, hex("00")});
  EXPECT_FALSE(make_index(md, sample_entries(), {}, 0).complete);
  // A record whose chip object was not listed.
  md = sample_md();
  auto entries = sample_entries();
  entries.erase(entries.begin() + 1);
  EXPECT_FALSE(make_index(md, entries, {}, 0).complete);
}

TEST(ObjectIndex, EveryTruncationAndTrailingByteIsMalformed) {
  auto enc = encode_index(make_index(sample_md(), sample_entries(), hex("0102030405060708"), 99));
  ASSERT_TRUE(enc.ok());
  for (size_t n = 0; n < enc->size(); ++n) EXPECT_FALSE(decode_index(ByteView(*enc).first(n)).ok()) << n;
  Bytes longer = *enc;
  longer.push_back(0);
  EXPECT_FALSE(decode_index(longer).ok());
}

TEST(ObjectIndex, UnknownValuesAndDisorderAreMalformed) {
  IndexImage ix = make_index(sample_md(), sample_entries(), {}, 0);
  auto enc = encode_index(ix);
  ASSERT_TRUE(enc.ok());
  Bytes b = *enc;
  b[0] = 2;  // a newer index version
  EXPECT_FALSE(decode_index(b).ok());
  b = *enc;
  b[1] = 0x80;  // unknown index flags
  EXPECT_FALSE(decode_index(b).ok());
  // Two entries swapped: IDs no longer ascend.
  std::swap(ix.entries[0], ix.entries[1]);
  auto swapped = encode_index(ix);
  ASSERT_TRUE(swapped.ok());
  EXPECT_FALSE(decode_index(*swapped).ok());
  // A label that is not UTF-8.
  Metadata md = sample_md();
  md.objects[0].label = std::string("\xC0\x80", 2);
  auto bad_label = encode_index(make_index(md, sample_entries(), {}, 0));
  ASSERT_TRUE(bad_label.ok());
  EXPECT_FALSE(decode_index(*bad_label).ok());
}

TEST(Head, LayoutSplitAndChecks) {
  const Bytes index(600, 0x5A);
  auto img = encode_head(1, 0x01020304, index);
  ASSERT_TRUE(img.ok());
  ASSERT_EQ(img->head.size(), kHeadMax);  // header + the first kHeadIndexMax bytes
  EXPECT_EQ(img->tail.size(), 600 - kHeadIndexMax);
  // The pointer's magic, format 2, slot, the index length where format 1 has zeros.
  EXPECT_EQ(to_hex(ByteView(img->head).first(12)), "535854500201025801020304");
  auto h = parse_head_header(img->head);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->slot, 1);
  EXPECT_EQ(h->generation, 0x01020304u);
  EXPECT_EQ(h->index_len, 600u);
  EXPECT_EQ(h->in_tail(), img->tail.size());
  Bytes whole(img->head.begin() + kHeadHeaderLen, img->head.end());
  append(whole, img->tail);
  EXPECT_TRUE(verify_head_index(*h, whole).ok());
  // Any changed byte of the header or the index, and a short index, are caught.
  for (size_t i = 0; i < kHeadHeaderLen; ++i) {
    Bytes b = img->head;
    b[i] ^= 0x01;
    auto hb = parse_head_header(b);
    EXPECT_TRUE(!hb.ok() || !verify_head_index(*hb, whole).ok()) << "header byte " << i;
  }
  for (size_t i = 0; i < whole.size(); i += 37) {
    Bytes w = whole;
    w[i] ^= 0x80;
    EXPECT_FALSE(verify_head_index(*h, w).ok()) << "index byte " << i;
  }
  EXPECT_FALSE(verify_head_index(*h, ByteView(whole).first(599)).ok());
}

TEST(Head, AFormatOnePointerIsNoHead) {
  const Bytes v1 = encode_pointer({0, 9});
  auto h = parse_head_header(v1);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, Errc::Unsupported);
  EXPECT_FALSE(parse_head_header(Bytes(32, 0)).ok());  // a torn creation: zeros
}

}  // namespace
}  // namespace sx::token
