#include "common/go_duration.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"

namespace contour {
namespace {

struct Unit {
  std::string_view name;
  int64_t nanos;
};

constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000},  // U+03BC Greek mu
    {"ms", 1000 * 1000},
    {"s", 1000 * 1000 * 1000},
    {"m", int64_t{60} * 1000 * 1000 * 1000},
    {"h", int64_t{3600} * 1000 * 1000 * 1000},
};

// Debian's Abseil has its own string_view type, distinct from std::string_view.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Invalid(std::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", Absl(text), "\""));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return Invalid(text);

  // Accumulate in nanoseconds with overflow checks; fractions are kept as a scaled remainder.
  constexpr uint64_t kMax = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!IsDigit(s[0]) && s[0] != '.') return Invalid(text);
    uint64_t whole = 0;
    bool has_whole = false;
    bool overflow = false;
    while (!s.empty() && IsDigit(s[0])) {
      if (whole > (std::numeric_limits<uint64_t>::max() - 9) / 10) overflow = true;
      whole = whole * 10 + static_cast<uint64_t>(s[0] - '0');
      has_whole = true;
      s.remove_prefix(1);
    }
    if (overflow || whole > kMax) return Invalid(text);
    uint64_t fraction = 0;
    double scale = 1;
    bool has_fraction = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      while (!s.empty() && IsDigit(s[0])) {
        if (fraction <= (std::numeric_limits<uint64_t>::max() - 9) / 10 && scale < 1e18) {
          fraction = fraction * 10 + static_cast<uint64_t>(s[0] - '0');
          scale *= 10;
        }
        has_fraction = true;
        s.remove_prefix(1);
      }
    }
    if (!has_whole && !has_fraction) return Invalid(text);
    size_t unit_length = 0;
    while (unit_length < s.size() && s[unit_length] != '.' && !IsDigit(s[unit_length])) {
      ++unit_length;
    }
    if (unit_length == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("time: missing unit in duration \"", Absl(text), "\""));
    }
    std::string_view unit_name = s.substr(0, unit_length);
    s.remove_prefix(unit_length);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("time: unknown unit \"", Absl(unit_name),
                                                     "\" in duration \"", Absl(text), "\""));
    }
    const uint64_t per_unit = static_cast<uint64_t>(unit->nanos);
    if (whole > kMax / per_unit) return Invalid(text);
    uint64_t value = whole * per_unit;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(per_unit) / scale));
    }
    if (value > kMax || total > kMax - value) return Invalid(text);
    total += value;
  }
  if (total > kMax - (negative ? 0 : 1)) return Invalid(text);
  const int64_t nanos =
      negative ? -static_cast<int64_t>(total - 1) - 1 : static_cast<int64_t>(total);
  return absl::Nanoseconds(nanos);
}

std::string FormatGoDuration(absl::Duration duration) {
  if (duration == absl::ZeroDuration()) return "0s";
  const bool negative = duration < absl::ZeroDuration();
  // |min int64| does not fit; Go prints it specially too, so clamp by one nanosecond.
  int64_t nanos_signed = absl::ToInt64Nanoseconds(duration);
  uint64_t nanos = negative ? static_cast<uint64_t>(-(nanos_signed + 1)) + 1
                            : static_cast<uint64_t>(nanos_signed);
  std::string sign = negative ? "-" : "";

  auto with_fraction = [](uint64_t value, uint64_t unit, int digits) {
    std::string out = std::to_string(value / unit);
    uint64_t rest = value % unit;
    if (rest != 0) {
      std::string frac = std::to_string(rest);
      frac.insert(0, static_cast<size_t>(digits) - frac.size(), '0');
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    return out;
  };

  if (nanos < 1000) return sign + std::to_string(nanos) + "ns";
  if (nanos < 1000 * 1000) return sign + with_fraction(nanos, 1000, 3) + "\xC2\xB5s";
  if (nanos < 1000 * 1000 * 1000) return sign + with_fraction(nanos, 1000 * 1000, 6) + "ms";

  constexpr uint64_t kSecond = 1000 * 1000 * 1000;
  uint64_t hours = nanos / (3600 * kSecond);
  uint64_t rest = nanos % (3600 * kSecond);
  uint64_t minutes = rest / (60 * kSecond);
  rest %= 60 * kSecond;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += with_fraction(rest, kSecond, 9) + "s";
  return out;
}

}  // namespace contour
