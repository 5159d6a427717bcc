#include "tests/support/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace contour::testing {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c)))) return false;
  }
  return true;
}

// Digits, optionally signed, with an optional fraction and exponent; or +Inf, -Inf, NaN.
std::optional<double> ParseFloat(std::string_view text) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  const size_t number_start = i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++int_digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && IsDigit(text[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < text.size() && IsDigit(text[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // from_chars takes no leading '+'.
  const char* begin = text.data() + (text[0] == '+' ? number_start : 0);
  double value = 0;
  const std::from_chars_result result = std::from_chars(begin, text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  const std::from_chars_result result =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Reads one line: a cursor with the errors of the text format.
class LineReader {
 public:
  explicit LineReader(std::string_view line) : line_(line) {}

  bool AtEnd() const { return pos_ == line_.size(); }
  char Peek() const { return line_[pos_]; }
  void Advance() { ++pos_; }
  // Skips blanks; true if there were any.
  bool SkipBlanks() {
    const size_t start = pos_;
    while (!AtEnd() && IsBlank(Peek())) ++pos_;
    return pos_ > start;
  }
  // Characters up to the next blank or the end.
  std::string_view Token() {
    const size_t start = pos_;
    while (!AtEnd() && !IsBlank(Peek())) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  std::string_view MetricName() {
    const size_t start = pos_;
    while (!AtEnd() && (IsAlpha(Peek()) || Peek() == '_' || Peek() == ':' ||
                        (pos_ > start && IsDigit(Peek())))) {
      ++pos_;
    }
    return line_.substr(start, pos_ - start);
  }
  std::string_view LabelName() {
    const size_t start = pos_;
    while (!AtEnd() && (IsAlpha(Peek()) || Peek() == '_' || (pos_ > start && IsDigit(Peek())))) {
      ++pos_;
    }
    return line_.substr(start, pos_ - start);
  }
  std::string_view Rest() {
    std::string_view rest = line_.substr(pos_);
    pos_ = line_.size();
    return rest;
  }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

// Undoes the escapes of HELP text (`quote` false) or a label value (`quote` true).
absl::StatusOr<std::string> Unescape(std::string_view text, bool quote) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (++i == text.size()) return absl::InvalidArgumentError("backslash at the end");
    switch (text[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case '"':
        if (quote) {
          out.push_back('"');
          break;
        }
        [[fallthrough]];
      default:
        return absl::InvalidArgumentError(absl::StrCat("bad escape \\", std::string(1, text[i])));
    }
  }
  return out;
}

struct FamilyState {
  bool help = false;
  bool type = false;
  std::set<std::pair<std::string, PrometheusLabels>> series;
};

class Parser {
 public:
  absl::StatusOr<ParsedMetrics> Parse(std::string_view text) {
    if (!text.empty() && text.back() != '\n') {
      return absl::InvalidArgumentError("the text does not end with a newline");
    }
    size_t start = 0;
    while (start < text.size()) {
      const size_t end = text.find('\n', start);
      ++line_number_;
      if (absl::Status status = Line(text.substr(start, end - start)); !status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number_, ": ", status.message()));
      }
      start = end + 1;
    }
    if (absl::Status status = CloseFamily(); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("at the end: ", status.message()));
    }
    return ParsedMetrics(std::move(families_));
  }

 private:
  absl::Status Line(std::string_view line) {
    LineReader r(line);
    r.SkipBlanks();
    if (r.AtEnd()) return absl::OkStatus();  // blank lines are ignored
    if (r.Peek() == '#') {
      r.Advance();
      r.SkipBlanks();
      const std::string_view keyword = r.Token();
      if (keyword != "HELP" && keyword != "TYPE") return absl::OkStatus();  // a comment
      if (!r.SkipBlanks())
        return absl::InvalidArgumentError("no metric name after # " + S(keyword));
      const std::string_view name = r.Token();
      if (!ValidMetricName(name)) {
        return absl::InvalidArgumentError("invalid metric name \"" + S(name) + "\"");
      }
      if (absl::Status status = Declare(name); !status.ok()) return status;
      ParsedFamily& family = families_.back();
      if (keyword == "HELP") {
        if (state_.help) return absl::InvalidArgumentError("second HELP for " + S(name));
        state_.help = true;
        std::string_view docstring;
        if (r.SkipBlanks()) docstring = r.Rest();
        if (!r.AtEnd()) return absl::InvalidArgumentError("no blank after the HELP name");
        absl::StatusOr<std::string> help = Unescape(docstring, /*quote=*/false);
        if (!help.ok()) return absl::InvalidArgumentError("HELP: " + S(help.status().message()));
        family.help = *std::move(help);
        return absl::OkStatus();
      }
      if (state_.type) return absl::InvalidArgumentError("second TYPE for " + S(name));
      state_.type = true;
      r.SkipBlanks();
      const std::string_view type = r.Token();
      r.SkipBlanks();
      if (!r.AtEnd()) return absl::InvalidArgumentError("text after the TYPE");
      if (type != "counter" && type != "gauge" && type != "summary" && type != "histogram" &&
          type != "untyped") {
        return absl::InvalidArgumentError("unknown type \"" + S(type) + "\"");
      }
      family.type = type;
      return absl::OkStatus();
    }
    return Sample(r);
  }

  // A HELP or TYPE line for `name`: the current family's, or the start of the next one.
  absl::Status Declare(std::string_view name) {
    if (!families_.empty() && families_.back().name == name) {
      if (!families_.back().samples.empty()) {
        return absl::InvalidArgumentError("HELP or TYPE of " + S(name) + " after its samples");
      }
      return absl::OkStatus();
    }
    if (absl::Status status = CloseFamily(); !status.ok()) return status;
    if (!seen_.insert(std::string(name)).second) {
      return absl::InvalidArgumentError("family " + S(name) + " appears twice");
    }
    families_.push_back(ParsedFamily{std::string(name), "", "", {}});
    state_ = FamilyState();
    return absl::OkStatus();
  }

  absl::Status CloseFamily() {
    if (families_.empty()) return absl::OkStatus();
    if (!state_.help)
      return absl::InvalidArgumentError("family " + families_.back().name + " has no HELP");
    if (!state_.type)
      return absl::InvalidArgumentError("family " + families_.back().name + " has no TYPE");
    return absl::OkStatus();
  }

  absl::Status Sample(LineReader& r) {
    ParsedSample sample;
    sample.name = std::string(r.MetricName());
    if (sample.name.empty()) return absl::InvalidArgumentError("no metric name");
    if (families_.empty() || !state_.help || !state_.type) {
      return absl::InvalidArgumentError("sample " + sample.name + " before HELP and TYPE");
    }
    ParsedFamily& family = families_.back();
    if (absl::Status status = CheckName(family, sample.name); !status.ok()) return status;

    if (!r.AtEnd() && r.Peek() == '{') {
      r.Advance();
      if (absl::Status status = Labels(r, sample.labels); !status.ok()) return status;
    }
    if (!r.SkipBlanks()) return absl::InvalidArgumentError("no blank before the value");
    const std::string_view value_text = r.Token();
    std::optional<double> value = ParseFloat(value_text);
    if (!value) return absl::InvalidArgumentError("bad value \"" + S(value_text) + "\"");
    sample.value = *value;
    r.SkipBlanks();
    if (!r.AtEnd()) {
      const std::string_view timestamp_text = r.Token();
      sample.timestamp_ms = ParseTimestamp(timestamp_text);
      if (!sample.timestamp_ms) {
        return absl::InvalidArgumentError("bad timestamp \"" + S(timestamp_text) + "\"");
      }
      r.SkipBlanks();
      if (!r.AtEnd()) return absl::InvalidArgumentError("text after the timestamp");
    }

    if (absl::Status status = CheckSpecialLabels(family, sample); !status.ok()) return status;
    if (!state_.series.emplace(sample.name, sample.labels).second) {
      return absl::InvalidArgumentError("duplicate series " + sample.name);
    }
    family.samples.push_back(std::move(sample));
    return absl::OkStatus();
  }

  static absl::Status CheckName(const ParsedFamily& family, const std::string& name) {
    std::vector<std::string> allowed;
    if (family.type == "summary") {
      allowed = {family.name, family.name + "_sum", family.name + "_count"};
    } else if (family.type == "histogram") {
      allowed = {family.name + "_bucket", family.name + "_sum", family.name + "_count"};
    } else {
      allowed = {family.name};
    }
    for (const std::string& a : allowed) {
      if (a == name) return absl::OkStatus();
    }
    return absl::InvalidArgumentError("sample " + name + " is not of the " + family.type +
                                      " family " + family.name);
  }

  static absl::Status CheckSpecialLabels(const ParsedFamily& family, const ParsedSample& sample) {
    std::string label;
    if (family.type == "summary" && sample.name == family.name) label = "quantile";
    if (family.type == "histogram" && sample.name == family.name + "_bucket") label = "le";
    if (!label.empty()) {
      auto it = sample.labels.find(label);
      if (it == sample.labels.end()) {
        return absl::InvalidArgumentError("sample " + sample.name + " has no " + label + " label");
      }
      if (!ParseFloat(it->second)) {
        return absl::InvalidArgumentError("sample " + sample.name + ": " + label + "=\"" +
                                          it->second + "\" is not a float");
      }
    } else if ((family.type == "summary" || family.type == "histogram") &&
               (sample.labels.contains("quantile") || sample.labels.contains("le"))) {
      return absl::InvalidArgumentError("sample " + sample.name + " has a quantile or le label");
    }
    return absl::OkStatus();
  }

  // After the '{': pairs up to and including the '}'.
  static absl::Status Labels(LineReader& r, PrometheusLabels& labels) {
    while (true) {
      r.SkipBlanks();
      if (r.AtEnd()) return absl::InvalidArgumentError("unterminated label set");
      if (r.Peek() == '}') {
        r.Advance();
        return absl::OkStatus();
      }
      const std::string name(r.LabelName());
      if (name.empty()) return absl::InvalidArgumentError("bad label name");
      r.SkipBlanks();
      if (r.AtEnd() || r.Peek() != '=') {
        return absl::InvalidArgumentError("no '=' after label " + name);
      }
      r.Advance();
      r.SkipBlanks();
      if (r.AtEnd() || r.Peek() != '"') {
        return absl::InvalidArgumentError("label " + name + ": value not quoted");
      }
      r.Advance();
      std::string raw;
      bool closed = false;
      while (!r.AtEnd()) {
        const char c = r.Peek();
        r.Advance();
        if (c == '"') {
          closed = true;
          break;
        }
        raw.push_back(c);
        if (c == '\\' && !r.AtEnd()) {
          raw.push_back(r.Peek());
          r.Advance();
        }
      }
      if (!closed) return absl::InvalidArgumentError("label " + name + ": unterminated value");
      absl::StatusOr<std::string> value = Unescape(raw, /*quote=*/true);
      if (!value.ok()) {
        return absl::InvalidArgumentError("label " + name + ": " + S(value.status().message()));
      }
      if (!labels.emplace(name, *std::move(value)).second) {
        return absl::InvalidArgumentError("label " + name + " repeated");
      }
      r.SkipBlanks();
      if (r.AtEnd()) return absl::InvalidArgumentError("unterminated label set");
      if (r.Peek() == ',') {
        r.Advance();
      } else if (r.Peek() != '}') {
        return absl::InvalidArgumentError("expected ',' or '}' after label " + name);
      }
    }
  }

  template <typename T>
  static std::string S(T text) {
    return std::string(text.data(), text.size());
  }

  int line_number_ = 0;
  std::vector<ParsedFamily> families_;
  std::set<std::string> seen_;
  FamilyState state_;  // of families_.back()
};

}  // namespace

std::vector<std::pair<std::string, std::string>> ParsedMetrics::FamilyTypes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ParsedFamily& f : families_) out.emplace_back(f.name, f.type);
  return out;
}

const ParsedFamily* ParsedMetrics::Family(std::string_view name) const {
  for (const ParsedFamily& f : families_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<double> ParsedMetrics::Value(std::string_view sample_name,
                                           const PrometheusLabels& labels) const {
  for (const ParsedFamily& f : families_) {
    for (const ParsedSample& s : f.samples) {
      if (s.name == sample_name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<ParsedMetrics> ParsePrometheusText(std::string_view text) {
  return Parser().Parse(text);
}

}  // namespace contour::testing
