// Sleeping that a stop request cuts short: every waiting thread of ours must end at once on
// shutdown.
#ifndef CONTOUR_COMMON_STOP_WAIT_H_
#define CONTOUR_COMMON_STOP_WAIT_H_

#include <stop_token>

#include "absl/time/time.h"

namespace contour {

// Waits `duration` or until `stop` is requested; true when the whole duration passed.
bool WaitFor(std::stop_token stop, absl::Duration duration);

}  // namespace contour

#endif  // CONTOUR_COMMON_STOP_WAIT_H_
