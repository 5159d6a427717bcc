#include "translate/route.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::translate {
namespace {

using test_util::EqualsProto;
using test_util::MakeCluster;
using test_util::MakeService;
using test_util::ParseText;
namespace route_v3 = envoy::config::route::v3;

constexpr char kRequestStartHeader[] = R"pb(
  request_headers_to_add {
    header { key: "x-request-start" value: "t=%START_TIME(%s.%3f)%" }
    append_action: APPEND_IF_EXISTS_OR_ADD
  }
)pb";

dag::Route PrefixRoute(const std::string& path, std::vector<dag::Cluster> clusters) {
  dag::Route route;
  route.path = path;
  route.clusters = std::move(clusters);
  return route;
}

dag::Cluster Kuard(uint32_t weight = 0, const std::string& strategy = "") {
  return MakeCluster(MakeService("default", "kuard", 80), weight, strategy);
}

dag::Cluster Nginx(uint32_t weight = 0, const std::string& strategy = "") {
  return MakeCluster(MakeService("default", "nginx", 8080), weight, strategy);
}

struct RouteActionRow {
  std::string name;
  dag::Route route;
  std::string want;  // text format RouteAction
};

TEST(RouteActionTest, Table) {
  std::vector<RouteActionRow> rows;
  rows.push_back({"single cluster", PrefixRoute("/", {Kuard()}),
                  R"pb(cluster: "default/kuard/80/da39a3ee5e")pb"});
  rows.push_back({"weighted clusters sorted by name", PrefixRoute("/", {Nginx(20), Kuard(80)}),
                  R"pb(weighted_clusters {
                         clusters {
                           name: "default/kuard/80/da39a3ee5e"
                           weight { value: 80 }
                         }
                         clusters {
                           name: "default/nginx/8080/da39a3ee5e"
                           weight { value: 20 }
                         }
                       })pb"});
  rows.push_back({"no weights split evenly", PrefixRoute("/", {Nginx(), Kuard()}),
                  R"pb(weighted_clusters {
                         clusters {
                           name: "default/kuard/80/da39a3ee5e"
                           weight { value: 1 }
                         }
                         clusters {
                           name: "default/nginx/8080/da39a3ee5e"
                           weight { value: 1 }
                         }
                       })pb"});
  rows.push_back({"some weights zero keep zero", PrefixRoute("/", {Nginx(0), Kuard(5)}),
                  R"pb(weighted_clusters {
                         clusters {
                           name: "default/kuard/80/da39a3ee5e"
                           weight { value: 5 }
                         }
                         clusters {
                           name: "default/nginx/8080/da39a3ee5e"
                           weight { value: 0 }
                         }
                       })pb"});
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.timeout.kind = dag::Timeout::Kind::kInfinite;
    rows.push_back({"infinite timeout is 0s", route, R"pb(cluster: "default/kuard/80/da39a3ee5e"
                                                          timeout {})pb"});
  }
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.timeout.kind = dag::Timeout::Kind::kValue;
    route.timeout.value = absl::Milliseconds(1500);
    rows.push_back({"timeout value", route,
                    R"pb(cluster: "default/kuard/80/da39a3ee5e"
                         timeout { seconds: 1 nanos: 500000000 })pb"});
  }
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.retry = dag::RetryPolicy{"5xx", 3, absl::Seconds(10)};
    rows.push_back({"retry policy", route,
                    R"pb(cluster: "default/kuard/80/da39a3ee5e"
                         retry_policy {
                           retry_on: "5xx"
                           num_retries { value: 3 }
                           per_try_timeout { seconds: 10 }
                         })pb"});
  }
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.retry = dag::RetryPolicy{"gateway-error", 0, absl::ZeroDuration()};
    rows.push_back({"retry policy without count or per-try timeout", route,
                    R"pb(cluster: "default/kuard/80/da39a3ee5e"
                         retry_policy { retry_on: "gateway-error" })pb"});
  }
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.retry = dag::RetryPolicy{"", 3, absl::Seconds(1)};
    rows.push_back({"retry without retry_on is dropped", route,
                    R"pb(cluster: "default/kuard/80/da39a3ee5e")pb"});
  }
  {
    dag::Route route = PrefixRoute("/api", {Kuard()});
    route.prefix_rewrite = "/";
    route.websocket = true;
    rows.push_back({"prefix rewrite and websocket", route,
                    R"pb(cluster: "default/kuard/80/da39a3ee5e"
                         prefix_rewrite: "/"
                         upgrade_configs { upgrade_type: "websocket" })pb"});
  }
  rows.push_back({"cookie affinity adds a hash policy",
                  PrefixRoute("/", {Kuard(0, "Cookie"), Nginx(0, "Random")}),
                  R"pb(weighted_clusters {
                         clusters {
                           name: "default/kuard/80/e4f81994fe"
                           weight { value: 1 }
                         }
                         clusters {
                           name: "default/nginx/8080/58d888c08a"
                           weight { value: 1 }
                         }
                       }
                       hash_policy {
                         cookie {
                           name: "X-Contour-Session-Affinity"
                           ttl {}
                           path: "/"
                         }
                       })pb"});
  for (const auto& row : rows) {
    EXPECT_THAT(RouteAction(row.route), EqualsProto(ParseText<route_v3::RouteAction>(row.want)))
        << row.name;
  }
}

struct RouteRow {
  std::string name;
  dag::Route route;
  bool allow_redirect;
  std::string want;  // text format Route
};

TEST(RouteTest, Table) {
  std::vector<RouteRow> rows;
  rows.push_back({"prefix", PrefixRoute("/", {Kuard()}), true,
                  std::string(R"pb(match { prefix: "/" }
                                   route { cluster: "default/kuard/80/da39a3ee5e" })pb") +
                      kRequestStartHeader});
  {
    dag::Route route = PrefixRoute("/[a-z]+", {Kuard()});
    route.match = dag::PathMatch::kRegex;
    rows.push_back({"regex", route, true,
                    std::string(R"pb(match { safe_regex { regex: "/[a-z]+" } }
                                     route { cluster: "default/kuard/80/da39a3ee5e" })pb") +
                        kRequestStartHeader});
  }
  {
    dag::Route route = PrefixRoute("/exact", {Kuard()});
    route.match = dag::PathMatch::kExact;
    rows.push_back({"exact", route, true,
                    std::string(R"pb(match { path: "/exact" }
                                     route { cluster: "default/kuard/80/da39a3ee5e" })pb") +
                        kRequestStartHeader});
  }
  {
    dag::Route route = PrefixRoute("/", {Kuard()});
    route.https_redirect = true;
    rows.push_back(
        {"redirect has no headers", route, true, R"pb(match { prefix: "/" }
                                                      redirect { https_redirect: true })pb"});
    rows.push_back({"redirect ignored on 443", route, false,
                    std::string(R"pb(match { prefix: "/" }
                                     route { cluster: "default/kuard/80/da39a3ee5e" })pb") +
                        kRequestStartHeader});
  }
  for (const auto& row : rows) {
    EXPECT_THAT(Route(row.route, row.allow_redirect),
                EqualsProto(ParseText<route_v3::Route>(row.want)))
        << row.name;
  }
}

std::vector<std::string> MatchStrings(const route_v3::VirtualHost& vhost) {
  std::vector<std::string> out;
  for (const auto& route : vhost.routes()) {
    switch (route.match().path_specifier_case()) {
      case route_v3::RouteMatch::kPath:
        out.push_back("exact:" + route.match().path());
        break;
      case route_v3::RouteMatch::kSafeRegex:
        out.push_back("regex:" + route.match().safe_regex().regex());
        break;
      default:
        out.push_back("prefix:" + route.match().prefix());
    }
  }
  return out;
}

void AddRoute(dag::VirtualHost* vhost, dag::PathMatch match, const std::string& path) {
  dag::Route route = PrefixRoute(path, {Kuard()});
  route.match = match;
  vhost->routes[dag::VirtualHost::RouteKey(match, path)] = route;
}

TEST(VirtualHostTest, RoutesLongestFirstWithExactThenRegexThenPrefix) {
  dag::VirtualHost vhost;
  vhost.name = "www.example.com";
  AddRoute(&vhost, dag::PathMatch::kPrefix, "/");
  AddRoute(&vhost, dag::PathMatch::kPrefix, "/api");
  AddRoute(&vhost, dag::PathMatch::kPrefix, "/api/v1");
  AddRoute(&vhost, dag::PathMatch::kPrefix, "/b");
  AddRoute(&vhost, dag::PathMatch::kRegex, "/a.*");
  AddRoute(&vhost, dag::PathMatch::kRegex, "/z.*");
  AddRoute(&vhost, dag::PathMatch::kExact, "/exact");
  AddRoute(&vhost, dag::PathMatch::kExact, "/x");
  auto out = VirtualHost(vhost, true);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->name(), "www.example.com");
  EXPECT_THAT(out->domains(), ::testing::ElementsAre("www.example.com", "www.example.com:*"));
  EXPECT_THAT(MatchStrings(*out),
              ::testing::ElementsAre("exact:/x", "exact:/exact", "regex:/z.*", "regex:/a.*",
                                     "prefix:/b", "prefix:/api/v1", "prefix:/api", "prefix:/"));
}

TEST(VirtualHostTest, WildcardHasOneDomainAndEmptyHostIsOmitted) {
  dag::VirtualHost wildcard;
  wildcard.name = "*";
  AddRoute(&wildcard, dag::PathMatch::kPrefix, "/");
  auto out = VirtualHost(wildcard, true);
  ASSERT_TRUE(out.has_value());
  EXPECT_THAT(out->domains(), ::testing::ElementsAre("*"));

  dag::VirtualHost empty;
  empty.name = "empty.example.com";
  EXPECT_FALSE(VirtualHost(empty, true).has_value());
}

TEST(RouteConfigurationsTest, EmptyDagStillHasBothConfigurations) {
  const auto configs = RouteConfigurations(dag::Dag{});
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_THAT(configs[0],
              EqualsProto(ParseText<route_v3::RouteConfiguration>(R"pb(name: "ingress_http")pb")));
  EXPECT_THAT(configs[1],
              EqualsProto(ParseText<route_v3::RouteConfiguration>(R"pb(name: "ingress_https")pb")));
}

TEST(RouteConfigurationsTest, VhostsSortedByNameAndSplitByPort) {
  dag::Dag dag;
  for (const std::string name : {"b.example.com", "*", "a.example.com"}) {
    dag::VirtualHost vhost;
    vhost.name = name;
    AddRoute(&vhost, dag::PathMatch::kPrefix, "/");
    dag.http_hosts[name] = vhost;
  }
  dag::SecureVirtualHost secure;
  secure.host.name = "a.example.com";
  dag::Route redirect = PrefixRoute("/", {Kuard()});
  redirect.https_redirect = true;
  secure.host.routes[dag::VirtualHost::RouteKey(dag::PathMatch::kPrefix, "/")] = redirect;
  dag.https_hosts["a.example.com"] = secure;
  dag::SecureVirtualHost passthrough;
  passthrough.host.name = "tcp.example.com";
  passthrough.tcp_proxy = dag::TcpProxy{{Kuard()}};
  dag.https_hosts["tcp.example.com"] = passthrough;

  const auto configs = RouteConfigurations(dag);
  ASSERT_EQ(configs.size(), 2u);
  std::vector<std::string> http_names;
  for (const auto& vhost : configs[0].virtual_hosts()) http_names.push_back(vhost.name());
  EXPECT_THAT(http_names, ::testing::ElementsAre("*", "a.example.com", "b.example.com"));
  // The tcp proxy vhost has no routes; the secure route forwards despite https_redirect.
  ASSERT_EQ(configs[1].virtual_hosts_size(), 1);
  EXPECT_EQ(configs[1].virtual_hosts(0).name(), "a.example.com");
  EXPECT_TRUE(configs[1].virtual_hosts(0).routes(0).has_route());
}

}  // namespace
}  // namespace contour::translate
