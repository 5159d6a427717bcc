#include "dag/annotations.h"

#include <optional>
#include <string>

#include "dag/ingress_class.h"
#include "gtest/gtest.h"
#include "k8s/objects.h"

namespace contour::dag {
namespace {

// --- timeouts: Contour's parseTimeout plus the Go duration grammar ---
struct TimeoutCase {
  std::string name;
  std::string text;
  Timeout::Kind want_kind;
  absl::Duration want_value = absl::ZeroDuration();
};

class ParseTimeoutTest : public ::testing::TestWithParam<TimeoutCase> {};

TEST_P(ParseTimeoutTest, Parses) {
  const TimeoutCase& c = GetParam();
  Timeout got = ParseTimeout(c.text);
  EXPECT_EQ(got.kind, c.want_kind);
  EXPECT_EQ(got.value, c.want_value);
}

INSTANTIATE_TEST_SUITE_P(
    Timeouts, ParseTimeoutTest,
    ::testing::ValuesIn(std::vector<TimeoutCase>{
        {"empty_is_default", "", Timeout::Kind::kDefault},
        {"infinity", "infinity", Timeout::Kind::kInfinite},
        {"seconds", "10s", Timeout::Kind::kValue, absl::Seconds(10)},
        {"bare_number_is_invalid_so_infinite", "10", Timeout::Kind::kInfinite},
        {"zero_is_default", "0", Timeout::Kind::kDefault},
        {"zero_seconds_is_default", "0s", Timeout::Kind::kDefault},
        {"compound", "1h2m3.5s", Timeout::Kind::kValue,
         absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
        {"minutes_seconds", "1m30s", Timeout::Kind::kValue, absl::Seconds(90)},
        {"milliseconds", "500ms", Timeout::Kind::kValue, absl::Milliseconds(500)},
        {"microseconds", "10us", Timeout::Kind::kValue, absl::Microseconds(10)},
        {"micro_sign", "10\xC2\xB5s", Timeout::Kind::kValue, absl::Microseconds(10)},
        {"nanoseconds", "7ns", Timeout::Kind::kValue, absl::Nanoseconds(7)},
        {"leading_dot", ".5s", Timeout::Kind::kValue, absl::Milliseconds(500)},
        {"trailing_dot", "5.s", Timeout::Kind::kValue, absl::Seconds(5)},
        {"plus_sign", "+2s", Timeout::Kind::kValue, absl::Seconds(2)},
        {"negative_is_infinite", "-2s", Timeout::Kind::kInfinite},
        {"unknown_unit", "10d", Timeout::Kind::kInfinite},
        {"space_inside", "1h 2m", Timeout::Kind::kInfinite},
        {"dot_alone", ".s", Timeout::Kind::kInfinite},
        {"word", "peanut", Timeout::Kind::kInfinite},
        {"infinite_misspelt", "infinite", Timeout::Kind::kInfinite},
        {"overflow", "9999999999h", Timeout::Kind::kInfinite},
    }),
    [](const auto& info) { return info.param.name; });

// --- Ingress route annotations ---
struct RetryCase {
  std::string name;
  std::map<std::string, std::string> annotations;
  std::optional<RetryPolicy> want;
};

class RetryPolicyTest : public ::testing::TestWithParam<RetryCase> {};

TEST_P(RetryPolicyTest, Parses) {
  const RetryCase& c = GetParam();
  std::optional<RetryPolicy> got = IngressRetryPolicy(c.annotations);
  ASSERT_EQ(got.has_value(), c.want.has_value());
  if (!got) return;
  EXPECT_EQ(got->retry_on, c.want->retry_on);
  EXPECT_EQ(got->num_retries, c.want->num_retries);
  EXPECT_EQ(got->per_try_timeout, c.want->per_try_timeout);
}

INSTANTIATE_TEST_SUITE_P(
    Retries, RetryPolicyTest,
    ::testing::ValuesIn(std::vector<RetryCase>{
        {"none", {}, std::nullopt},
        {"empty_retry_on", {{kAnnotationRetryOn, ""}, {kAnnotationNumRetries, "3"}}, std::nullopt},
        {"num_retries_without_retry_on", {{kAnnotationNumRetries, "3"}}, std::nullopt},
        {"all",
         {{kAnnotationRetryOn, "gateway-error"},
          {kAnnotationNumRetries, "6"},
          {kAnnotationPerTryTimeout, "10s"}},
         RetryPolicy{"gateway-error", 6, absl::Seconds(10)}},
        {"retry_on_only",
         {{kAnnotationRetryOn, "5xx"}},
         RetryPolicy{"5xx", 0, absl::ZeroDuration()}},
        {"invalid_per_try_timeout_unset",
         {{kAnnotationRetryOn, "5xx"}, {kAnnotationPerTryTimeout, "peanut"}},
         RetryPolicy{"5xx", 0, absl::ZeroDuration()}},
        {"infinite_per_try_timeout_unset",
         {{kAnnotationRetryOn, "5xx"}, {kAnnotationPerTryTimeout, "infinity"}},
         RetryPolicy{"5xx", 0, absl::ZeroDuration()}},
        {"zero_and_negative_retries",
         {{kAnnotationRetryOn, "5xx"}, {kAnnotationNumRetries, "-1"}},
         RetryPolicy{"5xx", 0, absl::ZeroDuration()}},
        {"unparsable_retries",
         {{kAnnotationRetryOn, "5xx"}, {kAnnotationNumRetries, "six"}},
         RetryPolicy{"5xx", 0, absl::ZeroDuration()}},
    }),
    [](const auto& info) { return info.param.name; });

struct IntCase {
  std::string name;
  std::string value;
  int32_t want;
};

class ParseInt32Test : public ::testing::TestWithParam<IntCase> {};

TEST_P(ParseInt32Test, ParsesAsGoDoes) {
  EXPECT_EQ(ParseInt32Annotation({{"k", GetParam().value}}, "k"), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Ints, ParseInt32Test,
                         ::testing::ValuesIn(std::vector<IntCase>{
                             {"plain", "9000", 9000},
                             {"plus", "+7", 7},
                             {"negative", "-7", -7},
                             {"empty", "", 0},
                             {"word", "many", 0},
                             {"space", " 7", 0},
                             {"decimal", "7.5", 0},
                             {"clamped_high", "99999999999", 2147483647},
                             {"clamped_low", "-99999999999", -2147483647 - 1},
                         }),
                         [](const auto& info) { return info.param.name; });

TEST(IngressAnnotationsTest, ForceSslRedirectIsExactlyTrue) {
  EXPECT_TRUE(TlsRequired({{kAnnotationForceSslRedirect, "true"}}));
  EXPECT_FALSE(TlsRequired({{kAnnotationForceSslRedirect, "True"}}));
  EXPECT_FALSE(TlsRequired({}));
}

TEST(IngressAnnotationsTest, AllowHttpIsFalseOnlyWhenExactlyFalse) {
  EXPECT_FALSE(HttpAllowed({{kAnnotationAllowHttp, "false"}}));
  EXPECT_TRUE(HttpAllowed({{kAnnotationAllowHttp, "False"}}));
  EXPECT_TRUE(HttpAllowed({}));
}

struct WebsocketCase {
  std::string name;
  std::string value;
  std::set<std::string> want;
};

class WebsocketRoutesTest : public ::testing::TestWithParam<WebsocketCase> {};

TEST_P(WebsocketRoutesTest, Splits) {
  EXPECT_EQ(WebsocketRoutes({{kAnnotationWebsocketRoutes, GetParam().value}}), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Websockets, WebsocketRoutesTest,
                         ::testing::ValuesIn(std::vector<WebsocketCase>{
                             {"empty", "", {}},
                             {"one", "/ws1", {"/ws1"}},
                             {"spaced", "/ws1 , /ws2", {"/ws1", "/ws2"}},
                             {"empty_entries", ",/ws1,,", {"/ws1"}},
                             {"only_commas", ", ,", {}},
                         }),
                         [](const auto& info) { return info.param.name; });

TEST(IngressAnnotationsTest, TlsVersion) {
  EXPECT_EQ(ParseTlsVersion("1.3"), TlsVersion::k1_3);
  EXPECT_EQ(ParseTlsVersion("1.2"), TlsVersion::k1_2);
  EXPECT_EQ(ParseTlsVersion("1.1"), TlsVersion::k1_1);
  EXPECT_EQ(ParseTlsVersion("1.0"), TlsVersion::k1_1);
  EXPECT_EQ(ParseTlsVersion(""), TlsVersion::k1_1);
}

// --- Service annotations ---
struct ProtocolCase {
  std::string name;
  std::map<std::string, std::string> annotations;
  std::string port_name;
  int64_t port_number;
  UpstreamProtocol want;
};

class UpstreamProtocolTest : public ::testing::TestWithParam<ProtocolCase> {};

TEST_P(UpstreamProtocolTest, Resolves) {
  const ProtocolCase& c = GetParam();
  EXPECT_EQ(UpstreamProtocolFor(c.annotations, c.port_name, c.port_number), c.want);
}

const std::string kH2 = "contour.heptio.com/upstream-protocol.h2";
const std::string kH2c = "contour.heptio.com/upstream-protocol.h2c";
const std::string kTls = "contour.heptio.com/upstream-protocol.tls";

INSTANTIATE_TEST_SUITE_P(
    Protocols, UpstreamProtocolTest,
    ::testing::ValuesIn(std::vector<ProtocolCase>{
        {"none", {}, "http", 80, UpstreamProtocol::kHttp1},
        {"h2_by_number", {{kH2, "80"}}, "http", 80, UpstreamProtocol::kH2},
        {"h2c_by_name", {{kH2c, "http"}}, "http", 80, UpstreamProtocol::kH2c},
        {"tls_spaced_list", {{kTls, " 443 , 80 "}}, "", 80, UpstreamProtocol::kTls},
        {"name_before_number", {{kH2, "80"}, {kTls, "http"}}, "http", 80, UpstreamProtocol::kTls},
        {"later_protocol_wins", {{kH2, "80"}, {kH2c, "80"}}, "", 80, UpstreamProtocol::kH2c},
        {"other_port", {{kH2, "8080,https"}}, "http", 80, UpstreamProtocol::kHttp1},
        {"unnamed_port_not_matched_by_empty", {{kH2, ","}}, "", 80, UpstreamProtocol::kHttp1},
    }),
    [](const auto& info) { return info.param.name; });

TEST(ServiceAnnotationsTest, CircuitBreakers) {
  CircuitBreakers got = CircuitBreakersFor({{kAnnotationMaxConnections, "9000"},
                                            {kAnnotationMaxPendingRequests, "4096"},
                                            {kAnnotationMaxRequests, "404"},
                                            {kAnnotationMaxRetries, "7"}});
  EXPECT_EQ(got.max_connections, 9000u);
  EXPECT_EQ(got.max_pending_requests, 4096u);
  EXPECT_EQ(got.max_requests, 404u);
  EXPECT_EQ(got.max_retries, 7u);
  CircuitBreakers invalid =
      CircuitBreakersFor({{kAnnotationMaxConnections, "lots"}, {kAnnotationMaxRequests, "-3"}});
  EXPECT_FALSE(invalid.Any());
}

// --- ingress class ---
struct ClassCase {
  std::string name;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> ingress_class_name;
  std::string configured;
  bool want_accepted;
};

class IngressClassTest : public ::testing::TestWithParam<ClassCase> {};

TEST_P(IngressClassTest, Filters) {
  const ClassCase& c = GetParam();
  k8s::Ingress ingress;
  ingress.metadata.annotations = c.annotations;
  ingress.ingress_class_name = c.ingress_class_name;
  EXPECT_EQ(IngressClassAccepted(IngressClassOf(ingress), c.configured), c.want_accepted);
}

const std::string kContourClass = "contour.heptio.com/ingress.class";
const std::string kK8sClass = "kubernetes.io/ingress.class";

INSTANTIATE_TEST_SUITE_P(
    Classes, IngressClassTest,
    ::testing::ValuesIn(std::vector<ClassCase>{
        {"none", {}, std::nullopt, "", true},
        {"k8s_contour", {{kK8sClass, "contour"}}, std::nullopt, "", true},
        {"k8s_nginx", {{kK8sClass, "nginx"}}, std::nullopt, "", false},
        {"contour_nginx", {{kContourClass, "nginx"}}, std::nullopt, "", false},
        {"contour_annotation_wins",
         {{kContourClass, "contour"}, {kK8sClass, "nginx"}},
         std::nullopt,
         "",
         true},
        {"empty_contour_annotation_wins",
         {{kContourClass, ""}, {kK8sClass, "nginx"}},
         std::nullopt,
         "",
         true},
        {"configured_class", {{kK8sClass, "internal"}}, std::nullopt, "internal", true},
        {"default_class_rejected_when_configured",
         {{kK8sClass, "contour"}},
         std::nullopt,
         "internal",
         false},
        {"class_name_field", {}, "nginx", "", false},
        {"class_name_field_ours", {}, "contour", "", true},
        {"annotation_before_class_name", {{kK8sClass, "contour"}}, "nginx", "", true},
    }),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace contour::dag
