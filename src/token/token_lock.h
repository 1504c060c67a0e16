// One logical update holds both the link (broker LOCK, via ChannelLock) and,
// for direct i2c access, the lock file (bounded wait: file_lock.h). Taken only
// at Token's public entry points.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "se05x/channel_lock.h"
#include "token/file_lock.h"

namespace sx::token {

class TokenLock {
 public:
  // File lock first: a process waiting for the file must not hold the broker.
  static Result<std::unique_ptr<TokenLock>> acquire(link::ApduChannel& ch, const std::string& lock_path,
                                                     std::chrono::milliseconds wait = kDefaultLockWait) {
    SX_ASSIGN(FileLock f, FileLock::acquire(lock_path, wait));
    auto l = std::unique_ptr<TokenLock>(new TokenLock(ch, std::move(f)));
    SX_TRY(l->chan_.status());
    return l;
  }

 private:
  TokenLock(link::ApduChannel& ch, FileLock f) : file_(std::move(f)), chan_(ch) {}
  FileLock file_;  // released after chan_ (declared first, destroyed last)
  se05x::ChannelLock chan_;
};

}  // namespace sx::token
