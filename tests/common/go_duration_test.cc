#include "common/go_duration.h"

#include <string>

#include "gtest/gtest.h"

namespace contour {
namespace {

struct ParseCase {
  std::string name;
  std::string input;
  bool ok;
  absl::Duration want;
};

TEST(ParseGoDuration, Table) {
  const ParseCase cases[] = {
      {"zero", "0", true, absl::ZeroDuration()},
      {"seconds", "10s", true, absl::Seconds(10)},
      {"milliseconds", "500ms", true, absl::Milliseconds(500)},
      {"microseconds", "10us", true, absl::Microseconds(10)},
      {"micro sign", "10\xC2\xB5s", true, absl::Microseconds(10)},
      {"nanoseconds", "7ns", true, absl::Nanoseconds(7)},
      {"compound", "1h2m3.5s", true, absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
      {"fraction only", ".5s", true, absl::Milliseconds(500)},
      {"trailing dot", "1.s", true, absl::Seconds(1)},
      {"negative", "-1.5h", true, -absl::Minutes(90)},
      {"plus sign", "+3m", true, absl::Minutes(3)},
      {"bare number", "10", false, {}},
      {"empty", "", false, {}},
      {"unknown unit", "3d", false, {}},
      {"space", "1 s", false, {}},
      {"only sign", "-", false, {}},
      {"dot alone", ".s", false, {}},
      {"infinity word", "infinity", false, {}},
      {"overflow", "9999999999999999999h", false, {}},
      {"largest", "2562047h47m16.854775807s", true, absl::Nanoseconds(INT64_MAX)},
      {"one past largest", "2562047h47m16.854775808s", false, {}},
  };
  for (const ParseCase& c : cases) {
    absl::StatusOr<absl::Duration> got = ParseGoDuration(c.input);
    EXPECT_EQ(got.ok(), c.ok) << c.name << ": " << got.status();
    if (c.ok && got.ok()) EXPECT_EQ(*got, c.want) << c.name;
  }
}

TEST(ParseGoDuration, ErrorNamesTheInput) {
  EXPECT_EQ(ParseGoDuration("3d").status().message(),
            "time: unknown unit \"d\" in duration \"3d\"");
  EXPECT_EQ(ParseGoDuration("10").status().message(), "time: missing unit in duration \"10\"");
}

TEST(FormatGoDuration, Table) {
  const std::pair<absl::Duration, std::string> cases[] = {
      {absl::ZeroDuration(), "0s"},       {absl::Seconds(2), "2s"},
      {absl::Seconds(10), "10s"},         {absl::Seconds(90), "1m30s"},
      {absl::Hours(1), "1h0m0s"},         {absl::Milliseconds(1500), "1.5s"},
      {absl::Milliseconds(250), "250ms"}, {absl::Microseconds(3), "3\xC2\xB5s"},
      {absl::Nanoseconds(12), "12ns"},    {-absl::Seconds(5), "-5s"},
  };
  for (const auto& [duration, want] : cases) {
    EXPECT_EQ(FormatGoDuration(duration), want);
  }
}

TEST(GoDuration, RoundTrips) {
  for (const char* text : {"1h2m3.5s", "250ms", "1m30s", "45s", "1.000000001s"}) {
    absl::StatusOr<absl::Duration> parsed = ParseGoDuration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(FormatGoDuration(*parsed), text);
  }
}

}  // namespace
}  // namespace contour
