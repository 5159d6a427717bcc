// The pieces of one IngressRoute route: Contour's TestMatchesPathPrefix (14 rows, names kept),
// health check defaults, retry and timeout policies, and the %q quoting of status strings.
#include "dag/ingressroute_route.h"

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "dag/ingressroute_status.h"
#include "gtest/gtest.h"

namespace contour::dag {
namespace {

struct PrefixCase {
  const char* name;
  const char* path;
  const char* prefix;
  bool matches;
};

TEST(MatchesPathPrefixTest, ContourRows) {
  const PrefixCase cases[] = {
      {"no path cannot match the prefix", "", "/foo", false},
      {"any path has the empty string as the prefix", "/foo", "", true},
      {"strict match", "/foo", "/foo", true},
      {"strict match with / at the end", "/foo/", "/foo/", true},
      {"no match", "/bar", "/foo", false},
      {"string prefix match should not match", "/foobar", "/foo", false},
      {"prefix match", "/foo/bar", "/foo", true},
      {"prefix match with trailing slash in prefix", "/foo/bar", "/foo/", true},
      {"prefix match with trailing slash in path", "/foo/bar/", "/foo", true},
      {"prefix match with trailing slashes", "/foo/bar/", "/foo/", true},
      {"prefix match two levels", "/foo/bar", "/foo/bar", true},
      {"prefix match two levels trailing slash in prefix", "/foo/bar", "/foo/bar/", true},
      {"prefix match two levels trailing slash in path", "/foo/bar/", "/foo/bar", true},
      {"no match two levels", "/foo/baz", "/foo/bar", false},
  };
  for (const PrefixCase& c : cases) {
    EXPECT_EQ(MatchesPathPrefix(c.path, c.prefix), c.matches) << c.name;
  }
}

TEST(IngressRouteHealthCheckTest, DefaultsForUnsetFields) {
  const HealthCheck hc = IngressRouteHealthCheck({.path = "/healthz"});
  EXPECT_EQ(hc.path, "/healthz");
  EXPECT_EQ(hc.host, "contour-envoy-healthcheck");
  EXPECT_EQ(hc.interval_seconds, 10);
  EXPECT_EQ(hc.timeout_seconds, 2);
  EXPECT_EQ(hc.unhealthy_threshold, 3u);
  EXPECT_EQ(hc.healthy_threshold, 2u);
  EXPECT_EQ(hc.given_interval_seconds, 0);
  EXPECT_EQ(hc.given_timeout_seconds, 0);
  EXPECT_EQ(hc.given_unhealthy_threshold, 0u);
  EXPECT_EQ(hc.given_healthy_threshold, 0u);
}

TEST(IngressRouteHealthCheckTest, GivenValuesAreUsedAndKept) {
  const HealthCheck hc = IngressRouteHealthCheck({.path = "/hz",
                                                  .host = "probe",
                                                  .interval_seconds = 7,
                                                  .timeout_seconds = 1,
                                                  .unhealthy_threshold_count = 9,
                                                  .healthy_threshold_count = 8});
  EXPECT_EQ(hc.host, "probe");
  EXPECT_EQ(hc.interval_seconds, 7);
  EXPECT_EQ(hc.timeout_seconds, 1);
  EXPECT_EQ(hc.unhealthy_threshold, 9u);
  EXPECT_EQ(hc.healthy_threshold, 8u);
  EXPECT_EQ(hc.given_interval_seconds, 7);
  EXPECT_EQ(hc.given_timeout_seconds, 1);
  EXPECT_EQ(hc.given_unhealthy_threshold, 9u);
  EXPECT_EQ(hc.given_healthy_threshold, 8u);
}

struct RetryCase {
  const char* name;
  std::optional<k8s::RetryPolicy> policy;
  std::optional<RetryPolicy> want;
};

TEST(IngressRouteRetryPolicyTest, Rows) {
  const RetryCase cases[] = {
      {"absent", std::nullopt, std::nullopt},
      {"count and per-try timeout", k8s::RetryPolicy{6, "10s"},
       RetryPolicy{"5xx", 6, absl::Seconds(10)}},
      {"zero count becomes one", k8s::RetryPolicy{0, "10s"},
       RetryPolicy{"5xx", 1, absl::Seconds(10)}},
      {"unparsable per-try timeout is unset", k8s::RetryPolicy{6, "please"},
       RetryPolicy{"5xx", 6, absl::ZeroDuration()}},
      {"negative per-try timeout is unset", k8s::RetryPolicy{2, "-3s"},
       RetryPolicy{"5xx", 2, absl::ZeroDuration()}},
      {"empty policy", k8s::RetryPolicy{}, RetryPolicy{"5xx", 1, absl::ZeroDuration()}},
  };
  for (const RetryCase& c : cases) {
    const std::optional<RetryPolicy> got = IngressRouteRetryPolicy(c.policy);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.name;
    if (!got) continue;
    EXPECT_EQ(got->retry_on, c.want->retry_on) << c.name;
    EXPECT_EQ(got->num_retries, c.want->num_retries) << c.name;
    EXPECT_EQ(got->per_try_timeout, c.want->per_try_timeout) << c.name;
  }
}

TEST(IngressRouteTimeoutTest, Rows) {
  EXPECT_EQ(IngressRouteTimeout(std::nullopt).kind, Timeout::Kind::kDefault);
  EXPECT_EQ(IngressRouteTimeout(k8s::TimeoutPolicy{""}).kind, Timeout::Kind::kDefault);
  EXPECT_EQ(IngressRouteTimeout(k8s::TimeoutPolicy{"infinity"}).kind, Timeout::Kind::kInfinite);
  EXPECT_EQ(IngressRouteTimeout(k8s::TimeoutPolicy{"peanut"}).kind, Timeout::Kind::kInfinite);
  const Timeout value = IngressRouteTimeout(k8s::TimeoutPolicy{"1m30s"});
  EXPECT_EQ(value.kind, Timeout::Kind::kValue);
  EXPECT_EQ(value.value, absl::Seconds(90));
}

TEST(IngressRouteStatusQuoteTest, LikeGoPercentQ) {
  EXPECT_EQ(irstatus::Quote("/foo"), "\"/foo\"");
  EXPECT_EQ(irstatus::Quote(""), "\"\"");
  EXPECT_EQ(irstatus::Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(irstatus::Quote("tab\there\n"), "\"tab\\there\\n\"");
  EXPECT_EQ(irstatus::Quote(std::string("\x01", 1)), "\"\\x01\"");
}

}  // namespace
}  // namespace contour::dag
