// RateLimiter (a token bucket on explicit time) and Backoff (jittered, capped, reset).
#include <algorithm>
#include <vector>

#include "common/backoff.h"
#include "common/rate_limiter.h"
#include "gtest/gtest.h"

namespace contour {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(RateLimiterTest, BurstThenOneTokenPerInterval) {
  RateLimiter limiter(/*qps=*/10, /*burst=*/3, kStart);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.TryTake(kStart), absl::ZeroDuration()) << i;
  const absl::Duration wait = limiter.TryTake(kStart);
  EXPECT_GT(wait, absl::ZeroDuration());
  EXPECT_LE(wait, absl::Milliseconds(100));
  // Waiting what it said is enough for exactly one more.
  EXPECT_EQ(limiter.TryTake(kStart + wait), absl::ZeroDuration());
  EXPECT_GT(limiter.TryTake(kStart + wait), absl::ZeroDuration());
}

TEST(RateLimiterTest, SavesUpNoMoreThanTheBurst) {
  RateLimiter limiter(/*qps=*/10, /*burst=*/2, kStart);
  const absl::Time later = kStart + absl::Hours(1);
  int taken = 0;
  while (limiter.TryTake(later) == absl::ZeroDuration() && taken < 100) ++taken;
  EXPECT_EQ(taken, 2);
}

TEST(RateLimiterTest, RateOverALongRun) {
  RateLimiter limiter(/*qps=*/50, /*burst=*/1, kStart);
  absl::Time now = kStart;
  int taken = 0;
  while (now < kStart + absl::Seconds(10)) {
    const absl::Duration wait = limiter.TryTake(now);
    if (wait == absl::ZeroDuration()) {
      ++taken;
    } else {
      now += wait;
    }
  }
  EXPECT_GE(taken, 500);
  EXPECT_LE(taken, 502);
}

TEST(RateLimiterTest, NoLimitWithoutARate) {
  RateLimiter limiter(/*qps=*/0, /*burst=*/1, kStart);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(limiter.TryTake(kStart), absl::ZeroDuration());
}

TEST(BackoffTest, GrowsWithJitterUpToTheCap) {
  Backoff backoff({absl::Milliseconds(100), absl::Seconds(2), 2.0, 1.0}, /*seed=*/7);
  absl::Duration base = absl::Milliseconds(100);
  for (int i = 0; i < 10; ++i) {
    const absl::Duration wait = backoff.Next();
    EXPECT_GE(wait, std::min(base, absl::Seconds(2))) << i;
    EXPECT_LE(wait, std::min(2 * base, absl::Seconds(2))) << i;
    base *= 2;
  }
  EXPECT_EQ(backoff.Next(), absl::Seconds(2));
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff backoff({absl::Milliseconds(100), absl::Seconds(30), 2.0, 0.0}, /*seed=*/1);
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterSpreadsClients) {
  std::vector<absl::Duration> waits;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    waits.push_back(Backoff({absl::Seconds(1), absl::Seconds(30), 2.0, 1.0}, seed).Next());
  }
  std::sort(waits.begin(), waits.end());
  EXPECT_GT(waits.back() - waits.front(), absl::Milliseconds(200));
}

}  // namespace
}  // namespace contour
