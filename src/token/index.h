// The object index: what a process needs to present the token without listing
// the chip -- every chip object's description (type, curve or size, origin,
// certificate or not) and the find-relevant part of its metadata record
// (class, key type, flags, label, CKA_ID), plus the token record's label and
// flags and the chip's unique ID. Written with every metadata commit into the
// head (docs/token-store.md §2.2), so that a cold open reads one small object
// instead of listing the chip (issue 16). Pure encoding, no chip I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "token/metadata.h"
#include "token/types.h"

namespace sx::token {

// One chip object as the last writer listed it.
struct IndexEntry {
  uint32_t chip_id = 0;
  uint8_t type_code = 0;   // the chip's raw type code; 0 = the chip would not say
  bool certificate = false;  // a binary file holding an X.509 certificate
  bool provisioned = false;  // origin PROVISIONED (NXP's factory objects)
  // EC: the curve ID; RSA: the modulus bits; binary file: its length; else 0.
  uint16_t info = 0;
  // The object's metadata record, without the fields the index does not carry
  // (subject, application, object ID, unknown fields: see IndexImage::complete).
  bool has_record = false;
  ObjectRecord record;
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

struct IndexImage {
  // The image carries every metadata field: a reader needs no slot read. False when
  // any record has a subject, application, object ID or unknown field, the token
  // record has PIN verifiers, counters or unknown fields, or unknown records exist.
  bool complete = true;
  uint16_t slot_len = 0;  // header + body bytes of the slot the head names
  uint32_t token_flags = 0;
  uint32_t next_id = 0;
  std::string token_label;
  Bytes unique_id;  // the chip's 0x7FFF0206 (empty: not read yet)
  std::vector<IndexEntry> entries;
  friend bool operator==(const IndexImage&, const IndexImage&) = default;
};

// The index of `md` over the chip objects `entries` describe (their records are
// filled in from md here). `complete` says whether md fits entirely.
IndexImage make_index(const Metadata& md, std::vector<IndexEntry> entries, ByteView unique_id, size_t slot_len);
// The metadata an index stands for (only meaningful when complete; otherwise the
// records lack their details and the PIN verifiers are missing).
Metadata metadata_of(const IndexImage& ix);

Result<Bytes> encode_index(const IndexImage& ix);
// Errc::Malformed on any inconsistency (a reader then falls back to the slots).
Result<IndexImage> decode_index(ByteView b);

}  // namespace sx::token
