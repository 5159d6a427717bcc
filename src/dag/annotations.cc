#include "dag/annotations.h"

#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/go_duration.h"

namespace contour::dag {
namespace {

// The annotation's value, "" when absent.
std::string_view ValueOf(const Annotations& annotations, std::string_view key) {
  const std::string* value = FindAnnotation(annotations, key);
  return value == nullptr ? std::string_view() : *value;
}

// The trimmed, non-empty entries of a comma-separated list.
std::vector<std::string> CommaList(std::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view entry : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (!entry.empty()) out.emplace_back(entry);
  }
  return out;
}

uint32_t PositiveOrZero(int32_t value) { return value > 0 ? static_cast<uint32_t>(value) : 0; }

}  // namespace

const std::string* FindAnnotation(const Annotations& annotations, std::string_view key) {
  // Most objects carry no annotations: spare building a std::string key (the map has no
  // heterogeneous lookup) for nothing.
  if (annotations.empty()) return nullptr;
  auto it = annotations.find(std::string(key));
  return it == annotations.end() ? nullptr : &it->second;
}

int32_t ParseInt32Annotation(const Annotations& annotations, std::string_view key) {
  std::string_view text = ValueOf(annotations, key);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return 0;
  uint64_t magnitude = 0;
  bool overflow = false;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;  // Go: syntax error → 0
    if (!overflow) {
      magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
      if (magnitude > (uint64_t{1} << 32)) overflow = true;
    }
  }
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  if (negative) {
    if (overflow || magnitude > static_cast<uint64_t>(-kMin)) return static_cast<int32_t>(kMin);
    return static_cast<int32_t>(-static_cast<int64_t>(magnitude));
  }
  if (overflow || magnitude > static_cast<uint64_t>(kMax)) return static_cast<int32_t>(kMax);
  return static_cast<int32_t>(magnitude);
}

bool TlsRequired(const Annotations& annotations) {
  return ValueOf(annotations, kAnnotationForceSslRedirect) == "true";
}

bool HttpAllowed(const Annotations& annotations) {
  return ValueOf(annotations, kAnnotationAllowHttp) != "false";
}

std::set<std::string> WebsocketRoutes(const Annotations& annotations) {
  std::vector<std::string> routes = CommaList(ValueOf(annotations, kAnnotationWebsocketRoutes));
  return {routes.begin(), routes.end()};
}

Timeout ParseTimeout(std::string_view text) {
  if (text.empty()) return Timeout{};
  if (text == "infinity") return Timeout{Timeout::Kind::kInfinite};
  absl::StatusOr<absl::Duration> duration = ParseGoDuration(text);
  if (!duration.ok() || *duration < absl::ZeroDuration()) {
    return Timeout{Timeout::Kind::kInfinite};
  }
  if (*duration == absl::ZeroDuration()) return Timeout{};
  return Timeout{Timeout::Kind::kValue, *duration};
}

Timeout RequestTimeout(const Annotations& annotations) {
  return ParseTimeout(ValueOf(annotations, kAnnotationRequestTimeout));
}

std::optional<RetryPolicy> IngressRetryPolicy(const Annotations& annotations) {
  const std::string_view retry_on = ValueOf(annotations, kAnnotationRetryOn);
  if (retry_on.empty()) return std::nullopt;
  RetryPolicy policy;
  policy.retry_on = std::string(retry_on);
  policy.num_retries = PositiveOrZero(ParseInt32Annotation(annotations, kAnnotationNumRetries));
  Timeout per_try = ParseTimeout(ValueOf(annotations, kAnnotationPerTryTimeout));
  if (per_try.kind == Timeout::Kind::kValue) policy.per_try_timeout = per_try.value;
  return policy;
}

TlsVersion ParseTlsVersion(std::string_view text) {
  if (text == "1.3") return TlsVersion::k1_3;
  if (text == "1.2") return TlsVersion::k1_2;
  return TlsVersion::k1_1;
}

UpstreamProtocol UpstreamProtocolFor(const Annotations& annotations, const std::string& port_name,
                                     int64_t port_number) {
  // In this order, so that a later protocol wins for a port listed under several.
  constexpr std::pair<const char*, UpstreamProtocol> kProtocols[] = {
      {kAnnotationUpstreamProtocolH2, UpstreamProtocol::kH2},
      {kAnnotationUpstreamProtocolH2c, UpstreamProtocol::kH2c},
      {kAnnotationUpstreamProtocolTls, UpstreamProtocol::kTls},
  };
  std::map<std::string, UpstreamProtocol> by_port;
  for (const auto& [key, protocol] : kProtocols) {
    for (const std::string& port : CommaList(ValueOf(annotations, key))) by_port[port] = protocol;
  }
  if (!port_name.empty()) {
    if (auto it = by_port.find(port_name); it != by_port.end()) return it->second;
  }
  if (auto it = by_port.find(std::to_string(port_number)); it != by_port.end()) {
    return it->second;
  }
  return UpstreamProtocol::kHttp1;
}

CircuitBreakers CircuitBreakersFor(const Annotations& annotations) {
  CircuitBreakers breakers;
  breakers.max_connections =
      PositiveOrZero(ParseInt32Annotation(annotations, kAnnotationMaxConnections));
  breakers.max_pending_requests =
      PositiveOrZero(ParseInt32Annotation(annotations, kAnnotationMaxPendingRequests));
  breakers.max_requests = PositiveOrZero(ParseInt32Annotation(annotations, kAnnotationMaxRequests));
  breakers.max_retries = PositiveOrZero(ParseInt32Annotation(annotations, kAnnotationMaxRetries));
  return breakers;
}

}  // namespace contour::dag
