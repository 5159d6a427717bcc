// Contour's rebuild holdoff (internal/contour/handler.go): a burst of events costs one build.
// After a quiet period longer than the cap the first event builds at once; otherwise each event
// pushes the build back by the holdoff, and the cap bounds how stale the served config gets.
// Pure logic on given times, so tests need no clock.
#ifndef CONTOUR_CONTROLLER_DEBOUNCER_H_
#define CONTOUR_CONTROLLER_DEBOUNCER_H_

#include "absl/time/time.h"

namespace contour::controller {

class Debouncer {
 public:
  explicit Debouncer(absl::Duration holdoff = absl::Milliseconds(100),
                     absl::Duration max_delay = absl::Milliseconds(500))
      : holdoff_(holdoff), max_delay_(max_delay) {}

  // An event that needs a build arrived at `now`: returns when to build (`now` means at once).
  absl::Time OnEvent(absl::Time now) const;

  void OnBuilt(absl::Time now) { last_build_ = now; }

 private:
  absl::Duration holdoff_;
  absl::Duration max_delay_;
  absl::Time last_build_ = absl::InfinitePast();
};

}  // namespace contour::controller

#endif  // CONTOUR_CONTROLLER_DEBOUNCER_H_
