// Debouncer: Contour's holdoff rules on given times (internal/contour/handler.go).
#include "controller/debouncer.h"

#include <optional>
#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace contour::controller {
namespace {

struct DebouncerCase {
  std::string name;
  absl::Duration holdoff;
  absl::Duration max_delay;
  // The last build, as an offset from the epoch; none: never built.
  std::optional<absl::Duration> built_at;
  absl::Duration event_at;
  absl::Duration want_build_at;
};

void PrintTo(const DebouncerCase& c, std::ostream* os) { *os << c.name; }

class DebouncerTest : public testing::TestWithParam<DebouncerCase> {};

TEST_P(DebouncerTest, OnEvent) {
  const DebouncerCase& c = GetParam();
  const absl::Time epoch = absl::FromUnixSeconds(1000);
  Debouncer debouncer(c.holdoff, c.max_delay);
  if (c.built_at.has_value()) debouncer.OnBuilt(epoch + *c.built_at);
  EXPECT_EQ(debouncer.OnEvent(epoch + c.event_at), epoch + c.want_build_at);
}

constexpr absl::Duration Ms(int64_t n) { return absl::Milliseconds(n); }

INSTANTIATE_TEST_SUITE_P(
    Table, DebouncerTest,
    testing::Values(
        DebouncerCase{"never_built_builds_at_once", Ms(100), Ms(500), std::nullopt, Ms(0), Ms(0)},
        DebouncerCase{"just_built_holds_off", Ms(100), Ms(500), Ms(0), Ms(10), Ms(110)},
        DebouncerCase{"event_at_build_time_holds_off", Ms(100), Ms(500), Ms(0), Ms(0), Ms(100)},
        DebouncerCase{"within_cap_holds_off", Ms(100), Ms(500), Ms(0), Ms(499), Ms(599)},
        DebouncerCase{"exactly_at_cap_still_holds_off", Ms(100), Ms(500), Ms(0), Ms(500), Ms(600)},
        DebouncerCase{"past_cap_builds_at_once", Ms(100), Ms(500), Ms(0), Ms(501), Ms(501)},
        DebouncerCase{"long_quiet_builds_at_once", Ms(100), Ms(500), Ms(0), Ms(60000), Ms(60000)},
        DebouncerCase{"custom_holdoff", Ms(30), Ms(200), Ms(0), Ms(50), Ms(80)},
        DebouncerCase{"custom_cap", Ms(30), Ms(200), Ms(0), Ms(201), Ms(201)},
        DebouncerCase{"zero_holdoff_builds_at_event", absl::ZeroDuration(), Ms(500), Ms(0), Ms(10),
                      Ms(10)}),
    [](const testing::TestParamInfo<DebouncerCase>& info) { return info.param.name; });

// The last OnBuilt counts, not the first.
TEST(DebouncerTest, LaterBuildRestartsTheCap) {
  const absl::Time epoch = absl::FromUnixSeconds(1000);
  Debouncer debouncer(Ms(100), Ms(500));
  debouncer.OnBuilt(epoch);
  debouncer.OnBuilt(epoch + Ms(400));
  EXPECT_EQ(debouncer.OnEvent(epoch + Ms(600)), epoch + Ms(700));
}

// Contour's defaults: 100 ms holdoff, 500 ms cap.
TEST(DebouncerTest, Defaults) {
  const absl::Time epoch = absl::FromUnixSeconds(1000);
  Debouncer debouncer;
  debouncer.OnBuilt(epoch);
  EXPECT_EQ(debouncer.OnEvent(epoch + Ms(500)), epoch + Ms(600));
  EXPECT_EQ(debouncer.OnEvent(epoch + Ms(501)), epoch + Ms(501));
}

}  // namespace
}  // namespace contour::controller
