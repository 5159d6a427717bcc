// The election's clock, a seam: one real clock and a fake that tests move by hand.
//
// Two readings, because they serve two purposes. Wall time goes into the record
// (acquireTime/renewTime) for people and other clients to read; it may jump (NTP steps, a VM
// resumed). Monotonic time is what every decision is made on: how long a record has gone
// unchanged, how long since the last renewal. Go's client-go gets the same split for free (a
// time.Time carries a monotonic reading that Sub/Before/After use); here it is explicit.
#ifndef CONTOUR_LEADERSHIP_CLOCK_H_
#define CONTOUR_LEADERSHIP_CLOCK_H_

#include <chrono>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace contour::leadership {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time, for the record only.
  virtual absl::Time Now() = 0;
  // A reading that never goes backwards or jumps; only differences between readings mean
  // anything.
  virtual absl::Time MonotonicNow() = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  absl::Time MonotonicNow() override {
    return absl::UnixEpoch() +
           absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
  }
};

// Time stands still until a test moves it. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time wall = absl::FromUnixSeconds(1560333600))  // 2019-06-12T10:00Z
      : wall_(wall), monotonic_(absl::UnixEpoch() + absl::Hours(1)) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return wall_;
  }
  absl::Time MonotonicNow() override {
    absl::MutexLock lock(&mu_);
    return monotonic_;
  }

  // Time passes: both readings move.
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    wall_ += d;
    monotonic_ += d;
  }
  // The wall clock is stepped (forwards or backwards); no time passes.
  void JumpWall(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    wall_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time wall_ ABSL_GUARDED_BY(mu_);
  absl::Time monotonic_ ABSL_GUARDED_BY(mu_);
};

}  // namespace contour::leadership

#endif  // CONTOUR_LEADERSHIP_CLOCK_H_
