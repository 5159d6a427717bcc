#include "common/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace contour {

RateLimiter::RateLimiter(double qps, int burst, absl::Time now)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(std::max(1, burst)), last_(now) {}

void RateLimiter::Refill(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
}

absl::Duration RateLimiter::TryTake(absl::Time now) {
  if (qps_ <= 0) return absl::ZeroDuration();
  Refill(now);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return absl::ZeroDuration();
  }
  // Round up so that a wait of exactly this long finds the token there.
  return absl::Nanoseconds(std::ceil((1.0 - tokens_) / qps_ * 1e9));
}

}  // namespace contour
