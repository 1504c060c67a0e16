#include "device/chip_lock.h"

namespace sx::device {

Status ChipLockChannel::lock() {
  if (depth_ == 0) {
    SX_ASSIGN(FileLock f, FileLock::acquire(s_.file, s_.wait));
    SX_TRY(inner_.lock());  // on failure `f` goes out of scope: the file is released
    file_ = std::move(f);
  }
  ++depth_;
  return {};
}

Status ChipLockChannel::unlock() {
  if (depth_ == 0) return make_error(Errc::Internal, "unlock without lock");
  if (--depth_ > 0) return {};
  Status s = inner_.unlock();
  file_ = FileLock();
  return s;
}

}  // namespace sx::device
