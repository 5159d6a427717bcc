// FanOut: every item runs exactly once, on any thread count, with concurrent callers.
#include "xds/fan_out.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace contour::xds {
namespace {

class FanOutTest : public testing::TestWithParam<size_t> {};

TEST_P(FanOutTest, EveryItemRunsOnce) {
  FanOut fan_out(GetParam());
  for (size_t count : {0u, 1u, 16u, 17u, 1000u}) {
    std::vector<std::atomic<int>> runs(count);
    fan_out.Run(count, [&](size_t i) { runs[i].fetch_add(1); });
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(runs[i].load(), 1) << count << " items, " << i;
  }
}

TEST_P(FanOutTest, ConcurrentCallersTakeTurns) {
  FanOut fan_out(GetParam());
  constexpr size_t kItems = 500;
  std::vector<std::atomic<int>> a(kItems), b(kItems);
  std::thread other([&] {
    for (int round = 0; round < 20; ++round) fan_out.Run(kItems, [&](size_t i) { b[i]++; });
  });
  for (int round = 0; round < 20; ++round) fan_out.Run(kItems, [&](size_t i) { a[i]++; });
  other.join();
  for (size_t i = 0; i < kItems; ++i) {
    ASSERT_EQ(a[i].load(), 20);
    ASSERT_EQ(b[i].load(), 20);
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, FanOutTest, testing::Values(0u, 1u, 3u));

}  // namespace
}  // namespace contour::xds
