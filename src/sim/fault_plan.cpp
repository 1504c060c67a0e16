#include "sim/fault_plan.h"

namespace sx::sim {

void FaultPlan::cut_at_write(uint64_t n, CutMode mode, std::optional<size_t> torn_keep) {
  armed_ = n != 0;
  cut_at_ = writes_ + n;
  mode_ = mode;
  torn_keep_ = torn_keep;
}

std::optional<CutMode> FaultPlan::on_write() {
  ++writes_;
  if (!armed_ || writes_ != cut_at_) return std::nullopt;
  armed_ = false;
  return mode_;
}

size_t FaultPlan::torn_prefix(size_t len) const {
  if (torn_keep_) return *torn_keep_ < len ? *torn_keep_ : len;
  return len / 2;
}

}  // namespace sx::sim
