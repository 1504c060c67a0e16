// A scripted ApduChannel: records every C-APDU and replays queued replies.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "link/apdu_channel.h"

namespace sx::se05x::testing {

class FakeChannel : public link::ApduChannel {
 public:
  Result<Bytes> open() override { return Bytes{}; }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    sent.emplace_back(capdu.begin(), capdu.end());
    if (replies.empty()) return make_error(Errc::Closed, "fake: no scripted reply");
    Result<Bytes> r = std::move(replies.front());
    replies.pop_front();
    return r;
  }
  Status close() override { return {}; }
  Status lock() override {
    ++locks;
    return {};
  }
  Status unlock() override {
    ++unlocks;
    return {};
  }
  std::string describe() const override { return "fake"; }

  void reply(std::string_view hexstr) { replies.emplace_back(hex(hexstr)); }
  void reply(Bytes b) { replies.emplace_back(std::move(b)); }
  void reply_error(Error e) { replies.emplace_back(std::move(e)); }
  std::string sent_hex(size_t i) const { return i < sent.size() ? to_hex(sent[i]) : "<none>"; }

  std::vector<Bytes> sent;
  std::deque<Result<Bytes>> replies;
  int locks = 0, unlocks = 0;
};

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}
inline Bytes filled(size_t n, uint8_t v) { return Bytes(n, v); }

}  // namespace sx::se05x::testing
