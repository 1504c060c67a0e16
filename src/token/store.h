// The power-loss-safe metadata store on the chip: two fixed-capacity slot
// files holding whole images and one 16-byte generation pointer written after
// a slot (docs/token-store.md). The caller holds the chip (ChipLock) around
// load() and commit(); is_current() is a single APDU and needs no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/result.h"
#include "se05x/client.h"
#include "token/id_range.h"
#include "token/metadata.h"
#include "token/store_format.h"

namespace sx::token {

struct StoreIds {
  uint32_t slot[2] = {ids::kSlotA, ids::kSlotB};
  uint32_t pointer = ids::kPointer;
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

  // Reads both slots and takes the highest valid generation. When the pointer
  // does not name it (a writer was cut between slot and pointer, or the
  // pointer is torn) and repair_pointer, rewrites the pointer so that every
  // process's cheap check sees the same generation.
  Status load(bool repair_pointer);
  // One ReadObject of the pointer: true when nothing was committed since load/commit.
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
  // Writes `next` into the slot not holding the current image, then the pointer.
  // After an error the store must be load()ed again.
  Status commit(const Metadata& next, CommitMode mode);
  Status commit(const Metadata& next) { return commit(next, CommitMode{}); }

  // The policy the slots and the pointer get when commit() creates them (chip-PIN
  // tokens, docs/chip-pin.md §2); empty: the chip's default.
  void set_creation_policy(Bytes policy) { policy_ = std::move(policy); }
  // The same per image: the policy for the metadata being written, or (a pointer
  // repaired by load()) the metadata just loaded. Takes precedence when set.
  void set_policy_rule(std::function<Bytes(const Metadata&)> rule) { rule_ = std::move(rule); }

  bool loaded() const { return loaded_; }
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
  Status check_pointer(bool repair);
  Result<std::optional<Bytes>> read_small(uint32_t id, size_t max, size_t* file_size);
  Result<Bytes> read_rest(uint32_t id, Bytes head, size_t total);
  Status write_pointer(const Pointer& p, const Bytes& policy);
  Bytes policy_for(const Metadata& md) const { return rule_ ? rule_(md) : policy_; }

  se05x::Client& c_;
  StoreIds ids_;
  bool loaded_ = false;
  StoreState state_ = StoreState::Empty;
  Metadata md_;
  uint32_t gen_ = 0;
  int cur_slot_ = -1;
  uint32_t max_seen_gen_ = 0;
  Slot slots_[2];
  bool pointer_exists_ = false;
  std::optional<Bytes> pointer_bytes_;  // as last read or written
  std::string problem_;
  Bytes policy_;
  std::function<Bytes(const Metadata&)> rule_;
};

}  // namespace sx::token
