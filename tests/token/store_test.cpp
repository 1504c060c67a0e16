#include <gtest/gtest.h>

#include "se05x/client.h"
#include "token/store.h"
#include "token_test_util.h"

namespace sx::token {
namespace {

using test::Chip;
using sx::testing::TempDir;

Metadata with_label(const std::string& label, size_t objects = 0, size_t label_len = 8) {
  Metadata m;
  m.token.label = label;
  for (size_t i = 0; i < objects; ++i) {
    ObjectRecord r;
    r.chip_id = 0x7B5E0001 + static_cast<uint32_t>(i);
    r.cls = ObjectClass::Certificate;
    r.label.assign(label_len, static_cast<char>('a' + i % 26));
    m.objects.push_back(r);
  }
  return m;
}

struct StoreTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Chip> chip = Chip::fresh(dir);
  se05x::Client client{*chip->ch};
  void SetUp() override { ASSERT_TRUE(client.select().ok()); }

  Metadata load_fresh(StoreState expect_state) {
    MetadataStore s(client);
    auto st = s.load(true);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(s.state(), expect_state) << store_state_name(s.state()) << " " << s.problem();
    return s.metadata();
  }
};

TEST_F(StoreTest, EmptyChipLoadsEmptyAndCheapCheckIsOneApdu) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  EXPECT_EQ(s.state(), StoreState::Empty);
  EXPECT_EQ(s.generation(), 0u);
  chip->ch->apdus = 0;
  auto cur = s.is_current();
  ASSERT_TRUE(cur.ok());
  EXPECT_TRUE(*cur);
  EXPECT_EQ(chip->ch->apdus, 1);
}

TEST_F(StoreTest, CommitsAlternateSlotsAndAFreshLoadSeesTheLast) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  for (int i = 1; i <= 4; ++i) {
    ASSERT_TRUE(s.commit(with_label("gen" + std::to_string(i), static_cast<size_t>(i))).ok());
    EXPECT_EQ(s.generation(), static_cast<uint32_t>(i));
    EXPECT_EQ(load_fresh(StoreState::Loaded), with_label("gen" + std::to_string(i), static_cast<size_t>(i)));
  }
  // Both slots exist; generation 4 sits in slot B (1, 3 in A; 2, 4 in B).
  auto a = client.read_object_part(ids::kSlotA, 8, 4);
  auto b = client.read_object_part(ids::kSlotB, 8, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(get_u32(*a), 3u);
  EXPECT_EQ(get_u32(*b), 4u);
}

TEST_F(StoreTest, AnotherWriterIsSeenByTheCheapCheck) {
  MetadataStore reader(client), writer(client);
  ASSERT_TRUE(reader.load(true).ok());
  ASSERT_TRUE(writer.load(true).ok());
  ASSERT_TRUE(writer.commit(with_label("x")).ok());
  chip->ch->apdus = 0;
  auto cur = reader.is_current();
  ASSERT_TRUE(cur.ok());
  EXPECT_FALSE(*cur);
  EXPECT_EQ(chip->ch->apdus, 1);
  ASSERT_TRUE(reader.load(true).ok());
  EXPECT_EQ(reader.metadata().token.label, "x");
  EXPECT_TRUE(*reader.is_current());
}

TEST_F(StoreTest, GrowingImageRecreatesTheOlderSlotOnly) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  ASSERT_TRUE(s.commit(with_label("small", 1)).ok());
  ASSERT_TRUE(s.commit(with_label("small2", 1)).ok());
  auto before = client.read_size(ids::kSlotA);
  ASSERT_TRUE(before.ok());
  const Metadata big = with_label("big", 40, 200);  // ~9 KiB
  ASSERT_TRUE(s.commit(big).ok());
  auto after = client.read_size(ids::kSlotA);
  ASSERT_TRUE(after.ok());
  EXPECT_GT(*after, *before);
  EXPECT_EQ(load_fresh(StoreState::Loaded), big);
  ASSERT_TRUE(s.commit(with_label("small3", 1)).ok());  // fits in B as it is
  EXPECT_EQ(load_fresh(StoreState::Loaded), with_label("small3", 1));
}

TEST_F(StoreTest, CorruptNewestSlotFallsBackAndPointerIsRepaired) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  ASSERT_TRUE(s.commit(with_label("one")).ok());  // slot A, gen 1
  ASSERT_TRUE(s.commit(with_label("two")).ok());  // slot B, gen 2
  ASSERT_TRUE(client.update_binary(ids::kSlotB, hex("FFFF"), 40).ok());  // flip body bytes
  MetadataStore r(client);
  ASSERT_TRUE(r.load(true).ok());
  EXPECT_EQ(r.state(), StoreState::Loaded);
  EXPECT_EQ(r.metadata().token.label, "one");
  EXPECT_NE(r.problem().find("checksum"), std::string::npos) << r.problem();
  auto ptr = client.read_object_part(ids::kPointer, 0, kHeadHeaderLen);
  ASSERT_TRUE(ptr.ok());
  auto p = parse_head_header(*ptr);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->generation, 1u);
  EXPECT_EQ(p->slot, 0);
  // The next commit goes to the broken slot with a generation above everything seen.
  ASSERT_TRUE(r.commit(with_label("three")).ok());
  EXPECT_EQ(r.generation(), 3u);
  EXPECT_EQ(load_fresh(StoreState::Loaded).token.label, "three");
}

TEST_F(StoreTest, BothSlotsCorruptMeansNoMetadataButWritable) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  ASSERT_TRUE(s.commit(with_label("one")).ok());
  ASSERT_TRUE(s.commit(with_label("two")).ok());
  ASSERT_TRUE(client.update_binary(ids::kSlotA, hex("00"), 0).ok());
  ASSERT_TRUE(client.update_binary(ids::kSlotB, hex("00"), 0).ok());
  MetadataStore r(client);
  ASSERT_TRUE(r.load(true).ok());
  EXPECT_EQ(r.state(), StoreState::Corrupt);
  EXPECT_TRUE(r.metadata().objects.empty());
  ASSERT_TRUE(r.commit(with_label("fresh")).ok());
  EXPECT_EQ(load_fresh(StoreState::Loaded).token.label, "fresh");
}

TEST_F(StoreTest, NewerFormatIsNeverOverwritten) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  ASSERT_TRUE(s.commit(with_label("one")).ok());
  ASSERT_TRUE(client.update_binary(ids::kSlotA, hex("02"), 4).ok());  // format byte
  MetadataStore r(client);
  ASSERT_TRUE(r.load(true).ok());
  EXPECT_EQ(r.state(), StoreState::Newer);
  auto st = r.commit(with_label("mine"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::Unsupported);
  auto fmt = client.read_object_part(ids::kSlotA, 4, 1);
  ASSERT_TRUE(fmt.ok());
  EXPECT_EQ((*fmt)[0], 2);
}

TEST_F(StoreTest, TornPointerIsIgnoredAndRepaired) {
  MetadataStore s(client);
  ASSERT_TRUE(s.load(true).ok());
  ASSERT_TRUE(s.commit(with_label("one")).ok());
  ASSERT_TRUE(client.update_binary(ids::kPointer, Bytes(8, 0), 8).ok());
  auto cur = s.is_current();
  ASSERT_TRUE(cur.ok());
  EXPECT_FALSE(*cur);
  MetadataStore r(client);
  ASSERT_TRUE(r.load(true).ok());
  EXPECT_EQ(r.metadata().token.label, "one");
  auto ptr = client.read_object_part(ids::kPointer, 0, kHeadHeaderLen);
  ASSERT_TRUE(ptr.ok());
  EXPECT_TRUE(parse_head_header(*ptr).ok());
}

TEST_F(StoreTest, ForeignObjectAtASlotIdIsTreatedAsInvalid) {
  ASSERT_TRUE(client.create_binary(ids::kSlotA, hex("0102030405")).ok());
  MetadataStore r(client);
  ASSERT_TRUE(r.load(true).ok());
  EXPECT_EQ(r.state(), StoreState::Corrupt);
  ASSERT_TRUE(r.commit(with_label("mine")).ok());  // replaces the too-small file
  EXPECT_EQ(load_fresh(StoreState::Loaded).token.label, "mine");
}

}  // namespace
}  // namespace sx::token
