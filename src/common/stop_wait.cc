#include "common/stop_wait.h"

#include <condition_variable>
#include <mutex>

namespace contour {

bool WaitFor(std::stop_token stop, absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return !stop.stop_requested();
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // With a stop_token the wait returns as soon as a stop is requested.
  cv.wait_for(lock, stop, absl::ToChronoNanoseconds(duration), [] { return false; });
  return !stop.stop_requested();
}

}  // namespace contour
