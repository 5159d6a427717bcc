// Rows marked "contour:" come from Contour v0.15.3's internal/envoy/cluster_test.go,
// secret_test.go and internal/e2e/cds_test.go.
#include "translate/names.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::translate {
namespace {

using test_util::MakeCluster;
using test_util::MakeService;

struct TruncateRow {
  std::string name;
  int limit;
  std::string s;
  std::string suffix;
  std::string want;
};

TEST(TruncateTest, Table) {
  const std::vector<TruncateRow> rows = {
      {"contour: no truncate", 10, "quijibo", "a8c5e6", "quijibo"},
      {"contour: limit", 7, "quijibo", "a8c5e6", "quijibo"},
      {"contour: truncate some", 6, "quijibo", "a8c5", "q-a8c5"},
      {"contour: truncate suffix", 4, "quijibo", "a8c5", "a8c5"},
      {"contour: truncate more", 3, "quijibo", "a8c5", "a8c"},
      {"contour: long single element 9", 9, "gammagamma", "0d350e", "ga-0d350e"},
      {"contour: long single element 12", 12, "gammagammagamma", "0d350e", "gamma-0d350e"},
      {"contour: issue/25", 60 / 3, "my-very-very-long-service-host-name.my.domainname", "a8c5e6",
       "my-very-very--a8c5e6"},
      {"zero limit", 0, "quijibo", "a8c5", ""},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(Truncate(row.limit, row.s, row.suffix), row.want) << row.name;
  }
}

struct HashnameRow {
  std::string name;
  int limit;
  std::vector<std::string> parts;
  std::string want;
};

TEST(HashnameTest, Table) {
  const std::vector<HashnameRow> rows = {
      {"contour: empty s", 99, {}, ""},
      {"contour: single element", 99, {"alpha"}, "alpha"},
      {"contour: long single element, hashed", 12, {"gammagammagamma"}, "0d350ea5c204"},
      {"contour: single element, truncated", 4, {"alpha"}, "8ed3"},
      {"contour: two elements, truncated", 19, {"gammagamma", "betabeta"}, "ga-edf159/betabeta"},
      {"contour: three elements", 99, {"alpha", "beta", "gamma"}, "alpha/beta/gamma"},
      {"contour: issue/25",
       60,
       {"default", "my-service-name", "my-very-very-long-service-host-name.my.domainname"},
       "default/my-service-name/my-very-very--c4d2d4"},
      // The limit is exclusive: a joined length equal to it is already too long.
      {"exactly at the limit", 5, {"alpha"}, Sha256Hex("alpha").substr(0, 5)},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(Hashname(row.limit, row.parts), row.want) << row.name;
  }
}

TEST(Sha1HexTest, EmptyInputIsTheWellKnownDigest) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

struct GoSecondsRow {
  std::string name;
  int64_t seconds;
  std::string want;
};

TEST(GoSecondsStringTest, Table) {
  const std::vector<GoSecondsRow> rows = {
      {"zero", 0, "0s"},         {"two", 2, "2s"},        {"ten", 10, "10s"},
      {"minute", 60, "1m0s"},    {"ninety", 90, "1m30s"}, {"hour", 3600, "1h0m0s"},
      {"mixed", 3661, "1h1m1s"}, {"negative", -5, "-5s"}, {"day", 86400, "24h0m0s"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(GoSecondsString(row.seconds), row.want) << row.name;
  }
}

dag::HealthCheck GivenHealthCheck(const std::string& path, int64_t interval, int64_t timeout,
                                  uint32_t unhealthy, uint32_t healthy) {
  dag::HealthCheck hc;
  hc.path = path;
  hc.given_interval_seconds = interval;
  hc.given_timeout_seconds = timeout;
  hc.given_unhealthy_threshold = unhealthy;
  hc.given_healthy_threshold = healthy;
  if (interval) hc.interval_seconds = interval;
  if (timeout) hc.timeout_seconds = timeout;
  if (unhealthy) hc.unhealthy_threshold = unhealthy;
  if (healthy) hc.healthy_threshold = healthy;
  return hc;
}

struct ClusterNameRow {
  std::string name;
  dag::Cluster cluster;
  std::string want;
};

TEST(ClusterNameTest, Table) {
  std::vector<ClusterNameRow> rows;
  rows.push_back({"contour: simple", MakeCluster(MakeService("default", "backend", 80, "http")),
                  "default/backend/80/da39a3ee5e"});
  rows.push_back(
      {"contour: far too long",
       MakeCluster(MakeService("it-is-a-truth-universally-acknowledged-that-a-single-man-in-"
                               "possession-of-a-good-fortune",
                               "must-be-in-want-of-a-wife", 9999, "http")),
       "it-is-a--dea8b0/must-be--dea8b0/9999/da39a3ee5e"});
  {
    dag::Cluster cluster = MakeCluster(MakeService("default", "backend", 80, "http"), 0, "Random");
    cluster.health_check = GivenHealthCheck("/healthz", 5, 30, 3, 1);
    rows.push_back(
        {"contour: various healthcheck params", cluster, "default/backend/80/5c26077e1d"});
  }
  {
    dag::Cluster cluster = MakeCluster(MakeService("default", "backend", 80, "http"), 0, "Random");
    cluster.validation = dag::UpstreamValidation{"secret", "somethingsecret", "foo.com"};
    rows.push_back({"contour: upstream tls validation with subject alt name", cluster,
                    "default/backend/80/6bf46b7b3a"});
  }
  rows.push_back(
      {"contour e2e: long service name",
       MakeCluster(MakeService(
           "default", "kbujbkuhdod66gjdmwmijz8xzgsx1nkfbrloezdjiulquzk4x3p0nnvpzi8r", 8080)),
       "default/kbujbkuh-c83ceb/8080/da39a3ee5e"});
  {
    // Only the path is hashed when the user left every number unset, even though the
    // defaults are applied to the health check itself.
    dag::Cluster cluster = MakeCluster(MakeService("default", "backend", 80));
    cluster.health_check = GivenHealthCheck("/healthz", 0, 0, 0, 0);
    rows.push_back({"health check defaults are not hashed", cluster,
                    "default/backend/80/" + Sha1Hex("/healthz").substr(0, 10)});
  }
  {
    dag::Cluster cluster = MakeCluster(MakeService("default", "backend", 80));
    cluster.health_check = GivenHealthCheck("/hc", 90, 0, 0, 7);
    rows.push_back({"durations use Go's format", cluster,
                    "default/backend/80/" + Sha1Hex("1m30s7/hc").substr(0, 10)});
  }
  rows.push_back({"strategy is hashed",
                  MakeCluster(MakeService("default", "backend", 80), 0, "Cookie"),
                  "default/backend/80/" + Sha1Hex("Cookie").substr(0, 10)});
  rows.push_back({"weight is not hashed", MakeCluster(MakeService("default", "backend", 80), 42),
                  "default/backend/80/da39a3ee5e"});
  for (const auto& row : rows) {
    EXPECT_EQ(ClusterName(row.cluster), row.want) << row.name;
  }
}

TEST(AltStatNameTest, JoinsWithUnderscores) {
  EXPECT_EQ(AltStatName(*MakeService("default", "kuard", 80, "http")), "default_kuard_80");
}

struct SecretNameRow {
  std::string name;
  dag::Secret secret;
  std::string want;
};

TEST(SecretNameTest, Table) {
  const std::vector<SecretNameRow> rows = {
      {"contour: simple", {"default", "simple", "cert", "key"}, "default/simple/cd1b506996"},
      {"contour: far too long",
       {"it-is-a-truth-universally-acknowledged-that-a-single-man-in-possession-of-a-good-fortune",
        "must-be-in-want-of-a-wife", "cert", "key"},
       "it-is-a-truth-7e164b/must-be-in-wa-7e164b/cd1b506996"},
      {"the key is not hashed",
       {"default", "simple", "cert", "other"},
       "default/simple/cd1b506996"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(SecretName(row.secret), row.want) << row.name;
  }
}

TEST(VirtualHostNameTest, ShortNamesAreKeptAndLongOnesHashed) {
  EXPECT_EQ(VirtualHostName("www.example.com"), "www.example.com");
  EXPECT_EQ(VirtualHostName("*"), "*");
  // A single part truncated to the limit is still not shorter than it, so Contour falls back
  // to the bare hash.
  const std::string long_fqdn(70, 'a');
  EXPECT_EQ(VirtualHostName(long_fqdn), Sha256Hex(long_fqdn).substr(0, 60));
}

}  // namespace
}  // namespace contour::translate
