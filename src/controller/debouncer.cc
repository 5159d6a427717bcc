#include "controller/debouncer.h"

namespace contour::controller {

absl::Time Debouncer::OnEvent(absl::Time now) const {
  return now - last_build_ > max_delay_ ? now : now + holdoff_;
}

}  // namespace contour::controller
