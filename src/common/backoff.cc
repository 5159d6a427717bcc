#include "common/backoff.h"

#include <algorithm>

namespace contour {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed)
    : policy_(policy),
      current_(policy.initial),
      random_(seed != 0 ? seed : std::random_device()()) {}

absl::Duration Backoff::Next() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  absl::Duration wait = current_ * (1.0 + policy_.jitter * unit(random_));
  current_ = std::min(policy_.max, current_ * policy_.factor);
  return std::min(wait, policy_.max);
}

}  // namespace contour
