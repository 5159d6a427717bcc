// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it accepts what the
// format allows and rejects, with the line number, whatever a scraper would choke on or silently
// misread. Stricter than Prometheus in that every family must declare both HELP and TYPE before
// its samples, and backslash escapes other than those the format defines are errors.
#ifndef CONTOUR_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
#define CONTOUR_TESTS_SUPPORT_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace contour::testing {

using PrometheusLabels = std::map<std::string, std::string>;

struct ParsedSample {
  std::string name;  // the family's name, or it with _sum, _count or _bucket
  PrometheusLabels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct ParsedFamily {
  std::string name;
  std::string help;                   // unescaped
  std::string type;                   // counter, gauge, summary, histogram or untyped
  std::vector<ParsedSample> samples;  // in text order
};

class ParsedMetrics {
 public:
  explicit ParsedMetrics(std::vector<ParsedFamily> families) : families_(std::move(families)) {}

  // In text order.
  const std::vector<ParsedFamily>& families() const { return families_; }
  // (name, type) of each family, in text order.
  std::vector<std::pair<std::string, std::string>> FamilyTypes() const;
  const ParsedFamily* Family(std::string_view name) const;
  // The value of the sample called `sample_name` with exactly `labels` (a summary's quantile
  // and a histogram's le included); nullopt if there is none.
  std::optional<double> Value(std::string_view sample_name,
                              const PrometheusLabels& labels = {}) const;

 private:
  std::vector<ParsedFamily> families_;
};

// Rules enforced: the text is empty or ends with a newline; each family has exactly one HELP and
// one TYPE (counter, gauge, summary, histogram, untyped), both before its samples, and appears
// once; each sample is named after the family it follows (with _sum and _count for summaries and
// histograms, _bucket for histograms only); a summary's own samples carry a float `quantile`
// label and a histogram's buckets a float `le`; label names are valid and not repeated, label
// values are quoted with only \\, \" and \n escapes, HELP text with only \\ and \n; no two
// samples have the same name and label set; values are floats (+Inf, -Inf and NaN spelt so) and
// the optional timestamp an int64. Blank lines and other # comments are ignored, as the format
// says.
absl::StatusOr<ParsedMetrics> ParsePrometheusText(std::string_view text);

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_PROMETHEUS_TEXT_H_
