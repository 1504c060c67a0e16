// The ApduChannel test double: records every C-APDU and counts APDUs and lock/unlock
// calls (with the nesting depth). Scripted (default constructor): replays the queued
// replies, and fails with Errc::Closed when none is left. Wrapping (given an inner
// channel): forwards everything to it, e.g. to an in-process simulator (sim_channel.h).
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "link/apdu_channel.h"

namespace sx::testing {

class RecordingChannel : public link::ApduChannel {
 public:
  RecordingChannel() = default;
  explicit RecordingChannel(link::ApduChannel& inner) : inner_(&inner) {}
  // Not copyable: `RecordingChannel b(a)` must not silently copy a's script instead of wrapping a
  // (wrap another RecordingChannel through an ApduChannel&).
  RecordingChannel(const RecordingChannel&) = delete;
  RecordingChannel& operator=(const RecordingChannel&) = delete;

  Result<Bytes> open() override { return inner_ ? inner_->open() : Result<Bytes>(Bytes{}); }
  Result<Bytes> transceive(std::span<const uint8_t> capdu) override {
    ++apdus;
    sent.emplace_back(capdu.begin(), capdu.end());
    if (inner_) return inner_->transceive(capdu);
    if (replies.empty()) return make_error(Errc::Closed, "fake: no scripted reply");
    Result<Bytes> r = std::move(replies.front());
    replies.pop_front();
    return r;
  }
  Status close() override { return inner_ ? inner_->close() : Status{}; }
  Status lock() override {
    ++locks;
    if (++depth > max_depth) max_depth = depth;
    return inner_ ? inner_->lock() : Status{};
  }
  Status unlock() override {
    ++unlocks;
    --depth;
    return inner_ ? inner_->unlock() : Status{};
  }
  std::string describe() const override { return inner_ ? "counting(" + inner_->describe() + ")" : "fake"; }

  // The script (scripted mode only).
  void reply(std::string_view hexstr) { replies.emplace_back(hex(hexstr)); }
  void reply(Bytes b) { replies.emplace_back(std::move(b)); }
  void reply_error(Error e) { replies.emplace_back(std::move(e)); }
  std::string sent_hex(size_t i) const { return i < sent.size() ? to_hex(sent[i]) : "<none>"; }

  std::vector<Bytes> sent;
  std::deque<Result<Bytes>> replies;
  int apdus = 0, locks = 0, unlocks = 0, depth = 0, max_depth = 0;

 private:
  link::ApduChannel* inner_ = nullptr;
};

}  // namespace sx::testing
