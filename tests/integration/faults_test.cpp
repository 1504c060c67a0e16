// The host stack recovers from a misbehaving link and the simulator's NVM
// survives power cuts (in-process rig: the card side's faults are injectable).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <filesystem>

#include "integration/rig.h"
#include "support/ossl_check.h"
#include "se05x/client.h"
#include "se05x/public_key.h"

namespace sx::testing {
namespace {

using se05x::Client;
using se05x::Curve;

std::unique_ptr<InProcessRig> start_rig() {
  auto r = std::make_unique<InProcessRig>("SE050C");
  auto s = r->start();
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return r;
}

TEST(Faults, ThousandSignaturesThroughCorruptedFramesAndNackBursts) {
  auto rig = start_rig();
  Client chip(rig->channel());
  ASSERT_TRUE(chip.select().ok());
  ASSERT_TRUE(chip.ensure_curve(Curve::NistP256).ok());
  const uint32_t id = 0x32000001;
  ASSERT_TRUE(chip.generate_ec_key(id, Curve::NistP256).ok());
  auto pub = se05x::read_public_key(chip, id);
  ASSERT_TRUE(pub.ok());

  t1::CardFaults f;
  f.seed = 20261125;
  f.corrupt_tx = 0.01;
  f.corrupt_rx = 0.01;
  f.nack_every = 97;
  f.nack_burst = 4;
  rig->card().set_faults(f);

  int verified = 0;
  for (int i = 0; i < 1000; ++i) {
    Bytes msg = random_bytes(48);
    auto sig = chip.ecdsa_sign(id, digest(EVP_sha256(), msg));
    ASSERT_TRUE(sig.ok()) << "signature " << i << ": " << sig.error().to_string();
    auto ok = se05x::verify_message(pub->get(), EVP_sha256(), msg, *sig);
    ASSERT_TRUE(ok.ok() && *ok) << "signature " << i << " does not verify";
    ++verified;
  }
  EXPECT_EQ(verified, 1000);
  const auto& hs = rig->host().stats();
  const auto cs = rig->card().stats();
  // The faults really happened: corrupted frames were seen and NACKs absorbed.
  EXPECT_GT(hs.crc_errors, 0u);
  EXPECT_GT(cs.crc_errors, 0u);
  EXPECT_GT(cs.nacks, 0u);
  EXPECT_GT(hs.retransmissions + hs.rnacks_sent, 0u);
}

TEST(Faults, ChipResetInTheMiddleOfAnApduIsRecovered) {
  auto rig = start_rig();
  Client chip(rig->channel());
  ASSERT_TRUE(chip.select().ok());
  const uint32_t id = 0x32000002;
  Bytes data = random_bytes(700);  // three T=1 blocks per chunk: the reset lands inside a chain
  t1::CardFaults f;
  f.reset_mid_apdu = true;
  rig->card().set_faults(f);
  auto s = chip.create_binary(id, data);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_GE(rig->card().stats().chip_resets, 1u) << "the reset was injected";
  auto r = chip.read_binary(id);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, data);
}

// A cut at every NVM write of an update leaves each WriteBinary APDU's range
// wholly old or wholly new: the chip applies one APDU atomically.
TEST(Faults, PowerCutAtEveryNvmWriteOfAWriteBinary) {
  const uint32_t id = 0x32000003;
  const Bytes old_data = random_bytes(1400);  // three 500-byte chunks
  const Bytes new_data = random_bytes(1400);
  TempDir golden;
  {
    auto rig = start_rig();
    Client chip(rig->channel());
    ASSERT_TRUE(chip.select().ok());
    ASSERT_TRUE(chip.create_binary(id, old_data).ok());
    std::filesystem::copy_file(rig->nvm_path(), golden.file("nvm"));
  }
  bool completed = false;
  for (uint64_t n = 1; n < 20 && !completed; ++n) {
    SCOPED_TRACE("cut at write " + std::to_string(n));
    sim::Config cfg;
    TempDir dir;
    cfg.nvm_path = dir.file("nvm");
    cfg.fsync = false;
    std::filesystem::copy_file(golden.file("nvm"), cfg.nvm_path);
    auto sim = sim::Simulator::open(cfg);
    ASSERT_TRUE(sim.ok());
    (*sim)->faults().cut_at_write(n, sim::CutMode::BeforeWrite);
    t1::Card card([&](ByteView c) { return (*sim)->process(c); }, [&] { (*sim)->chip_reset(); },
                  t1::CardConfig{(*sim)->atr()});
    t1::Host host(card, t1::HostTiming::immediate());
    ASSERT_TRUE(host.open().ok());
    Client chip(host);
    ASSERT_TRUE(chip.select().ok());
    completed = chip.update_binary(id, new_data).ok();
    EXPECT_EQ(completed, (*sim)->powered());

    // Power back: a fresh simulator from the NVM file.
    auto again = sim::Simulator::open(cfg);
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    t1::Card card2([&](ByteView c) { return (*again)->process(c); }, {}, t1::CardConfig{(*again)->atr()});
    t1::Host host2(card2, t1::HostTiming::immediate());
    ASSERT_TRUE(host2.open().ok());
    Client chip2(host2);
    ASSERT_TRUE(chip2.select().ok());
    auto r = chip2.read_binary(id);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    ASSERT_EQ(r->size(), old_data.size());
    // Chunk by chunk: new up to the cut, old after it, never a mixture inside a chunk.
    bool seen_old = false;
    for (size_t off = 0; off < r->size(); off += 500) {
      const size_t len = std::min<size_t>(500, r->size() - off);
      const bool is_new = std::equal(r->begin() + off, r->begin() + off + len, new_data.begin() + off);
      const bool is_old = std::equal(r->begin() + off, r->begin() + off + len, old_data.begin() + off);
      ASSERT_TRUE(is_new || is_old) << "chunk at " << off << " is torn";
      if (is_old) seen_old = true;
      if (is_new) {
        EXPECT_FALSE(seen_old) << "a later chunk was written before an earlier one";
      }
    }
    if (completed) {
      EXPECT_EQ(*r, new_data);
    } else {
      EXPECT_NE(*r, new_data);
    }
  }
  EXPECT_TRUE(completed) << "the update never completed without a cut";
}

// With the torn-write mode a cut write persists only a prefix of its chunk:
// what the token layer's metadata design must survive (design constraint 1).
TEST(Faults, TornWriteLeavesAPrefixOfTheChunk) {
  const uint32_t id = 0x32000004;
  const Bytes old_data(400, 0x11), new_data(400, 0x22);
  TempDir dir;
  sim::Config cfg;
  cfg.nvm_path = dir.file("nvm");
  cfg.fsync = false;
  {
    auto sim = sim::Simulator::open(cfg);
    ASSERT_TRUE(sim.ok());
    t1::Card card([&](ByteView c) { return (*sim)->process(c); }, {}, t1::CardConfig{(*sim)->atr()});
    t1::Host host(card, t1::HostTiming::immediate());
    ASSERT_TRUE(host.open().ok());
    Client chip(host);
    ASSERT_TRUE(chip.select().ok());
    ASSERT_TRUE(chip.create_binary(id, old_data).ok());
    (*sim)->faults().cut_at_write(1, sim::CutMode::TornWrite);
    EXPECT_FALSE(chip.update_binary(id, new_data).ok());
    EXPECT_FALSE((*sim)->powered());
  }
  auto sim = sim::Simulator::open(cfg);
  ASSERT_TRUE(sim.ok());
  t1::Card card([&](ByteView c) { return (*sim)->process(c); }, {}, t1::CardConfig{(*sim)->atr()});
  t1::Host host(card, t1::HostTiming::immediate());
  ASSERT_TRUE(host.open().ok());
  Client chip(host);
  ASSERT_TRUE(chip.select().ok());
  auto r = chip.read_binary(id);
  ASSERT_TRUE(r.ok());
  size_t prefix = 0;
  while (prefix < r->size() && (*r)[prefix] == 0x22) ++prefix;
  EXPECT_GT(prefix, 0u);
  EXPECT_LT(prefix, r->size());
  for (size_t i = prefix; i < r->size(); ++i) ASSERT_EQ((*r)[i], 0x11);
}

}  // namespace
}  // namespace sx::testing
