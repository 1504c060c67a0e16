// The power-loss-safe metadata store on the chip: two fixed-capacity slot
// files holding whole images and the head -- the generation pointer with the
// object index (token/index.h) -- written after a slot (docs/token-store.md). The caller holds the chip (ChipLock) around
// load() and commit(); is_current() is a single APDU and needs no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/result.h"
#include "se05x/client.h"
#include "token/id_range.h"
#include "token/index.h"
#include "token/metadata.h"
#include "token/store_format.h"

namespace sx::token {

struct StoreIds {
  uint32_t slot[2] = {ids::kSlotA, ids::kSlotB};
  uint32_t pointer = ids::kPointer;  // the head (docs/token-store.md §2.2)
  uint32_t tail = ids::kIndexTail;
};

enum class StoreState {
  Empty,    // no slot object exists: a chip this module never wrote
  Loaded,   // a valid image was found
  Corrupt,  // slots exist, none is valid: metadata is treated as absent
  Newer,    // a slot carries a newer format: read as absent, never overwritten
};

const char* store_state_name(StoreState s);

class MetadataStore {
 public:
  explicit MetadataStore(se05x::Client& c, StoreIds ids = {}) : c_(c), ids_(ids) {}

  // Reads both slots and takes the highest valid generation. When the head
  // does not name it (a writer was cut between slot and head, or the head is
  // torn) or does not carry the index the rule makes of it, and repair_pointer,
  // rewrites the head so that every process's cheap check and cold open see the
  // same generation.
  Status load(bool repair_pointer);
  // The cold open (docs/token-store.md §2.4): one ReadObject of the head (plus the
  // tail of a long index, plus the named slot when the index does not carry every
  // field). nullopt when the head cannot stand for the token (missing, format 1,
  // torn, stale): the caller falls back to load(). After success the metadata is
  // exact but the store is "light": commit() needs a load() first.
  Result<std::optional<IndexImage>> load_head();
  // One ReadObject of the head's first 32 bytes: true when nothing was committed
  // since load/commit.
  Result<bool> is_current();
  // How commit() treats the files it writes (the upgrade from host PINs,
  // docs/chip-pin.md §5; every other commit uses the defaults).
  struct CommitMode {
    // The pointer and the target slot are deleted and created again, so that they
    // get the policy of `next` (a policy is only given at creation). Safe as any
    // commit: the other slot is not touched, a missing pointer is repaired by the
    // next load.
    bool recreate = false;
    // A file this commit creates gets no policy whatever `next` is: a slot torn
    // while being created must stay writable for the image in the other slot.
    bool without_policy = false;
  };
  // Writes `next` into the slot not holding the current image, then the index's
  // tail (when it has one) and the head.
  // After an error the store must be load()ed again.
  Status commit(const Metadata& next, CommitMode mode);
  Status commit(const Metadata& next) { return commit(next, CommitMode{}); }

  // The policy the slots and the pointer get when commit() creates them (chip-PIN
  // tokens, docs/chip-pin.md §2); empty: the chip's default.
  void set_creation_policy(Bytes policy) { policy_ = std::move(policy); }
  // The same per image: the policy for the metadata being written, or (a pointer
  // repaired by load()) the metadata just loaded. Takes precedence when set.
  void set_policy_rule(std::function<Bytes(const Metadata&)> rule) { rule_ = std::move(rule); }
  // The encoded object index (token/index.h) for an image of `slot_len` bytes; the
  // head carries it. Without a rule (or an empty answer) the head carries none.
  void set_index_rule(std::function<Result<Bytes>(const Metadata&, size_t slot_len)> rule) {
    index_rule_ = std::move(rule);
  }

  bool loaded() const { return loaded_; }
  // Loaded by load_head(): exact metadata, but the slots were not looked at.
  bool light() const { return light_; }
  StoreState state() const { return state_; }
  const Metadata& metadata() const { return md_; }
  uint32_t generation() const { return gen_; }
  // What load() found wrong (empty when all is well): for diagnostics.
  const std::string& problem() const { return problem_; }

 private:
  struct Slot {
    bool exists = false;
    size_t size = 0;
  };
  // A slot whose header parsed, with the bytes read so far.
  struct Candidate {
    int slot;
    SlotHeader header;
    Bytes head;
  };
  struct SlotScan {
    std::vector<Candidate> newest_first;
    bool newer_format = false;
    bool any_slot = false;
  };
  Result<SlotScan> scan_slots();
  // Loads the newest slot that verifies; false when none does.
  Result<bool> adopt_newest(std::vector<Candidate>& cands);
  struct HeadRead {
    std::optional<HeadHeader> header;  // a format-2 head whose header checks out
    Bytes raw;                         // the whole file as read
  };
  Result<HeadRead> read_head();
  // Writes the head when it does not carry the index the rule makes of the image.
  Status repair_head(bool repair);
  // The index the head carries (head part, then the tail's); nullopt when unreadable or stale.
  Result<std::optional<Bytes>> read_index(const HeadHeader& h, ByteView head);
  Result<std::optional<Bytes>> read_small(uint32_t id, size_t max, size_t* file_size);
  Result<Bytes> read_rest(uint32_t id, Bytes head, size_t total);
  Status write_head(uint8_t slot, uint32_t generation, const Metadata& md, size_t slot_len, const Bytes& policy);
  Status write_tail(ByteView tail, const Bytes& policy);
  Result<Bytes> index_for(const Metadata& md, size_t slot_len) const {
    return index_rule_ ? index_rule_(md, slot_len) : Result<Bytes>(Bytes{});
  }
  Bytes policy_for(const Metadata& md) const { return rule_ ? rule_(md) : policy_; }
  void reset_state();

  se05x::Client& c_;
  StoreIds ids_;
  bool loaded_ = false;
  StoreState state_ = StoreState::Empty;
  Metadata md_;
  uint32_t gen_ = 0;
  int cur_slot_ = -1;
  uint32_t max_seen_gen_ = 0;
  Slot slots_[2];
  bool light_ = false;
  size_t cur_len_ = 0;  // header + body of the current image
  // The head as last read or written: whether it exists, its file size, its first
  // min(32, size) bytes (what is_current() compares) and the index it carried.
  bool head_exists_ = false;
  size_t head_cap_ = 0;
  std::optional<Bytes> head_prefix_;
  std::optional<Bytes> head_index_;
  std::string problem_;
  Bytes policy_;
  std::function<Bytes(const Metadata&)> rule_;
  std::function<Result<Bytes>(const Metadata&, size_t)> index_rule_;
};

}  // namespace sx::token
