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

// Padding a head may carry before it is recreated smaller (each byte is read at every cold open).
constexpr size_t kHeadSlack = 96;

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

void MetadataStore::reset_state() {
  loaded_ = false;
  light_ = false;
  md_ = {};
  state_ = StoreState::Empty;
  gen_ = 0;
  cur_slot_ = -1;
  cur_len_ = 0;
  max_seen_gen_ = 0;
  problem_.clear();
  head_exists_ = false;
  head_cap_ = 0;
  head_prefix_.reset();
  head_index_.reset();
}

// The head decides which image is current (it is written last, so a newer slot
// behind it is a commit cut before its head: not committed, and the next commit
// overwrites it). Without a usable head the newest valid slot decides, and the
// head is repaired. Readers of the head alone (load_head) see the same image.
Status MetadataStore::load(bool repair_pointer) {
  reset_state();
  SX_ASSIGN(HeadRead head, read_head());
  SX_ASSIGN(SlotScan scan, scan_slots());
  if (scan.newer_format) {
    state_ = StoreState::Newer;
  } else {
    if (head.header)
      std::stable_partition(scan.newest_first.begin(), scan.newest_first.end(), [&](const Candidate& c) {
        return c.slot == head.header->slot && c.header.generation == head.header->generation;
      });
    SX_ASSIGN(bool loaded, adopt_newest(scan.newest_first));
    if (!loaded && scan.any_slot) state_ = StoreState::Corrupt;
  }
  if (head.header && state_ == StoreState::Loaded && head.header->slot == cur_slot_ &&
      head.header->generation == gen_) {
    SX_ASSIGN(head_index_, read_index(*head.header, head.raw));
  }
  SX_TRY(repair_head(repair_pointer));
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
    cur_len_ = total;
    state_ = StoreState::Loaded;
    return true;
  }
  return false;
}

Result<std::optional<Bytes>> MetadataStore::read_index(const HeadHeader& h, ByteView head) {
  if (head.size() < kHeadHeaderLen + h.in_head()) return std::optional<Bytes>{};
  Bytes index(head.begin() + kHeadHeaderLen, head.begin() + static_cast<std::ptrdiff_t>(kHeadHeaderLen + h.in_head()));
  if (h.in_tail() > 0) {
    auto tail = c_.read_binary(ids_.tail, h.in_tail());
    if (!tail.ok()) {
      if (is_chip_answer(tail.error()) || tail.error().code == Errc::Malformed ||
          tail.error().code == Errc::InvalidArgument)
        return std::optional<Bytes>{};
      return tail.take_error();
    }
    append(index, *tail);
  }
  if (!verify_head_index(h, index)) return std::optional<Bytes>{};
  return std::optional<Bytes>{std::move(index)};
}

Result<MetadataStore::HeadRead> MetadataStore::read_head() {
  HeadRead out;
  SX_ASSIGN(head_exists_, c_.check_object_exists(ids_.pointer));
  if (!head_exists_) return out;
  auto raw = c_.read_object(ids_.pointer);
  if (!raw.ok()) {
    if (is_chip_answer(raw.error()) || raw.error().code == Errc::Malformed) return out;
    return raw.take_error();
  }
  head_cap_ = raw->size();
  head_prefix_ = Bytes(raw->begin(), raw->begin() + static_cast<std::ptrdiff_t>(std::min(kHeadHeaderLen, raw->size())));
  if (auto h = parse_head_header(*raw); h.ok()) out.header = *h;
  out.raw = std::move(*raw);
  return out;
}

Status MetadataStore::repair_head(bool repair) {
  if (state_ != StoreState::Loaded || !repair) return {};
  SX_ASSIGN(Bytes want, index_for(md_, cur_len_));
  if (head_index_ && *head_index_ == want) return {};
  // A chip-PIN token's head refuses writes outside a session (docs/chip-pin.md §2), a
  // full chip has no room for it: left as it is (readers take the slots), the next
  // load that may write repairs it. Only a failing link is an error of the load.
  auto st = write_head(static_cast<uint8_t>(cur_slot_), gen_, md_, cur_len_, policy_for(md_));
  if (!st && is_link_failure(st.error().code)) return st;
  return {};
}

Status MetadataStore::write_head(uint8_t slot, uint32_t generation, const Metadata& md, size_t slot_len,
                                 const Bytes& policy) {
  SX_ASSIGN(Bytes index, index_for(md, slot_len));
  SX_ASSIGN(HeadImage img, encode_head(slot, generation, index));
  head_prefix_.reset();  // unknown until both writes are done
  head_index_.reset();
  if (!img.tail.empty()) SX_TRY(write_tail(img.tail, policy));
  // The head is read whole: recreated when it is too small or carries much padding.
  const size_t need = img.head.size();
  if (head_exists_ && (head_cap_ < need || head_cap_ > need + kHeadSlack)) {
    SX_TRY(c_.delete_object(ids_.pointer));
    head_exists_ = false;
  }
  if (!head_exists_) {
    Bytes padded = img.head;
    padded.resize(std::min(kHeadMax, (need + 31) / 32 * 32), 0);
    SX_TRY(c_.create_binary(ids_.pointer, padded, policy));
    head_exists_ = true;
    head_cap_ = padded.size();
  } else {
    SX_TRY(c_.update_binary(ids_.pointer, img.head));
  }
  head_prefix_ = Bytes(img.head.begin(), img.head.begin() + static_cast<std::ptrdiff_t>(kHeadHeaderLen));
  head_index_ = std::move(index);
  return {};
}

// Before the head: the head's digest covers the tail, so a cut in between leaves a
// head whose index fails its check (readers take the slots). Another process may
// have recreated the tail since this one last saw it: its size is asked each time.
Status MetadataStore::write_tail(ByteView tail, const Bytes& policy) {
  SX_ASSIGN(bool exists, c_.check_object_exists(ids_.tail));
  if (exists) {
    SX_ASSIGN(uint16_t size, c_.read_size(ids_.tail));
    if (size >= tail.size()) return c_.update_binary(ids_.tail, tail);
    SX_TRY(c_.delete_object(ids_.tail));
  }
  Bytes padded(tail.begin(), tail.end());
  padded.resize(slot_capacity(tail.size()), 0);
  return c_.create_binary(ids_.tail, padded, policy);
}

Result<std::optional<IndexImage>> MetadataStore::load_head() {
  reset_state();
  const std::optional<IndexImage> none;
  auto raw = c_.read_object(ids_.pointer);
  if (!raw.ok()) {
    if (is_chip_answer(raw.error()) || raw.error().code == Errc::Malformed) return none;
    return raw.take_error();
  }
  auto h = parse_head_header(*raw);
  if (!h.ok()) return none;
  SX_ASSIGN(auto index, read_index(*h, *raw));
  if (!index) return none;
  auto ix = decode_index(*index);
  if (!ix.ok()) return none;
  if (ix->complete) {
    md_ = metadata_of(*ix);
  } else {
    // The index lacks some fields: the image it was made from, exactly its length.
    if (ix->slot_len < kSlotHeaderLen) return none;
    auto image = c_.read_binary(ids_.slot[h->slot], ix->slot_len);
    if (!image.ok()) {
      if (is_chip_answer(image.error()) || image.error().code == Errc::Malformed ||
          image.error().code == Errc::InvalidArgument)
        return none;
      return image.take_error();
    }
    auto header = parse_slot_header(*image);
    auto body = verify_slot(*image, h->slot);
    if (!header.ok() || !body.ok() || header->generation != h->generation) return none;
    auto md = decode_metadata(*body);
    if (!md.ok()) return none;
    md_ = std::move(*md);
  }
  gen_ = max_seen_gen_ = h->generation;
  cur_slot_ = h->slot;
  cur_len_ = ix->slot_len;
  state_ = StoreState::Loaded;
  head_exists_ = true;
  head_cap_ = raw->size();
  head_prefix_ = Bytes(raw->begin(), raw->begin() + static_cast<std::ptrdiff_t>(kHeadHeaderLen));
  head_index_ = std::move(*index);
  light_ = true;
  loaded_ = true;
  return std::optional<IndexImage>{std::move(*ix)};
}

Result<bool> MetadataStore::is_current() {
  if (!loaded_) return false;
  const size_t n = head_prefix_ ? head_prefix_->size() : kHeadHeaderLen;
  auto raw = c_.read_object_part(ids_.pointer, 0, static_cast<uint16_t>(n));
  if (!raw.ok()) {
    // The chip refusing the read means no (readable) head: unchanged if there was none.
    if (is_chip_answer(raw.error())) return !head_exists_ || !head_prefix_;
    if (raw.error().code == Errc::Malformed) return false;
    return raw.take_error();
  }
  return head_prefix_ && *head_prefix_ == *raw;
}

Status MetadataStore::commit(const Metadata& next, CommitMode mode) {
  if (!loaded_ || light_) return make_error(Errc::Internal, "token store: commit without a current load");
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
  if (mode.recreate && head_exists_) {
    // Before the slot: a cut between leaves the older image and no head (repaired).
    SX_TRY(c_.delete_object(ids_.pointer));
    head_exists_ = false;
    head_prefix_.reset();
    head_index_.reset();
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
  SX_TRY(write_head(static_cast<uint8_t>(target), new_gen, next, image.size(), policy));
  md_ = next;
  cur_len_ = image.size();
  gen_ = new_gen;
  max_seen_gen_ = new_gen;
  cur_slot_ = target;
  state_ = StoreState::Loaded;
  problem_.clear();
  loaded_ = true;
  return {};
}

}  // namespace sx::token
