#include "t1/host_config.h"

namespace sx::t1 {

HostTiming HostTiming::middleware() { return HostTiming{}; }

HostTiming HostTiming::immediate() {
  HostTiming t;
  t.poll_delay = Micros{0};
  t.max_header_polls = 20;
  t.nack_backoff_step = Micros{0};
  t.nack_backoff_max = Micros{0};
  t.error_recovery_delay = Micros{0};
  t.wake_up_delay = Micros{0};
  return t;
}

}  // namespace sx::t1
