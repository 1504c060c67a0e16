#include <gtest/gtest.h>

#include "token/metadata.h"

namespace sx::token {
namespace {

Metadata sample() {
  Metadata m;
  m.token.label = "greengrass";
  m.token.flags = tokflag::kInitialized | tokflag::kUserPinSet;
  m.token.user_pin = {20000, Bytes(kPinSaltLen, 0x11), Bytes(kPinHashLen, 0x22)};
  m.token.so_pin = {30000, Bytes(kPinSaltLen, 0x33), Bytes(kPinHashLen, 0x44)};
  m.token.user_failures = 3;
  m.token.so_failures = 1;
  m.token.next_id = 0x7B5E0005;
  m.token.extra.push_back({0x70, {1, 2, 3}});
  ObjectRecord k;
  k.chip_id = 0x7B5E0001;
  k.cls = ObjectClass::PrivateKey;
  k.key_type = KeyType::Ec;
  k.label = "gg-key \xC3\xA9";
  k.ckid = {0x01};
  k.flags = objflag::kPrivate | objflag::kModifiable;
  k.subject = {0x30, 0x00};
  ObjectRecord c;
  c.chip_id = 0x7B5E0002;
  c.state = RecordState::Pending;
  c.cls = ObjectClass::Certificate;
  c.label = "gg-key";
  c.ckid = {0x01};
  ObjectRecord d;
  d.chip_id = 0xF0000100;
  d.cls = ObjectClass::Data;
  d.flags = objflag::kAdopted | objflag::kPublicHidden | 0x80000000u;  // unknown bit kept
  d.application = "app";
  d.object_id = {0x06, 0x01, 0x00};
  d.extra.push_back({0x99, {}});
  m.objects = {k, c, d};
  m.unknown_records.push_back({0x7F, {0xAA, 0xBB}});
  return m;
}

TEST(Metadata, RoundTripKeepsEverythingIncludingUnknownFields) {
  const Metadata m = sample();
  auto enc = encode_metadata(m);
  ASSERT_TRUE(enc.ok()) << enc.error().to_string();
  auto dec = decode_metadata(*enc);
  ASSERT_TRUE(dec.ok()) << dec.error().to_string();
  EXPECT_EQ(*dec, m);
  auto again = encode_metadata(*dec);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *enc);
}

TEST(Metadata, EmptyBodyIsEmptyMetadata) {
  auto dec = decode_metadata({});
  ASSERT_TRUE(dec.ok());
  EXPECT_TRUE(dec->objects.empty());
  EXPECT_TRUE(dec->token.label.empty());
}

TEST(Metadata, KnownEncodingOfOneObjectRecord) {
  Metadata m;
  ObjectRecord r;
  r.chip_id = 0x7B5E0001;
  r.cls = ObjectClass::Certificate;
  r.label = "A";
  r.ckid = {0x01};
  r.flags = 0;
  m.objects.push_back(r);
  auto enc = encode_metadata(m);
  ASSERT_TRUE(enc.ok());
  // token record: flags(4) + failures(1) x2, then the object record.
  EXPECT_EQ(to_hex(*enc),
            "01000F"
            "020004" "00000000" "050001" "00" "060001" "00"
            "02001E"
            "010004" "7B5E0001" "020001" "01" "030001" "01" "050001" "41" "060001" "01" "070004" "00000000");
}

TEST(Metadata, EveryTruncationFailsOrYieldsAPrefixOfTheRecords) {
  auto enc = encode_metadata(sample());
  ASSERT_TRUE(enc.ok());
  size_t failures = 0;
  for (size_t n = 0; n < enc->size(); ++n) {
    auto dec = decode_metadata(ByteView(*enc).first(n));
    if (!dec.ok()) {
      EXPECT_EQ(dec.error().code, Errc::Malformed);
      ++failures;
      continue;
    }
    EXPECT_LE(dec->objects.size(), 3u) << n;
  }
  EXPECT_GT(failures, enc->size() - 6);  // only record boundaries decode
}

TEST(Metadata, EverySingleByteCorruptionIsHandled) {
  auto enc = encode_metadata(sample());
  ASSERT_TRUE(enc.ok());
  for (size_t i = 0; i < enc->size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      Bytes b = *enc;
      b[i] ^= x;
      auto dec = decode_metadata(b);  // must not crash; either error or some metadata
      if (!dec.ok()) {
        EXPECT_EQ(dec.error().code, Errc::Malformed);
      }
    }
  }
}

Bytes object_record(const Bytes& fields) {
  Bytes b{0x02};
  put_u16(b, static_cast<uint16_t>(fields.size()));
  append(b, fields);
  return b;
}

TEST(Metadata, RejectsEachKindOfBadRecord) {
  const Bytes id = hex("010004 7b5e0001"), st = hex("020001 01"), cls = hex("030001 01");
  auto expect_bad = [](const Bytes& body, const char* why) {
    auto dec = decode_metadata(body);
    ASSERT_FALSE(dec.ok()) << why;
    EXPECT_EQ(dec.error().code, Errc::Malformed) << why;
  };
  auto cat = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) append(out, p);
    return out;
  };
  ASSERT_TRUE(decode_metadata(object_record(cat({id, st, cls}))).ok());
  expect_bad(object_record(cat({st, cls})), "missing chip ID");
  expect_bad(object_record(cat({id, cls})), "missing state");
  expect_bad(object_record(cat({id, st})), "missing class");
  expect_bad(object_record(cat({id, id, st, cls})), "repeated field");
  expect_bad(object_record(cat({hex("010003 7b5e00"), st, cls})), "short chip ID");
  expect_bad(object_record(cat({hex("010004 00000000"), st, cls})), "chip ID 0");
  expect_bad(object_record(cat({id, hex("020001 03"), cls})), "unknown state");
  expect_bad(object_record(cat({id, st, hex("030001 04")})), "unknown class");
  expect_bad(object_record(cat({id, st, cls, hex("040001 07")})), "unknown key type");
  expect_bad(object_record(cat({id, st, cls, hex("050002 c328")})), "label not UTF-8");
  expect_bad(object_record(cat({id, st, cls, hex("050003 eda080")})), "label with a surrogate");
  expect_bad(object_record(cat({id, st, cls, hex("050002 c0af")})), "overlong UTF-8");
  Bytes long_label = hex("050100");
  long_label.resize(3 + 256, 'a');
  expect_bad(object_record(cat({id, st, cls, long_label})), "label over 255 bytes");
  expect_bad(object_record(cat({id, st, cls, hex("070002 0000")})), "short flags");
  expect_bad(object_record(cat({id, st, cls, hex("0600")})), "field header cut");
  expect_bad(cat({object_record(cat({id, st, cls})), object_record(cat({id, st, cls}))}), "duplicate chip ID");
  expect_bad(hex("01000002"), "record longer than the body");
  expect_bad(hex("010000 010000"), "two token records");
  expect_bad(hex("010004 030001 00"), "short PIN verifier");
  Bytes zero_iter = hex("010037 030034 00000000");
  zero_iter.resize(3 + 0x37, 0);
  expect_bad(zero_iter, "verifier with 0 iterations");
  Bytes long_token_label = hex("010024 010021");
  long_token_label.resize(3 + 0x24, 'a');
  expect_bad(long_token_label, "token label over 32 bytes");
}

TEST(Metadata, EncodeRefusesWhatCannotRoundTrip) {
  Metadata m = sample();
  m.objects[0].label.assign(256, 'x');
  EXPECT_EQ(encode_metadata(m).error().code, Errc::InvalidArgument);
  m = sample();
  m.objects[1].chip_id = m.objects[0].chip_id;
  EXPECT_EQ(encode_metadata(m).error().code, Errc::InvalidArgument);
  m = sample();
  m.objects[0].label = "\xFF";
  EXPECT_EQ(encode_metadata(m).error().code, Errc::InvalidArgument);
  m = sample();
  m.token.user_pin.salt.resize(3);
  EXPECT_EQ(encode_metadata(m).error().code, Errc::InvalidArgument);
  m = sample();
  m.unknown_records.push_back({0x02, {}});
  EXPECT_EQ(encode_metadata(m).error().code, Errc::InvalidArgument);
}

TEST(Metadata, Utf8Validator) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xE6\x97\xA5\xE6\x9C\xAC"));
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x94\x91"));
  EXPECT_FALSE(valid_utf8("\x80"));
  EXPECT_FALSE(valid_utf8("\xE6\x97"));
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE0\x80\x80"));      // overlong
}

}  // namespace
}  // namespace sx::token
