// UserID authentication objects: WriteUserID rules, VerifySessionUserID, the persistent
// attempt counter and lockout (docs/se05x-protocol.md §4.9.1, §4.9.4), NVM format upgrade.
#include <nlohmann/json.hpp>

#include <openssl/sha.h>

#include "sim/nvm_file.h"
#include "sim_session_util.h"
#include "support/temp_dir.h"

namespace sx::sim::test {
namespace {

namespace t = se05x::tag;
using sx::testing::TempDir;

TEST(SimUserId, ValueLengthAndMaxAttemptsAreChecked) {
  SessCard c;
  EXPECT_EQ(c.tx(write_user_id(kUserX, Bytes(3, '1'))).sw, 0x6A80);
  EXPECT_EQ(c.tx(write_user_id(kUserX, Bytes(17, '1'))).sw, 0x6A80);
  EXPECT_EQ(c.tx(write_user_id(kUserX, Bytes(4, '1'), 256)).sw, 0x6A80);
  // MAX_ATTEMPTS as one byte (Nitrokey's form) is refused: the simulator takes the MW's two bytes.
  Bytes one = TlvWriter().u8(t::kMaxAttempts, 3).u32(t::k1, kUserX).bytes(t::k2, Bytes(4, '1')).take();
  EXPECT_EQ(c.cmd(0x41, 0x07, 0x00, one).sw, 0x6A80);
  EXPECT_EQ(c.tx(write_user_id(kUserX, Bytes(4, '1'), 255)).sw, 0x9000);
  EXPECT_EQ(c.tx(write_user_id(kUserY, Bytes(16, '1'))).sw, 0x9000);
  EXPECT_EQ(c.attrs(kUserX).max, 255);
  EXPECT_EQ(c.attrs(kUserY).max, 0);  // unlimited
  // A UserID ID cannot be reused by another kind, nor another object's ID by a UserID.
  ASSERT_EQ(c.tx(gen_p256(kPinKey, {})).sw, 0x9000);
  EXPECT_EQ(c.tx(write_user_id(kPinKey, Bytes(4, '1'))).sw, 0x6A80);
  EXPECT_EQ(c.tx(gen_p256(kUserX, {})).sw, 0x6A80);
}

TEST(SimUserId, ValueIsNeverReadableButTheObjectIsListed) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x00, id_tlv(kUserX), se05x::LeMode::Extended).sw, 0x6985);  // ReadObject
  EXPECT_EQ(c.cmd(0x02, 0x00, 0x07, id_tlv(kUserX)).sw, 0x6985);                           // ReadSize
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x27, id_tlv(kUserX)).data, hex("41 01 01"));               // exists
  const Response l = c.cmd(0x02, 0x00, 0x25, hex("41 02 0000 42 01 0C"), se05x::LeMode::Extended);
  EXPECT_EQ(l.data, hex("41 01 01 42 04 7DA00001"));  // ReadIDList filtered by type UserID
  // In a verified session of the object itself too.
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x02, 0x00, 0x00, id_tlv(kUserX), true)).sw, 0x6985);
}

TEST(SimUserId, DefaultPolicyIsWriteDeleteForEverybody) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 3)).sw, 0x9000);
  EXPECT_EQ(c.attrs(kUserX).policy, entry(0, pol::kAllowWrite | pol::kAllowDelete));
  EXPECT_EQ(c.tx(write_user_id(kUserX, kPinY)).sw, 0x9000);  // WRITE without a session
  const Bytes sid = c.open(kUserX);
  EXPECT_EQ(c.verify(sid, kPinX), 0x6985);  // the old value is gone
  EXPECT_EQ(c.verify(sid, kPinY), 0x9000);
  EXPECT_EQ(c.close(sid), 0x9000);
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x28, id_tlv(kUserX)).sw, 0x9000);  // DELETE without a session
}

TEST(SimUserId, WrongValueCountsAndLocksCorrectValueResets) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 3)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  EXPECT_EQ(c.in(sid, hex("80 0F 00 00")).sw, 0x6985);  // unverified: even unknown commands
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.attrs(kUserX).attempts, 1);
  // The failed verify left the session open and unverified.
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
  EXPECT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.attrs(kUserX).attempts, 0);  // success resets
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000);
  // A failed re-verify in a verified session counts and leaves it verified.
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.attrs(kUserX).attempts, 1);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x9000);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  const auto a = c.attrs(kUserX);
  EXPECT_EQ(a.attempts, 3);
  EXPECT_EQ(a.max, 3);
  // Locked: refused without comparing, the counter no longer moves.
  EXPECT_EQ(c.verify(sid, kPinX), 0x6983);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6983);
  EXPECT_EQ(c.attrs(kUserX).attempts, 3);
  EXPECT_EQ(c.close(sid), 0x9000);
  const Bytes again = c.open(kUserX);  // CreateSession on a locked object still works
  ASSERT_EQ(c.last, 0x9000);
  EXPECT_EQ(c.verify(again, kPinX), 0x6983);
  EXPECT_EQ(c.close(again), 0x9000);
  // An update (WRITE, the default policy allows it) unlocks.
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  EXPECT_EQ(c.attrs(kUserX).attempts, 0);
  const Bytes s3 = c.open(kUserX);
  EXPECT_EQ(c.verify(s3, kPinX), 0x9000);
}

TEST(SimUserId, UnlimitedObjectNeverLocks) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.attrs(kUserX).attempts, 20);
  EXPECT_EQ(c.verify(sid, kPinX), 0x9000);
}

TEST(SimUserId, OptionsKeepCountOnSuccessAndLockedSw6985) {
  Config cfg;
  cfg.auth.keep_count_on_success = true;
  cfg.auth.locked_sw = 0x6985;
  SessCard c(cfg);
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 2)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.attrs(kUserX).attempts, 1);  // kept
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.verify(sid, kPinX), 0x6985);  // locked, answered 6985
  EXPECT_EQ(c.attrs(kUserX).attempts, 2);
}

TEST(SimUserId, UpdateNeedsWriteForTheSessionAndResetsTheCounter) {
  SessCard c;
  // [X: WRITE] [0: DELETE]: only a verified session of X may change the value.
  Bytes policy = entry(kUserX, pol::kAllowWrite);
  append(policy, entry(0, pol::kAllowDelete));
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 5, policy)).sw, 0x9000);
  EXPECT_EQ(c.tx(write_user_id(kUserX, kPinY)).sw, 0x6986);
  const Bytes sid = c.open(kUserX);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.in(sid, write_user_id(kUserX, kPinY)).sw, 0x6985);  // unverified session
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.verify(sid, kPinY), 0x6985);
  EXPECT_EQ(c.attrs(kUserX).attempts, 1);
  // A policy on an update is ignored (as on every write to an existing object); max replaced.
  EXPECT_EQ(c.in(sid, write_user_id(kUserX, kPinY, 7, entry(0, pol::kAllowWrite))).sw, 0x9000);
  const auto a = c.attrs(kUserX);
  EXPECT_EQ(a.attempts, 0);
  EXPECT_EQ(a.max, 7);
  EXPECT_EQ(a.policy, policy);
}

TEST(SimUserId, DeletingALockedUserIdNeedsDelete) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 1, entry(kUserX, pol::kAllowDelete))).sw, 0x9000);
  ASSERT_EQ(c.tx(write_user_id(kUserY, kPinY, 1)).sw, 0x9000);
  for (uint32_t id : {kUserX, kUserY}) {
    const Bytes sid = c.open(id);
    EXPECT_EQ(c.verify(sid, Bytes(4, 'x')), 0x6985);
    EXPECT_EQ(c.close(sid), 0x9000);
  }
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x28, id_tlv(kUserX)).sw, 0x6986);  // no DELETE for 0
  EXPECT_EQ(c.cmd(0x04, 0x00, 0x28, id_tlv(kUserY)).sw, 0x9000);  // default policy: DELETE
}

TEST(SimUserId, DeletingTheAuthObjectEndsItsSession) {
  SessCard c;
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX)).sw, 0x9000);
  const Bytes sid = c.open(kUserX);
  ASSERT_EQ(c.verify(sid, kPinX), 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x28, id_tlv(kUserX))).sw, 0x9000);
  EXPECT_EQ(c.in(sid, inner(0x04, 0x00, 0x20)).sw, 0x6985);
}

// Locked state and counter survive a simulator restart (NVM file); a power cut at the counter
// write gives no answer and leaves the old count; every answered failure is already on disk.
TEST(SimUserId, CounterIsPersistentAndPowerCutSafe) {
  TempDir dir;
  const Config cfg = make_cfg("SE050C", dir.file("se.nvm"));
  {
    SessCard c(cfg);
    ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 3)).sw, 0x9000);
    const Bytes sid = c.open(kUserX);
    ASSERT_EQ(c.verify(sid, kPinY), 0x6985);
    c.sim->faults().cut_at_write(1, CutMode::BeforeWrite);
    EXPECT_TRUE(c.raw(wrap(sid, inner(0x04, 0x00, 0x2C, TlvWriter().bytes(t::k1, kPinY).take()))).empty());
    EXPECT_FALSE(c.sim->powered());
  }
  {
    SessCard s(cfg, false);  // a fresh process: sessions gone, the counter is what reached the NVM
    EXPECT_EQ(s.attrs(kUserX).attempts, 1);
    const Bytes sid = s.open(kUserX);
    EXPECT_EQ(s.verify(sid, kPinY), 0x6985);
    EXPECT_EQ(s.verify(sid, kPinY), 0x6985);
    EXPECT_EQ(s.verify(sid, kPinX), 0x6983);
  }
  SessCard s(cfg, false);
  EXPECT_EQ(s.attrs(kUserX).attempts, 3);
  const Bytes sid = s.open(kUserX);
  EXPECT_EQ(s.verify(sid, kPinX), 0x6983);  // still locked after the restart
}

// Builds an NVM image in the version-1 layout (no authentication fields), as the previous
// simulator wrote it, from a current image of the same store.
Bytes as_version_1(ByteView current) {
  auto j = nlohmann::json::parse(current.begin() + 48, current.end());
  for (auto& o : j.at("objects"))
    for (const char* field : {"auth", "max_attempts", "attempts"}) o.erase(field);
  const std::string payload = j.dump();
  Bytes out(current.begin(), current.begin() + 8);
  put_u32(out, 1);
  put_u32(out, static_cast<uint32_t>(payload.size()));
  uint8_t d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), d);
  out.insert(out.end(), d, d + sizeof d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(SimUserId, NvmVersion1ImagesStillLoad) {
  TempDir dir;
  const std::string path = dir.file("se.nvm");
  Bytes pub;
  {
    SessCard c(make_cfg("SE050C", path));
    ASSERT_EQ(c.tx(gen_p256(kPinKey, {})).sw, 0x9000);
    pub = value(c.cmd(0x02, 0x00, 0x00, id_tlv(kPinKey), se05x::LeMode::Extended));
  }
  auto cur = read_whole_file(path);
  ASSERT_TRUE(cur.ok() && *cur);
  EXPECT_EQ(get_u32(**cur, 8), kNvmFormatVersion);
  const Bytes old = as_version_1(**cur);
  ASSERT_EQ(std::string(old.begin() + 48, old.end()).find("attempts"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(path, old, false).ok());
  SessCard c(make_cfg("SE050C", path), false);
  EXPECT_EQ(value(c.cmd(0x02, 0x00, 0x00, id_tlv(kPinKey), se05x::LeMode::Extended)), pub);
  // and the next write stores the current version, UserID fields included
  ASSERT_EQ(c.tx(write_user_id(kUserX, kPinX, 4)).sw, 0x9000);
  auto now = read_whole_file(path);
  ASSERT_TRUE(now.ok() && *now);
  EXPECT_EQ(get_u32(**now, 8), kNvmFormatVersion);
  auto store = deserialize_store(**now, "SE050C");
  ASSERT_TRUE(store.ok());
  const SecureObject& u = store->objects.at(kUserX);
  EXPECT_EQ(u.auth, AuthKind::UserId);
  EXPECT_EQ(u.max_attempts, 4);
  EXPECT_EQ(u.data, kPinX);
}

}  // namespace
}  // namespace sx::sim::test
