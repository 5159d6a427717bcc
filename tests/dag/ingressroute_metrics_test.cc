// ComputeIngressRouteMetrics over real builds: Contour v0.15.3's TestIngressRouteMetrics rows
// (internal/contour/metrics_test.go, fixtures and names kept), then a build that mixes every
// kind of status across two namespaces.
#include "dag/ingressroute_metrics.h"

#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "dag/builder.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {

// gtest prints a failing comparison field by field.
void PrintTo(const IngressRouteMetrics& m, std::ostream* os) {
  *os << "total=" << testing::PrintToString(m.total) << " root=" << testing::PrintToString(m.root)
      << " valid=" << testing::PrintToString(m.valid)
      << " invalid=" << testing::PrintToString(m.invalid)
      << " orphaned=" << testing::PrintToString(m.orphaned);
}

namespace {

using namespace dagtest;  // NOLINT: test object constructors
using namespace irtest;   // NOLINT: IngressRoute constructors

struct Row {
  std::string name;
  std::vector<k8s::Object> objects;
  IngressRouteMetrics want;
  std::vector<std::string> root_namespaces;
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

// --- Contour's fixtures ---
// ir1: valid; it also delegates /prefix to roots/delegated.
k8s::IngressRoute Ir1() {
  return IR("roots", "example", "example.com",
            {RouteTo("/foo", {Svc("home", 8080)}), DelegateTo("/prefix", "delegated")});
}
// ir2: a service with a negative port.
k8s::IngressRoute Ir2() {
  return IR("roots", "example", "example.com", {RouteTo("/foo", {Svc("home", -80)})});
}
// ir3: a root outside the root namespaces.
k8s::IngressRoute Ir3() {
  return IR("finance", "example", "example.com", {RouteTo("/foobar", {Svc("home", 8080)})});
}
// ir4: a child whose prefix does not match its parent's (ir1).
k8s::IngressRoute Ir4() {
  return IR("roots", "delegated", std::nullopt, {RouteTo("/doesnotmatch", {Svc("home", 8080)})});
}
// ir5: a negative weight.
k8s::IngressRoute Ir5() {
  return IR("roots", "delegated", "example.com", {RouteTo("/foo", {Svc("home", 8080, -10)})});
}
// ir6: delegates to itself.
k8s::IngressRoute Ir6() { return IR("roots", "self", "example.com", {DelegateTo("/foo", "self")}); }
// ir7 delegates to ir8, which delegates back.
k8s::IngressRoute Ir7() {
  return IR("roots", "parent", "example.com", {DelegateTo("/foo", "child")});
}
k8s::IngressRoute Ir8() {
  return IR("roots", "child", std::nullopt, {DelegateTo("/foo", "parent")});
}
// ir9: a route that both delegates and lists services.
k8s::IngressRoute Ir9() {
  k8s::IngressRouteRoute route = DelegateTo("/foo", "child");
  route.services = {Svc("kuard", 8080)};
  return IR("roots", "parent", "example.com", {route});
}
// ir10 delegates to ir11 (valid) and ir12 (a port out of range).
k8s::IngressRoute Ir10() {
  return IR("roots", "parent", "example.com",
            {DelegateTo("/foo", "validChild"), DelegateTo("/bar", "invalidChild")});
}
k8s::IngressRoute Ir11() {
  return IR("roots", "validChild", std::nullopt, {RouteTo("/foo", {Svc("foo", 8080)})});
}
k8s::IngressRoute Ir12() {
  return IR("roots", "invalidChild", std::nullopt, {RouteTo("/bar", {Svc("foo", 12345678)})});
}
// ir13: a root without an fqdn.
k8s::IngressRoute Ir13() {
  return IR("roots", "parent", "", {RouteTo("/foo", {Svc("foo", 8080)})});
}
// ir14: a root without an fqdn that delegates to ir11.
k8s::IngressRoute Ir14() {
  return IR("roots", "invalidParent", "", {DelegateTo("/foo", "validChild")});
}
k8s::Service S1() { return HttpService("roots", "foo", 12345678); }
k8s::Service S2() { return HttpService("roots", "foo", 8080); }
k8s::Service S3() { return HttpService("roots", "home", 8080); }

std::vector<Row> ContourRows() {
  return {
      {"valid ingressroute",
       {Ir1(), S3()},
       {.total = {{"roots", 1}}, .root = {{"roots", 1}}, .valid = {{{"roots", "example.com"}, 1}}}},
      {"invalid port in service",
       {Ir2()},
       {.total = {{"roots", 1}},
        .root = {{"roots", 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"root ingressroute outside of roots namespace",
       {Ir3()},
       {.total = {{"finance", 1}}, .root = {{"finance", 1}}, .invalid = {{{"finance", ""}, 1}}},
       {"foo"}},
      {"delegated route's match prefix does not match parent's prefix",
       {Ir1(), Ir4(), S3()},
       {.total = {{"roots", 2}},
        .root = {{"roots", 1}},
        .valid = {{{"roots", "example.com"}, 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"invalid weight in service",
       {Ir5()},
       {.total = {{"roots", 1}},
        .root = {{"roots", 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"root ingressroute does not specify FQDN",
       {Ir13()},
       {.total = {{"roots", 1}}, .root = {{"roots", 1}}, .invalid = {{{"roots", ""}, 1}}}},
      {"self-edge produces a cycle",
       {Ir6()},
       {.total = {{"roots", 1}},
        .root = {{"roots", 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"child delegates to parent, producing a cycle",
       {Ir7(), Ir8()},
       {.total = {{"roots", 2}},
        .root = {{"roots", 1}},
        .valid = {{{"roots", "example.com"}, 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"route has a list of services and also delegates",
       {Ir9()},
       {.total = {{"roots", 1}},
        .root = {{"roots", 1}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"ingressroute is an orphaned route",
       {Ir8()},
       {.total = {{"roots", 1}}, .orphaned = {{"roots", 1}}}},
      {"ingressroute delegates to multiple ingressroutes, one is invalid",
       {Ir10(), Ir11(), Ir12(), S1(), S2()},
       {.total = {{"roots", 3}},
        .root = {{"roots", 1}},
        .valid = {{{"roots", "example.com"}, 2}},
        .invalid = {{{"roots", "example.com"}, 1}}}},
      {"invalid parent orphans children",
       {Ir14(), Ir11()},
       {.total = {{"roots", 2}},
        .root = {{"roots", 1}},
        .orphaned = {{"roots", 1}},
        .invalid = {{{"roots", ""}, 1}}}},
      {"multi-parent children is not orphaned when one of the parents is invalid",
       {Ir14(), Ir11(), Ir10(), S2()},
       {.total = {{"roots", 3}},
        .root = {{"roots", 2}},
        .valid = {{{"roots", "example.com"}, 2}},
        .invalid = {{{"roots", ""}, 1}}}},
  };
}

// Roots may live only in "roots". There: a valid root for app.example.com that delegates /blog
// to team/blog, and a root with a negative port. In "team": the delegated child, a child nobody
// delegates to, and a root that is invalid for its namespace (Contour records no vhost for it).
std::vector<Row> MixedRows() {
  return {
      {"every kind of status in two namespaces",
       {
           HttpService("roots", "home"),
           HttpService("team", "blog"),
           IR("roots", "app", "app.example.com",
              {RouteTo("/", {Svc("home", 8080)}), DelegateTo("/blog", "blog", "team")}),
           IR("roots", "broken", "broken.example.com", {RouteTo("/", {Svc("home", -80)})}),
           IR("team", "blog", std::nullopt, {RouteTo("/blog", {Svc("blog", 8080)})}),
           IR("team", "stray", std::nullopt, {RouteTo("/", {Svc("blog", 8080)})}),
           IR("team", "outside", "team.example.com", {RouteTo("/", {Svc("blog", 8080)})}),
       },
       {.total = {{"roots", 2}, {"team", 3}},
        .root = {{"roots", 2}, {"team", 1}},
        .orphaned = {{"team", 1}},
        .valid = {{{"roots", "app.example.com"}, 1}, {{"team", "app.example.com"}, 1}},
        .invalid = {{{"roots", "broken.example.com"}, 1}, {{"team", ""}, 1}}},
       {"roots"}},
      {"no ingressroutes", {HttpService("roots", "home")}, {}},
  };
}

class IngressRouteMetricsTest : public testing::TestWithParam<Row> {};

TEST_P(IngressRouteMetricsTest, FromBuild) {
  const Row& row = GetParam();
  CacheConfig cache_config;
  cache_config.root_namespaces = row.root_namespaces;
  const Dag dag = BuildFrom(row.objects, cache_config);
  EXPECT_EQ(ComputeIngressRouteMetrics(dag.statuses), row.want)
      << testing::PrintToString(DescribeStatuses(dag));
}

std::string RowName(const testing::TestParamInfo<Row>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Contour, IngressRouteMetricsTest, testing::ValuesIn(ContourRows()),
                         RowName);
INSTANTIATE_TEST_SUITE_P(Mixed, IngressRouteMetricsTest, testing::ValuesIn(MixedRows()), RowName);

// The counting rules on their own: root_total follows the root flag whatever the status, and
// every status, orphans included, counts in total.
TEST(IngressRouteMetricsTest, CountsFromStatuses) {
  auto status = [](const std::string& ns, const std::string& current, const std::string& vhost,
                   bool root) {
    Status s;
    s.namespace_ = ns;
    s.name = "x";
    s.current_status = current;
    s.vhost = vhost;
    s.root = root;
    return s;
  };
  const IngressRouteMetrics got = ComputeIngressRouteMetrics({
      status("a", "valid", "a.com", true),
      status("a", "valid", "a.com", false),
      status("a", "invalid", "", true),
      status("b", "orphaned", "", false),
      status("b", "invalid", "a.com", false),
  });
  const IngressRouteMetrics want{
      .total = {{"a", 3}, {"b", 2}},
      .root = {{"a", 2}},
      .orphaned = {{"b", 1}},
      .valid = {{{"a", "a.com"}, 2}},
      .invalid = {{{"a", ""}, 1}, {{"b", "a.com"}, 1}},
  };
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace contour::dag
