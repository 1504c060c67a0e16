// libFuzzer target for what the token reads back from the chip's metadata store: the
// head (pointer + object index), the index, a slot image and its metadata body. Any
// bytes must end in a value or Errc::Malformed/Unsupported -- never a crash or an
// over-read -- and whatever decodes must encode again to something that decodes to
// the same value (docs/token-store.md §2).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "token/index.h"
#include "token/metadata.h"
#include "token/store_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sx::ByteView in(data, size);
  if (auto ix = sx::token::decode_index(in); ix.ok()) {
    auto again = sx::token::encode_index(*ix);
    if (!again.ok()) std::abort();
    auto back = sx::token::decode_index(*again);
    if (!back.ok() || !(*back == *ix)) std::abort();
    (void)sx::token::metadata_of(*ix);
  }
  if (auto h = sx::token::parse_head_header(in); h.ok() && size >= sx::token::kHeadHeaderLen) {
    (void)sx::token::verify_head_index(*h, in.subspan(sx::token::kHeadHeaderLen));
  }
  if (size > 0) (void)sx::token::verify_slot(in, data[0] & 1);
  if (auto md = sx::token::decode_metadata(in); md.ok()) {
    auto again = sx::token::encode_metadata(*md);
    if (!again.ok()) std::abort();
  }
  return 0;
}
