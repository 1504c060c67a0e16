// The PlatformSCP03 key file (docs/scp03.md §10) and the rotation journal
// beside it (§11): NXP's format, refusals that never quote a key, the
// permissions check, atomic writes, and settling after a cut at any step.
#include "device/scp03_key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "support/temp_dir.h"

namespace sx::device {
namespace {

using se05x::scp03::StaticKeys;

// NXP's sample file (its access manager documentation), byte for byte.
constexpr const char* kNxpSample =
    "# This is a test file. DO NOT USE THIS FILE IN PRODUCT DEPLOYMENT\n"
    "ENC EE112233445566778899AABBCCDDEEFF\n"
    "MAC AA112233445566778899AABBCCDDEEFF\n"
    "DEK DD112233445566778899AABBCCDDEEFF\n"
    "# Closing line\n";

StaticKeys keys_of(uint8_t seed, size_t len = 16) {
  Bytes e(len), m(len), d(len);
  for (size_t i = 0; i < len; ++i) {
    e[i] = static_cast<uint8_t>(seed + i);
    m[i] = static_cast<uint8_t>(seed + 0x40 + i);
    d[i] = static_cast<uint8_t>(seed + 0x80 + i);
  }
  return StaticKeys(e, m, d);
}

// An error message must not carry key material: none of the hex of the file.
void expect_no_key_bytes(const std::string& message, const std::string& text) {
  for (const char* k : {"EE1122", "AA1122", "DD1122", "112233445566", "ccddeeff", "CCDDEEFF", "0011"})
    if (text.find(k) != std::string::npos) {
      EXPECT_EQ(message.find(k), std::string::npos) << message;
    }
}

Error parse_error(const std::string& text) {
  auto r = parse_key_file(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return {};
  expect_no_key_bytes(r.error().message, text);
  return r.error();
}

TEST(Scp03KeyFile, NxpSampleParses) {
  auto k = parse_key_file(kNxpSample);
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_EQ(k->enc, hex("EE112233445566778899AABBCCDDEEFF"));
  EXPECT_EQ(k->mac, hex("AA112233445566778899AABBCCDDEEFF"));
  EXPECT_EQ(k->dek, hex("DD112233445566778899AABBCCDDEEFF"));
}

TEST(Scp03KeyFile, BlankLinesTrailingCommentsAndAes256) {
  const std::string k32(64, 'a');
  auto k = parse_key_file("\n  \t\nENC " + k32 + "   # trailing comment\r\n\nMAC\t" + k32 + "\n  DEK " + k32);
  ASSERT_TRUE(k.ok()) << k.error().to_string();
  EXPECT_EQ(k->enc.size(), 32u);
  EXPECT_EQ(k->dek, Bytes(32, 0xAA));
}

TEST(Scp03KeyFile, FormatRoundTripsWithoutBlankLines) {
  const auto keys = keys_of(0x10, 32);
  const std::string text = format_key_file(keys, "first line\nsecond line");
  EXPECT_EQ(text.find("\n\n"), std::string::npos);
  EXPECT_EQ(text.rfind("# first line\n# second line\nENC ", 0), 0u) << text;
  auto back = parse_key_file(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, keys);
}

TEST(Scp03KeyFile, RefusalsNameTheLineNeverTheKey) {
  const std::string enc = "ENC EE112233445566778899AABBCCDDEEFF\n";
  const std::string mac = "MAC AA112233445566778899AABBCCDDEEFF\n";
  const std::string dek = "DEK DD112233445566778899AABBCCDDEEFF\n";
  auto dup = parse_error(enc + mac + "MAC AA112233445566778899AABBCCDDEE00\n" + dek);
  EXPECT_NE(dup.message.find("line 3"), std::string::npos) << dup.message;
  EXPECT_NE(dup.message.find("second MAC"), std::string::npos) << dup.message;
  auto missing = parse_error(enc + dek);
  EXPECT_NE(missing.message.find("no MAC"), std::string::npos) << missing.message;
  auto mixed = parse_error(enc + mac + "DEK " + std::string(64, 'D') + "\n");
  EXPECT_NE(mixed.message.find("all be 16"), std::string::npos) << mixed.message;
  auto bad_hex = parse_error(enc + "MAC AA112233445566778899AABBCCDDEEFG\n" + dek);
  EXPECT_NE(bad_hex.message.find("line 2"), std::string::npos) << bad_hex.message;
  auto spaced = parse_error(enc + "MAC AA1122334455667788 99AABBCCDDEEFF\n" + dek);
  EXPECT_NE(spaced.message.find("contiguous"), std::string::npos) << spaced.message;
  auto odd = parse_error(enc + "MAC AA112233445566778899AABBCCDDEEF\n" + dek);
  EXPECT_NE(odd.message.find("odd"), std::string::npos) << odd.message;
  auto short_key = parse_error(enc + "MAC AA1122334455667788\n" + dek);
  EXPECT_NE(short_key.message.find("9 bytes"), std::string::npos) << short_key.message;
  // A line of bare hex (a keyword forgotten) must not be echoed either.
  auto bare = parse_error(enc + "AA112233445566778899AABBCCDDEEFF\n" + dek);
  EXPECT_NE(bare.message.find("expected ENC, MAC or DEK"), std::string::npos) << bare.message;
  auto lower_kw = parse_error("enc EE112233445566778899AABBCCDDEEFF\n" + mac + dek);
  EXPECT_NE(lower_kw.message.find("line 1"), std::string::npos);
  for (const auto* e : {&dup, &missing, &mixed, &bad_hex, &spaced, &odd, &short_key, &bare, &lower_kw})
    EXPECT_EQ(e->code, Errc::InvalidArgument);
}

TEST(Scp03KeyFile, WriteIsPrivateAndReadsBack) {
  testing::TempDir dir;
  const std::string path = dir.file("scp03.keys");
  const auto keys = keys_of(0x20);
  ::umask(0);  // the file must still be 0600
  auto st = write_key_file(path, keys, "test");
  ::umask(022);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  struct stat sb{};
  ASSERT_EQ(::stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0600u);
  auto back = read_key_file(path);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, keys);
  // No temporary file left beside it.
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  EXPECT_EQ(n, 1u);
  // Refused before anything is written: mixed lengths.
  EXPECT_FALSE(write_key_file(dir.file("bad"), StaticKeys(Bytes(16), Bytes(32), Bytes(16))).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.file("bad")));
}

TEST(Scp03KeyFile, GroupOrOthersReadableFileIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.write("k", kNxpSample);
  for (mode_t mode : {0640, 0604, 0620, 0602}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto r = read_key_file(path);
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code, Errc::AccessDenied);
    EXPECT_NE(r.error().message.find("group or others"), std::string::npos) << r.error().message;
    expect_no_key_bytes(r.error().message, kNxpSample);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(read_key_file(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(read_key_file(path).ok());
}

TEST(Scp03KeyFile, NotARegularFileOrMissing) {
  testing::TempDir dir;
  auto missing = read_key_file(dir.file("none"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::NotFound);
  auto directory = read_key_file(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, Errc::InvalidArgument);
  const std::string real = dir.write("real", kNxpSample);
  ASSERT_EQ(::chmod(real.c_str(), 0600), 0);
  std::filesystem::create_symlink(real, dir.file("link"));
  auto link = read_key_file(dir.file("link"));
  ASSERT_FALSE(link.ok());
  EXPECT_NE(link.error().message.find("symbolic link"), std::string::npos);
  // A malformed file's error names the file and the line.
  const std::string bad = dir.write("bad", "ENC 00\n");
  ASSERT_EQ(::chmod(bad.c_str(), 0600), 0);
  auto r = read_key_file(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(bad), std::string::npos);
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
}

// A rotation journal: current file, and optionally a pending .next.
struct Journal {
  testing::TempDir dir;
  std::string path = dir.file("scp03.keys");
  StaticKeys old_keys = keys_of(0x01), new_keys = keys_of(0x51);

  void current() { ASSERT_TRUE(write_key_file(path, old_keys).ok()); }
  void pending() { ASSERT_TRUE(write_key_file(path + ".next", new_keys).ok()); }
  bool has(const std::string& suffix) const { return std::filesystem::exists(path + suffix); }
  StaticKeys keys(const std::string& suffix) const {
    auto r = read_key_file(path + suffix);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : StaticKeys{};
  }
};

TEST(Scp03KeyFile, CandidatesCurrentFirstThenPending) {
  Journal j;
  auto none = key_candidates(j.path);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::NotFound);
  j.current();
  auto one = key_candidates(j.path);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_FALSE((*one)[0].pending);
  j.pending();
  auto two = key_candidates(j.path);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].keys, j.old_keys);
  EXPECT_EQ((*two)[0].path, j.path);
  EXPECT_EQ((*two)[1].keys, j.new_keys);
  EXPECT_EQ((*two)[1].path, j.path + ".next");
  EXPECT_TRUE((*two)[1].pending);
  // A readable-by-others .next is an error, not skipped: the chip may hold those keys.
  ASSERT_EQ(::chmod((j.path + ".next").c_str(), 0644), 0);
  auto bad = key_candidates(j.path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::AccessDenied);
}

TEST(Scp03KeyFile, SettlePromotesPendingKeepsPrevAndIsIdempotent) {
  Journal j;
  j.current();
  j.pending();
  auto c = key_candidates(j.path);
  ASSERT_TRUE(c.ok());
  const KeyCandidate used = (*c)[1];
  ASSERT_TRUE(settle_key_file(j.path, used).ok());
  EXPECT_EQ(j.keys(""), j.new_keys);
  EXPECT_EQ(j.keys(".prev"), j.old_keys);
  EXPECT_FALSE(j.has(".next"));
  ASSERT_TRUE(settle_key_file(j.path, used).ok());
  EXPECT_EQ(j.keys(""), j.new_keys);
  EXPECT_EQ(j.keys(".prev"), j.old_keys);
}

TEST(Scp03KeyFile, SettleRollsBackWhenCurrentKeysStillWork) {
  Journal j;
  j.current();
  j.pending();
  auto c = key_candidates(j.path);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(settle_key_file(j.path, (*c)[0]).ok());
  EXPECT_EQ(j.keys(""), j.old_keys);
  EXPECT_FALSE(j.has(".next"));
  EXPECT_FALSE(j.has(".prev"));
  ASSERT_TRUE(settle_key_file(j.path, (*c)[0]).ok());
  EXPECT_EQ(j.keys(""), j.old_keys);

  // A rotation started from published keys (no key file) that never reached
  // the chip: those keys opened the channel, the .next goes, no file appears.
  Journal d;
  d.pending();
  const KeyCandidate published{keys_of(0x99), "", false};
  ASSERT_TRUE(settle_key_file(d.path, published).ok());
  EXPECT_FALSE(d.has(""));
  EXPECT_FALSE(d.has(".next"));
}

TEST(Scp03KeyFile, SettleFinishesAfterACutBetweenItsSteps) {
  // Rotation from the published keys: no current file, only the .next.
  Journal j;
  j.pending();
  auto c = key_candidates(j.path);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->size(), 1u);
  ASSERT_TRUE(settle_key_file(j.path, (*c)[0]).ok());
  EXPECT_EQ(j.keys(""), j.new_keys);
  EXPECT_FALSE(j.has(".prev"));
  EXPECT_FALSE(j.has(".next"));

  // Cut after the new file became current but before the .next went away.
  Journal k;
  k.current();
  k.pending();
  const KeyCandidate used{k.new_keys, k.path + ".next", true};
  ASSERT_TRUE(write_key_file(k.path, k.new_keys).ok());
  ASSERT_TRUE(settle_key_file(k.path, used).ok());
  EXPECT_EQ(k.keys(""), k.new_keys);
  EXPECT_FALSE(k.has(".next"));

  // The .next lost while the chip took its keys: the keys that worked are kept.
  Journal m;
  m.current();
  ASSERT_TRUE(settle_key_file(m.path, KeyCandidate{m.new_keys, m.path + ".next", true}).ok());
  EXPECT_EQ(m.keys(""), m.new_keys);
  EXPECT_EQ(m.keys(".prev"), m.old_keys);
}

}  // namespace
}  // namespace sx::device
