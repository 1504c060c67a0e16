// libFuzzer: the JRCP stream decoder (arbitrary bytes cut into arbitrary
// chunks) and the connection-string parser must never crash or over-read,
// and decoding must not depend on how the stream was cut.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "link/endpoint.h"
#include "link/jrcp.h"

using namespace sx;
using namespace sx::link;

namespace {

struct Outcome {
  std::vector<jrcp::Message> msgs;
  bool failed = false;
};

Outcome decode(ByteView data, size_t max_payload, const std::vector<size_t>& cuts) {
  jrcp::Decoder d(max_payload);
  Outcome o;
  size_t pos = 0;
  size_t ci = 0;
  while (pos < data.size() && !o.failed) {
    size_t n = cuts.empty() ? data.size() : 1 + cuts[ci++ % cuts.size()];
    if (n > data.size() - pos) n = data.size() - pos;
    if (!d.feed(data.subspan(pos, n))) o.failed = true;
    pos += n;
    while (auto m = d.next()) {
      if (m->payload.size() > max_payload) std::abort();
      o.msgs.push_back(std::move(*m));
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // First byte: payload limit; second: chunking pattern seed.
  size_t max_payload = size_t{data[0]} * 16;
  std::vector<size_t> cuts;
  for (size_t i = 0; i < (data[1] & 7u); ++i) cuts.push_back((data[1] >> 3) + i * 3);
  ByteView body(data + 2, size - 2);

  Outcome whole = decode(body, max_payload, {});
  Outcome split = decode(body, max_payload, cuts);
  // A bad header fails the stream either way, but a chunked feed may have
  // handed out the messages before it first: compare the common prefix.
  if (whole.failed != split.failed) std::abort();
  if (!whole.failed && whole.msgs.size() != split.msgs.size()) std::abort();
  size_t common = whole.msgs.size() < split.msgs.size() ? whole.msgs.size() : split.msgs.size();
  for (size_t i = 0; i < common; ++i) {
    if (whole.msgs[i].type != split.msgs[i].type || whole.msgs[i].payload != split.msgs[i].payload) std::abort();
    auto re = jrcp::encode(whole.msgs[i].type, whole.msgs[i].payload);
    if (!re) std::abort();
  }

  // The same bytes as a connection string: parse, and round-trip when valid.
  std::string_view s(reinterpret_cast<const char*>(data), size);
  auto e = parse_endpoint(s);
  if (e) {
    auto again = parse_endpoint(to_string(*e));
    if (!again || !(*again == *e)) std::abort();
  }
  return 0;
}
