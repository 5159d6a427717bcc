// The Prometheus text exposition format, version 0.0.4, written byte for byte as client_golang's
// expfmt writes it, so that a scrape of this server reads like a scrape of Contour.
#ifndef CONTOUR_METRICS_TEXT_FORMAT_H_
#define CONTOUR_METRICS_TEXT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace contour::metrics {

// The Content-Type of a scrape answered in this format.
inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kSummary };

// "counter", "gauge" or "summary", as written after `# TYPE name`.
std::string_view MetricTypeName(MetricType type);

// One series of a counter or gauge; label values in the family's label-name order.
struct Series {
  std::vector<std::string> label_values;
  double value = 0;
};

// One series of a summary: (quantile, value) pairs, ascending by quantile.
struct SummarySeries {
  std::vector<std::string> label_values;
  std::vector<std::pair<double, double>> quantiles;
  double sum = 0;
  uint64_t count = 0;
};

// A family as it stood at one scrape. `series` is used by counters and gauges, `summaries` by
// summaries. Neither need be sorted. Of series with the same label values the first is written;
// series with a number of label values other than the number of label names are left out.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> label_names;
  std::vector<Series> series;
  std::vector<SummarySeries> summaries;
};

// Appends `# HELP`, `# TYPE` and the samples of `family` to `out`. Label pairs are written sorted
// by label name and series sorted by their label values in that order, as client_golang does.
// A family without series writes nothing: client_golang leaves empty families out of a scrape.
void AppendFamily(const FamilySnapshot& family, std::string* out);

// Go's strconv.FormatFloat(v, 'g', -1, 64) as expfmt uses it: the shortest text that reads back
// as `v`, with an exponent when it is below -4 or at least 6 (so 123456 but 1.234567e+06, as
// every Go exporter prints large values), and "+Inf", "-Inf", "NaN"; -0 is written "0".
std::string FormatGoFloat(double v);

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);

}  // namespace contour::metrics

#endif  // CONTOUR_METRICS_TEXT_FORMAT_H_
