#include "metrics/text_format.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace contour::metrics {
namespace {

struct FloatCase {
  std::string name;
  double value;
  std::string want;  // what Go's strconv.FormatFloat(v, 'g', -1, 64) prints
};

TEST(FormatGoFloat, MatchesGo) {
  const FloatCase cases[] = {
      {"zero", 0, "0"},
      {"negative zero", -0.0, "0"},
      {"one", 1, "1"},
      {"minus one", -1, "-1"},
      {"half", 0.5, "0.5"},
      {"tenth", 0.1, "0.1"},
      {"third", 1.0 / 3, "0.3333333333333333"},
      {"hundred", 100, "100"},
      {"six digits", 123456, "123456"},
      {"six digits and a fraction", 123456.7, "123456.7"},
      {"a million", 1e6, "1e+06"},
      {"seven digits", 1234567, "1.234567e+06"},
      {"2^53", 9007199254740992.0, "9.007199254740992e+15"},
      {"unix time", 1700000000.5, "1.7000000005e+09"},
      {"small", 0.0001, "0.0001"},
      {"smaller", 0.00001, "1e-05"},
      {"smaller still", 0.000012345, "1.2345e-05"},
      {"negative small", -0.00025, "-0.00025"},
      {"huge", 1.5e300, "1.5e+300"},
      {"tiny", 5e-324, "5e-324"},
      {"largest", std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {"2^64", 18446744073709551616.0, "1.8446744073709552e+19"},
      {"+Inf", std::numeric_limits<double>::infinity(), "+Inf"},
      {"-Inf", -std::numeric_limits<double>::infinity(), "-Inf"},
      {"NaN", std::nan(""), "NaN"},
  };
  for (const FloatCase& c : cases) {
    EXPECT_EQ(FormatGoFloat(c.value), c.want) << c.name;
  }
}

TEST(Escape, LabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd\te"), "a\\\\b\\\"c\\nd\te");
  EXPECT_EQ(EscapeHelp("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(AppendFamily, SortsLabelPairsAndSeriesAndDropsDuplicates) {
  FamilySnapshot family;
  family.name = "f";
  family.help = "h";
  family.type = MetricType::kCounter;
  family.label_names = {"z", "a"};
  family.series = {
      {{"1", "y"}, 1}, {{"2", "x"}, 2}, {{"0", "x"}, 3}, {{"1", "y"}, 4}, {{"wrong arity"}, 5}};
  std::string out;
  AppendFamily(family, &out);
  EXPECT_EQ(out,
            "# HELP f h\n"
            "# TYPE f counter\n"
            "f{a=\"x\",z=\"0\"} 3\n"
            "f{a=\"x\",z=\"2\"} 2\n"
            "f{a=\"y\",z=\"1\"} 1\n");
}

TEST(AppendFamily, EmptyFamilyWritesNothing) {
  FamilySnapshot family{"f", "h", MetricType::kGauge, {"a"}, {}, {}};
  std::string out;
  AppendFamily(family, &out);
  EXPECT_EQ(out, "");
}

TEST(AppendFamily, SummaryPutsQuantileLast) {
  FamilySnapshot family;
  family.name = "s";
  family.help = "h";
  family.type = MetricType::kSummary;
  family.label_names = {"op"};
  family.summaries = {{{"get"}, {{0.5, 1}, {0.99, std::nan("")}}, 2.5, 3}};
  std::string out;
  AppendFamily(family, &out);
  EXPECT_EQ(out,
            "# HELP s h\n"
            "# TYPE s summary\n"
            "s{op=\"get\",quantile=\"0.5\"} 1\n"
            "s{op=\"get\",quantile=\"0.99\"} NaN\n"
            "s_sum{op=\"get\"} 2.5\n"
            "s_count{op=\"get\"} 3\n");
}

}  // namespace
}  // namespace contour::metrics
