#include "k8s/yaml_scalar.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace contour::k8s {
namespace {

using nlohmann::json;

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kBinaryTag = "tag:yaml.org,2002:binary";

// go-yaml v2's resolve table (resolve.go).
std::optional<json> LookupWord(std::string_view s) {
  for (std::string_view word :
       {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    if (s == word) return json(true);
  }
  for (std::string_view word :
       {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    if (s == word) return json(false);
  }
  for (std::string_view word : {"", "~", "null", "Null", "NULL"}) {
    if (s == word) return json(nullptr);
  }
  for (std::string_view word : {".nan", ".NaN", ".NAN"}) {
    if (s == word) return json(std::numeric_limits<double>::quiet_NaN());
  }
  for (std::string_view word : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (s == word) return json(std::numeric_limits<double>::infinity());
  }
  for (std::string_view word : {"-.inf", "-.Inf", "-.INF"}) {
    if (s == word) return json(-std::numeric_limits<double>::infinity());
  }
  return std::nullopt;
}

struct ParsedInt {
  bool negative = false;
  uint64_t magnitude = 0;
};

// Go's strconv.ParseUint(s, 0, 64) digits with an optional sign: 0x, 0o, 0b prefixes and a
// leading 0 for octal. nullopt on syntax error or uint64 overflow.
std::optional<ParsedInt> ParseGoInteger(std::string_view s) {
  ParsedInt result;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    result.negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() >= 2 && s[0] == '0') {
    char prefix = static_cast<char>(s[1] | 0x20);
    if (prefix == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else if (prefix == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (prefix == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), result.magnitude, base);
  if (error != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return result;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

std::optional<json> ParseNumber(std::string_view in) {
  std::string plain;
  plain.reserve(in.size());
  for (char c : in) {
    if (c != '_') plain.push_back(c);
  }
  if (std::optional<ParsedInt> parsed = ParseGoInteger(plain)) {
    constexpr uint64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
    if (!parsed->negative) {
      if (parsed->magnitude <= kMaxInt64) return json(static_cast<int64_t>(parsed->magnitude));
      // ParseUint rejects a sign.
      if (plain.front() != '+') return json(parsed->magnitude);
    } else if (parsed->magnitude <= kMaxInt64 + 1) {
      return json(static_cast<int64_t>(0 - parsed->magnitude));
    }
  }
  if (IsYamlStyleFloat(plain)) {
    std::string_view digits = plain;
    if (digits.front() == '+') digits.remove_prefix(1);  // from_chars takes no '+'
    double value = 0;
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error == std::errc() && end == digits.data() + digits.size()) return json(value);
  }
  return std::nullopt;
}

}  // namespace

json ResolveYamlScalar(std::string_view value, std::string_view tag) {
  if (tag == "!" || tag == kStrTag || tag == kBinaryTag) return json(value);
  if (value.empty()) return json(nullptr);
  char first = value.front();
  bool numeric_start =
      (first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.';
  if (numeric_start || std::string_view("yYnNtTfFoO~").find(first) != std::string_view::npos) {
    if (std::optional<json> word = LookupWord(value)) return *std::move(word);
  }
  if (numeric_start) {
    if (std::optional<json> number = ParseNumber(value)) return *std::move(number);
  }
  return json(value);
}

}  // namespace contour::k8s
