#include "metrics/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace contour::metrics {
namespace {

// One sample line: `names` and `values` are the label pairs in the order they are written, and
// `extra_name` (if not empty) is written last, as expfmt writes a summary's quantile.
void AppendSample(std::string_view name, std::string_view suffix,
                  const std::vector<std::string_view>& names,
                  const std::vector<std::string_view>& values, std::string_view extra_name,
                  std::string_view extra_value, double value, std::string* out) {
  out->append(name).append(suffix);
  auto append_pair = [out](std::string_view label, std::string_view label_value) {
    out->append(label).append("=\"").append(EscapeLabelValue(label_value)).push_back('"');
  };
  if (!names.empty() || !extra_name.empty()) {
    out->push_back('{');
    for (size_t i = 0; i < names.size(); ++i) {
      if (i > 0) out->push_back(',');
      append_pair(names[i], values[i]);
    }
    if (!extra_name.empty()) {
      if (!names.empty()) out->push_back(',');
      append_pair(extra_name, extra_value);
    }
    out->push_back('}');
  }
  out->append(" ").append(FormatGoFloat(value)).push_back('\n');
}

// Indices of `label_names` in the order their pairs are written: sorted by name.
std::vector<size_t> SortedLabelOrder(const std::vector<std::string>& label_names) {
  std::vector<size_t> order(label_names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return label_names[a] < label_names[b]; });
  return order;
}

// Series sorted and deduplicated by their label values taken in `order`; those whose number of
// values does not match the family's are dropped, since they cannot be written.
template <typename S>
std::vector<const S*> SortedSeries(const std::vector<S>& all, const std::vector<size_t>& order) {
  std::vector<const S*> sorted;
  sorted.reserve(all.size());
  for (const S& s : all) {
    if (s.label_values.size() == order.size()) sorted.push_back(&s);
  }
  auto less = [&](const S* a, const S* b) {
    for (size_t i : order) {
      int c = a->label_values[i].compare(b->label_values[i]);
      if (c != 0) return c < 0;
    }
    return false;
  };
  std::stable_sort(sorted.begin(), sorted.end(), less);
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [&](const S* a, const S* b) { return !less(a, b) && !less(b, a); }),
               sorted.end());
  return sorted;
}

std::vector<std::string_view> Permuted(const std::vector<std::string>& values,
                                       const std::vector<size_t>& order) {
  std::vector<std::string_view> out;
  out.reserve(order.size());
  for (size_t i : order) out.push_back(values[i]);
  return out;
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kSummary:
      return "summary";
  }
  std::abort();  // every MetricType is handled above
}

void AppendFamily(const FamilySnapshot& family, std::string* out) {
  const std::vector<size_t> order = SortedLabelOrder(family.label_names);
  const std::vector<std::string_view> names = Permuted(family.label_names, order);
  if (family.type == MetricType::kSummary) {
    std::vector<const SummarySeries*> sorted = SortedSeries(family.summaries, order);
    if (sorted.empty()) return;
    absl::StrAppend(out, "# HELP ", family.name, " ", EscapeHelp(family.help), "\n", "# TYPE ",
                    family.name, " summary\n");
    for (const SummarySeries* s : sorted) {
      const std::vector<std::string_view> values = Permuted(s->label_values, order);
      for (const auto& [quantile, value] : s->quantiles) {
        AppendSample(family.name, "", names, values, "quantile", FormatGoFloat(quantile), value,
                     out);
      }
      AppendSample(family.name, "_sum", names, values, "", "", s->sum, out);
      AppendSample(family.name, "_count", names, values, "", "", static_cast<double>(s->count),
                   out);
    }
    return;
  }
  std::vector<const Series*> sorted = SortedSeries(family.series, order);
  if (sorted.empty()) return;
  absl::StrAppend(out, "# HELP ", family.name, " ", EscapeHelp(family.help), "\n", "# TYPE ",
                  family.name, " ", std::string(MetricTypeName(family.type)), "\n");
  for (const Series* s : sorted) {
    AppendSample(family.name, "", names, Permuted(s->label_values, order), "", "", s->value, out);
  }
}

std::string FormatGoFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";  // expfmt special-cases zero, so -0 is "0" too

  // The shortest round-tripping digits and the decimal exponent of the first one.
  char buf[64];
  const std::to_chars_result result =
      std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, result.ptr - buf);  // [-]d[.ddd]e(+|-)dd[d]
  const bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const bool negative_exponent = sci[e + 1] == '-';
  int exponent = 0;
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exponent);
  if (negative_exponent) exponent = -exponent;

  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {  // Go's %e: d.ddde±dd
    out.push_back(digits[0]);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    const int magnitude = std::abs(exponent);
    absl::StrAppend(&out, exponent < 0 ? "e-" : "e+", magnitude < 10 ? "0" : "", magnitude);
    return out;
  }
  // Go's %f with just enough fraction digits.
  const int point = exponent + 1;  // digits before the decimal point
  const int count = static_cast<int>(digits.size());
  if (point <= 0) {
    out.push_back('0');
  } else {
    for (int i = 0; i < point; ++i) out.push_back(i < count ? digits[i] : '0');
  }
  if (count > point) {
    out.push_back('.');
    for (int i = point; i < count; ++i) out.push_back(i < 0 ? '0' : digits[i]);
  }
  return out;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace contour::metrics
