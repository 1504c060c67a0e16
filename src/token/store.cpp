#include "token/store.h"

#include <algorithm>

#include "se05x/constants.h"

namespace sx::token {

namespace {

// Slot capacity: room to grow by a quarter before the next delete+recreate.
size_t slot_capacity(size_t image) {
  size_t cap = image + image / 4 + 64;
  cap = (cap + 255) / 256 * 256;
  cap = std::max<size_t>(cap, 512);
  return std::min(cap, kMaxSlotSize);
}

bool is_chip_answer(const Error& e) { return e.code == Errc::StatusWord || e.code == Errc::AccessDenied; }

}  // namespace

const char* store_state_name(StoreState s) {
  switch (s) {
    case StoreState::Empty: return "empty";
    case StoreState::Loaded: return "loaded";
    case StoreState::Corrupt: return "corrupt";
    case StoreState::Newer: return "newer format";
  }
  return "?";
}

// Reads the first min(size, max) bytes of a file; nullopt when the chip refuses
// (the object is not a readable binary file). Link errors propagate.
Result<std::optional<Bytes>> MetadataStore::read_small(uint32_t id, size_t max, size_t* file_size) {
  auto size = c_.read_size(id);
  if (!size.ok()) {
    if (is_chip_answer(size.error())) return std::optional<Bytes>{};
    return size.take_error();
  }
  if (file_size) *file_size = *size;
  if (*size == 0) return std::optional<Bytes>{};
  const size_t n = std::min<size_t>({*size, max, se05x::kBinaryChunk});
  auto head = c_.read_object_part(id, 0, static_cast<uint16_t>(n));
  if (!head.ok()) {
    if (is_chip_answer(head.error()) || head.error().code == Errc::Malformed) return std::optional<Bytes>{};
    return head.take_error();
  }
  return std::optional<Bytes>{std::move(*head)};
}

Result<Bytes> MetadataStore::read_rest(uint32_t id, Bytes head, size_t total) {
  while (head.size() < total) {
    const size_t n = std::min(se05x::kBinaryChunk, total - head.size());
    SX_ASSIGN(Bytes part, c_.read_object_part(id, static_cast<uint16_t>(head.size()), static_cast<uint16_t>(n)));
    append(head, part);
  }
  return head;
}

Status MetadataStore::load(bool repair_pointer) {
  loaded_ = false;
  md_ = {};
  state_ = StoreState::Empty;
  gen_ = 0;
  cur_slot_ = -1;
  max_seen_gen_ = 0;
  problem_.clear();
  pointer_exists_ = false;
  pointer_bytes_.reset();

  SX_ASSIGN(SlotScan scan, scan_slots());
  if (scan.newer_format) {
    state_ = StoreState::Newer;
  } else {
    SX_ASSIGN(bool loaded, adopt_newest(scan.newest_first));
    if (!loaded && scan.any_slot) state_ = StoreState::Corrupt;
  }
  SX_TRY(check_pointer(repair_pointer));
  loaded_ = true;
  return {};
}

Result<MetadataStore::SlotScan> MetadataStore::scan_slots() {
  SlotScan scan;
  for (int i = 0; i < 2; ++i) {
    slots_[i] = {};
    SX_ASSIGN(bool exists, c_.check_object_exists(ids_.slot[i]));
    if (!exists) continue;
    scan.any_slot = true;
    slots_[i].exists = true;
    SX_ASSIGN(auto head, read_small(ids_.slot[i], kMaxSlotSize, &slots_[i].size));
    if (!head) {
      problem_ += "slot " + std::to_string(i) + " unreadable; ";
      continue;
    }
    auto h = parse_slot_header(*head);
    if (!h.ok()) {
      if (h.error().code == Errc::Unsupported) scan.newer_format = true;
      problem_ += "slot " + std::to_string(i) + ": " + h.error().message + "; ";
      continue;
    }
    max_seen_gen_ = std::max(max_seen_gen_, h->generation);
    scan.newest_first.push_back({i, *h, std::move(*head)});
  }
  std::sort(scan.newest_first.begin(), scan.newest_first.end(),
            [](const Candidate& a, const Candidate& b) { return a.header.generation > b.header.generation; });
  return scan;
}

Result<bool> MetadataStore::adopt_newest(std::vector<Candidate>& cands) {
  for (auto& cand : cands) {
    const std::string slot = "slot " + std::to_string(cand.slot);
    const size_t total = kSlotHeaderLen + cand.header.body_len;
    if (total > slots_[cand.slot].size) {
      problem_ += slot + ": body longer than the file; ";
      continue;
    }
    auto image = read_rest(ids_.slot[cand.slot], std::move(cand.head), total);
    if (!image.ok()) {
      if (!is_chip_answer(image.error()) && image.error().code != Errc::Malformed) return image.take_error();
      problem_ += slot + " unreadable: " + image.error().message + "; ";
      continue;
    }
    auto body = verify_slot(*image, static_cast<uint8_t>(cand.slot));
    auto md = body.ok() ? decode_metadata(*body) : Result<Metadata>(body.take_error());
    if (!md.ok()) {
      problem_ += slot + ": " + md.error().message + "; ";
      continue;
    }
    md_ = std::move(*md);
    gen_ = cand.header.generation;
    cur_slot_ = cand.slot;
    state_ = StoreState::Loaded;
    return true;
  }
  return false;
}

Status MetadataStore::check_pointer(bool repair) {
  SX_ASSIGN(pointer_exists_, c_.check_object_exists(ids_.pointer));
  std::optional<Pointer> ptr;
  if (pointer_exists_) {
    SX_ASSIGN(auto raw, read_small(ids_.pointer, kPointerLen, nullptr));
    if (raw) {
      pointer_bytes_ = *raw;
      if (auto p = parse_pointer(*raw); p.ok()) ptr = *p;
    }
  }
  const bool pointer_right = ptr && ptr->generation == gen_ && ptr->slot == cur_slot_;
  if (state_ == StoreState::Loaded && !pointer_right && repair) {
    // A chip-PIN token's pointer refuses writes outside a session (docs/chip-pin.md §2):
    // left as it is, the next load (in a session) repairs it.
    auto st = write_pointer({static_cast<uint8_t>(cur_slot_), gen_}, policy_for(md_));
    if (!st && st.error().code != Errc::AccessDenied) return st;
  }
  return {};
}

Status MetadataStore::write_pointer(const Pointer& p, const Bytes& policy) {
  const Bytes enc = encode_pointer(p);
  if (pointer_exists_) SX_TRY(c_.update_binary(ids_.pointer, enc));
  else SX_TRY(c_.create_binary(ids_.pointer, enc, policy));
  pointer_exists_ = true;
  pointer_bytes_ = enc;
  return {};
}

Result<bool> MetadataStore::is_current() {
  if (!loaded_) return false;
  auto raw = c_.read_object_part(ids_.pointer, 0, kPointerLen);
  if (!raw.ok()) {
    // The chip refusing the read means no (readable) pointer: unchanged if there was none.
    if (is_chip_answer(raw.error())) return !pointer_exists_ || !pointer_bytes_;
    if (raw.error().code == Errc::Malformed) return false;
    return raw.take_error();
  }
  return pointer_bytes_ && *pointer_bytes_ == *raw;
}

Status MetadataStore::commit(const Metadata& next, CommitMode mode) {
  if (!loaded_) return make_error(Errc::Internal, "token store: commit without a current load");
  if (state_ == StoreState::Newer)
    return make_error(Errc::Unsupported, "token store: the metadata was written by a newer module version; not overwriting it");
  SX_ASSIGN(Bytes body, encode_metadata(next));
  const int target = state_ == StoreState::Loaded ? 1 - cur_slot_ : 0;
  const uint32_t base = std::max(max_seen_gen_, gen_);
  if (base == UINT32_MAX) return make_error(Errc::Internal, "token store: generation counter exhausted");
  const uint32_t new_gen = base + 1;
  SX_ASSIGN(Bytes image, encode_slot(static_cast<uint8_t>(target), new_gen, body));
  const uint32_t id = ids_.slot[target];
  loaded_ = false;  // until both writes are done the cached view may be stale
  Slot& s = slots_[target];
  const Bytes policy = mode.without_policy ? Bytes{} : policy_for(next);
  if (mode.recreate && pointer_exists_) {
    // Before the slot: a cut between leaves the older image and no pointer (repaired).
    SX_TRY(c_.delete_object(ids_.pointer));
    pointer_exists_ = false;
    pointer_bytes_.reset();
  }
  if (mode.recreate || !s.exists || s.size < image.size()) {
    // Safe: the other slot still holds the current image.
    if (s.exists) SX_TRY(c_.delete_object(id));
    s = {};
    const size_t cap = slot_capacity(image.size());
    Bytes padded = image;
    padded.resize(cap, 0);
    SX_TRY(c_.create_binary(id, padded, policy));
    s = {true, cap};
  } else {
    SX_TRY(c_.update_binary(id, image));
  }
  SX_TRY(write_pointer({static_cast<uint8_t>(target), new_gen}, policy));
  md_ = next;
  gen_ = new_gen;
  max_seen_gen_ = new_gen;
  cur_slot_ = target;
  state_ = StoreState::Loaded;
  problem_.clear();
  loaded_ = true;
  return {};
}

}  // namespace sx::token
