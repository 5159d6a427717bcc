// The strict text-format parser of tests/support, which the metrics tests lean on.
#include "tests/support/prometheus_text.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"
#include "metrics/registry.h"

namespace contour::testing {
namespace {

TEST(ParsePrometheusText, AcceptsWhatTheFormatAllows) {
  const std::string text =
      "# A comment, then a blank line.\n"
      "\n"
      "# TYPE http_requests_total counter\n"
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{ code = \"400\" , method=\"post\", } 3 -5\n"
      "# HELP msdos_file_access_time_seconds Escapes: \\\\ and \\n.\n"
      "# TYPE msdos_file_access_time_seconds untyped\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n"
      "\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "# HELP metric_without_labels_or_timestamp Tabs\tare blanks.\n"
      "#\tTYPE\tmetric_without_labels_or_timestamp\tgauge\n"
      "metric_without_labels_or_timestamp\t-Inf\n"
      "# HELP h A histogram.\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.05\"} 24054\n"
      "h_bucket{le=\"+Inf\"} 144320\n"
      "h_sum 53423\n"
      "h_count 144320\n"
      "# HELP s A summary.\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.5\"} NaN\n"
      "s_sum +1.7560473e+07\n"
      "s_count 2693\n"
      "# HELP empty A family with no samples.\n"
      "# TYPE empty gauge\n"
      "# HELP e_notation Numbers in every spelling.\n"
      "# TYPE e_notation gauge\n"
      "e_notation{v=\"1\"} .5\n"
      "e_notation{v=\"2\"} 5.\n"
      "e_notation{v=\"3\"} 1E-3\n";
  absl::StatusOr<ParsedMetrics> parsed = ParsePrometheusText(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const std::vector<std::pair<std::string, std::string>> want_types = {
      {"http_requests_total", "counter"},
      {"msdos_file_access_time_seconds", "untyped"},
      {"metric_without_labels_or_timestamp", "gauge"},
      {"h", "histogram"},
      {"s", "summary"},
      {"empty", "gauge"},
      {"e_notation", "gauge"},
  };
  EXPECT_EQ(parsed->FamilyTypes(), want_types);
  EXPECT_EQ(parsed->Value("http_requests_total", {{"method", "post"}, {"code", "400"}}), 3);
  EXPECT_EQ(parsed->Family("http_requests_total")->samples[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(parsed->Family("http_requests_total")->samples[1].timestamp_ms, -5);
  EXPECT_EQ(parsed->Family("msdos_file_access_time_seconds")->help, "Escapes: \\ and \n.");
  EXPECT_EQ(
      parsed->Value("msdos_file_access_time_seconds",
                    {{"path", "C:\\DIR\\FILE.TXT"}, {"error", "Cannot find file:\n\"FILE.TXT\""}}),
      1.458255915e9);
  EXPECT_EQ(parsed->Value("metric_without_labels_or_timestamp"),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parsed->Value("h_bucket", {{"le", "+Inf"}}), 144320);
  EXPECT_TRUE(std::isnan(parsed->Value("s", {{"quantile", "0.5"}}).value_or(0)));
  EXPECT_EQ(parsed->Value("s_sum"), 1.7560473e+07);
  EXPECT_EQ(parsed->Value("e_notation", {{"v", "1"}}), 0.5);
  EXPECT_EQ(parsed->Value("e_notation", {{"v", "2"}}), 5);
  EXPECT_EQ(parsed->Value("e_notation", {{"v", "3"}}), 0.001);
  EXPECT_EQ(parsed->Value("s", {{"quantile", "0.9"}}), std::nullopt);
  EXPECT_EQ(parsed->Value("nothing"), std::nullopt);
  EXPECT_TRUE(parsed->Family("empty")->samples.empty());

  absl::StatusOr<ParsedMetrics> empty = ParsePrometheusText("");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->families().empty());
}

TEST(ParsePrometheusText, AcceptsEveryRender) {
  metrics::Registry registry;
  ASSERT_TRUE(metrics::AddProcessMetrics(registry).ok());
  metrics::GaugeFamily* gauges = *registry.AddGaugeFamily("g", "Odd \\ help\n.", {"b", "a"});
  gauges->WithLabelValues({"", ""}).Set(std::nan(""));
  gauges->WithLabelValues({"\\\"\n", "{},= "}).Set(-std::numeric_limits<double>::infinity());
  gauges->WithLabelValues({"x", "y"}).Set(1e-300);
  metrics::SummaryFamily* summaries = *registry.AddSummaryFamily("s", "S.", {"op"});
  summaries->WithLabelValues({"get"}).Observe(2);
  summaries->WithLabelValues({"put"});  // nothing observed: NaN quantiles
  (*registry.AddCounter("c_total", "C."))->Add(uint64_t{1} << 62);
  for (int round = 0; round < 3; ++round) {
    const std::string text = registry.Render();
    absl::StatusOr<ParsedMetrics> parsed = ParsePrometheusText(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
    EXPECT_EQ(parsed->Value("g", {{"a", "{},= "}, {"b", "\\\"\n"}}),
              -std::numeric_limits<double>::infinity());
    EXPECT_EQ(parsed->Value("c_total"), static_cast<double>(uint64_t{1} << 62));
    EXPECT_EQ(parsed->Value("s_count", {{"op", "put"}}), 0);
  }
}

struct BadCase {
  std::string name;
  std::string text;
  std::string want_in_error;
};

TEST(ParsePrometheusText, RejectsBadInput) {
  const std::string head = "# HELP a A.\n# TYPE a gauge\n";
  const BadCase cases[] = {
      {"missing TYPE", "# HELP a A.\na 1\n", "before HELP and TYPE"},
      {"missing TYPE at the end", "# HELP a A.\n", "has no TYPE"},
      {"missing TYPE before the next family", "# HELP a A.\n# HELP b B.\n# TYPE b gauge\n",
       "a has no TYPE"},
      {"missing HELP", "# TYPE a gauge\na 1\n", "before HELP and TYPE"},
      {"duplicate TYPE", head + "# TYPE a gauge\na 1\n", "second TYPE"},
      {"duplicate HELP", head + "# HELP a A.\na 1\n", "second HELP"},
      {"TYPE after samples", "# HELP a A.\n# TYPE a gauge\na 1\n# TYPE a counter\n",
       "after its samples"},
      {"unknown type", "# HELP a A.\n# TYPE a gaugee\n", "unknown type"},
      {"text after TYPE", "# HELP a A.\n# TYPE a gauge extra\n", "text after the TYPE"},
      {"invalid name in TYPE", "# HELP 1a A.\n", "invalid metric name"},
      {"bad escape in label value", head + "a{l=\"x\\y\"} 1\n", "bad escape"},
      {"bad escape in HELP", "# HELP a say \\\"hi\\\"\n# TYPE a gauge\n", "bad escape"},
      {"trailing backslash in HELP", "# HELP a A\\\n# TYPE a gauge\n", "backslash at the end"},
      {"unterminated label value", head + "a{l=\"x} 1\n", "unterminated"},
      {"unterminated label set", head + "a{l=\"x\" 1\n", "expected ',' or '}'"},
      {"unquoted label value", head + "a{l=x} 1\n", "not quoted"},
      {"bad label name", head + "a{1l=\"x\"} 1\n", "bad label name"},
      {"repeated label", head + "a{l=\"1\",l=\"2\"} 1\n", "repeated"},
      {"duplicate series", head + "a{l=\"1\"} 1\na{l=\"1\"} 2\n", "duplicate series"},
      {"duplicate series, labels reordered", head + "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n",
       "duplicate series"},
      {"duplicate series without labels", head + "a 1\na{} 2\n", "duplicate series"},
      {"missing final newline", head + "a 1", "newline"},
      {"sample of another family", head + "b 1\n", "not of the gauge family a"},
      {"_sum of a gauge", head + "a_sum 1\n", "not of the gauge family a"},
      {"_bucket of a summary", "# HELP a A.\n# TYPE a summary\na_bucket{le=\"1\"} 1\n",
       "not of the summary family"},
      {"summary sample without quantile", "# HELP a A.\n# TYPE a summary\na 1\n",
       "no quantile label"},
      {"quantile not a float", "# HELP a A.\n# TYPE a summary\na{quantile=\"half\"} 1\n",
       "not a float"},
      {"_sum with a quantile", "# HELP a A.\n# TYPE a summary\na_sum{quantile=\"0.5\"} 1\n",
       "has a quantile or le label"},
      {"bucket without le", "# HELP a A.\n# TYPE a histogram\na_bucket 1\n", "no le label"},
      {"family twice", head + "a 1\n# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a A.\n",
       "appears twice"},
      {"bad value", head + "a 1.2.3\n", "bad value"},
      {"word value", head + "a one\n", "bad value"},
      {"hex value", head + "a 0x10\n", "bad value"},
      {"lower-case inf", head + "a +inf\n", "bad value"},
      {"Inf without sign", head + "a Inf\n", "bad value"},
      {"out of range", head + "a 1e999\n", "bad value"},
      {"exponent without digits", head + "a 1e\n", "bad value"},
      {"no value", head + "a\n", "no blank before the value"},
      {"no blank before value", head + "a{l=\"x\"}1\n", "no blank before the value"},
      {"bad timestamp", head + "a 1 1.5\n", "bad timestamp"},
      {"text after timestamp", head + "a 1 2 3\n", "text after the timestamp"},
      {"sample before any family", "a 1\n", "before HELP and TYPE"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<ParsedMetrics> parsed = ParsePrometheusText(c.text);
    ASSERT_FALSE(parsed.ok()) << c.name;
    EXPECT_NE(parsed.status().message().find(c.want_in_error), absl::string_view::npos)
        << c.name << ": " << parsed.status();
  }
}

TEST(ParsePrometheusText, ErrorsNameTheLine) {
  absl::StatusOr<ParsedMetrics> parsed =
      ParsePrometheusText("# HELP a A.\n# TYPE a gauge\na 1\na 2\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 4:"), absl::string_view::npos) << parsed.status();
}

}  // namespace
}  // namespace contour::testing
