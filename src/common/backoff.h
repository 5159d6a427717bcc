// Jittered exponential backoff, as client-go's reflector uses it (800 ms doubling to 30 s, each
// wait drawn from [d, 2d)) so that many clients that failed together do not retry together.
#ifndef CONTOUR_COMMON_BACKOFF_H_
#define CONTOUR_COMMON_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace contour {

struct BackoffPolicy {
  absl::Duration initial = absl::Milliseconds(800);
  absl::Duration max = absl::Seconds(30);
  double factor = 2.0;
  double jitter = 1.0;  // a wait is d * (1 + jitter * uniform[0, 1)), capped at max
};

class Backoff {
 public:
  // `seed` 0 draws a random seed.
  explicit Backoff(BackoffPolicy policy = {}, uint64_t seed = 0);

  // The next wait; each call grows the base until it reaches max.
  absl::Duration Next();
  // Back to the initial wait, after a success.
  void Reset() { current_ = policy_.initial; }

 private:
  BackoffPolicy policy_;
  absl::Duration current_;
  std::mt19937_64 random_;
};

}  // namespace contour

#endif  // CONTOUR_COMMON_BACKOFF_H_
