// A token bucket, as client-go's flowcontrol: `qps` tokens a second, at most `burst` saved up.
// Time is passed in, so that tests need no clock.
#ifndef CONTOUR_COMMON_RATE_LIMITER_H_
#define CONTOUR_COMMON_RATE_LIMITER_H_

#include "absl/time/time.h"

namespace contour {

class RateLimiter {
 public:
  // Starts full. qps <= 0 means no limit.
  RateLimiter(double qps, int burst, absl::Time now);

  // Takes a token if one is there (zero returned); otherwise takes nothing and returns how long
  // until one will be.
  absl::Duration TryTake(absl::Time now);

 private:
  void Refill(absl::Time now);

  const double qps_;
  const double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace contour

#endif  // CONTOUR_COMMON_RATE_LIMITER_H_
