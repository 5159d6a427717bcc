// IngressRoute statuses: Contour v0.15.3's TestDAGIngressRouteStatus (15 cases, root namespaces
// ["roots"], fixtures ir1..ir16 and s4..s7 rebuilt), TestDAGRootNamespaces (8) and
// TestDAGIngressRouteUniqueFQDNs (2), with their names.
#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "dag/builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {
namespace {

using namespace dagtest;  // NOLINT: test object constructors
using namespace irtest;   // NOLINT: IngressRoute constructors

k8s::IngressRoute Root(const std::string& name, const std::string& fqdn,
                       std::vector<k8s::IngressRouteRoute> routes) {
  return IR("roots", name, fqdn, std::move(routes));
}
k8s::IngressRoute Child(const std::string& name, std::vector<k8s::IngressRouteRoute> routes) {
  return IR("roots", name, std::nullopt, std::move(routes));
}

// Contour's fixtures, by their names in builder_test.go.
k8s::IngressRoute Ir1() {
  return Root("example", "example.com",
              {RouteTo("/foo", {Svc("home", 8080)}), DelegateTo("/prefix", "delegated")});
}
k8s::IngressRoute Ir2() {
  return Root("example", "example.com", {RouteTo("/foo", {Svc("home", -80)})});
}
k8s::IngressRoute Ir3() {
  return IR("finance", "example", "example.com", {RouteTo("/foobar", {Svc("home", 8080)})});
}
k8s::IngressRoute Ir4() {
  return Child("delegated", {RouteTo("/doesnotmatch", {Svc("home", 8080)})});
}
k8s::IngressRoute Ir5() {
  return Root("delegated", "example.com", {RouteTo("/foo", {Svc("home", 8080, -10)})});
}
k8s::IngressRoute Ir6() { return Root("self", "example.com", {DelegateTo("/foo", "self")}); }
k8s::IngressRoute Ir7() { return Root("parent", "example.com", {DelegateTo("/foo", "child")}); }
k8s::IngressRoute Ir8() { return Child("child", {DelegateTo("/foo", "parent")}); }
k8s::IngressRoute Ir9() {
  k8s::IngressRouteRoute route = DelegateTo("/foo", "child");
  route.services = {Svc("kuard", 8080)};
  return Root("parent", "example.com", {route});
}
k8s::IngressRoute Ir10() {
  return Root("parent", "example.com",
              {DelegateTo("/foo", "validChild"), DelegateTo("/bar", "invalidChild")});
}
k8s::IngressRoute Ir11() { return Child("validChild", {RouteTo("/foo", {Svc("foo2", 8080)})}); }
k8s::IngressRoute Ir12() {
  return Child("invalidChild", {RouteTo("/bar", {Svc("foo3", 12345678)})});
}
k8s::IngressRoute Ir13() { return Root("parent", "", {RouteTo("/foo", {Svc("foo", 8080)})}); }
k8s::IngressRoute Ir14() { return Root("invalidParent", "", {DelegateTo("/foo", "validChild")}); }
k8s::IngressRoute Ir15() {
  return Root("example", "example.*.com", {RouteTo("/foo", {Svc("home", 8080)})});
}
k8s::IngressRoute Ir16() {
  return Root("invalidir", "example.com", {RouteTo("/foo", {Svc("invalid", 8080)})});
}
k8s::Service S4() { return HttpService("roots", "home"); }
k8s::Service S5() { return HttpService("roots", "parent"); }
k8s::Service S6() { return HttpService("roots", "foo2"); }
k8s::Service S7() { return HttpService("roots", "foo3", 12345678); }

constexpr char kValid[] = "valid: valid IngressRoute @example.com";
constexpr char kOrphaned[] =
    "orphaned: this IngressRoute is not part of a delegation chain from a root IngressRoute";

struct StatusCase {
  std::string name;
  std::vector<k8s::Object> objects;
  std::vector<std::string> want;  // DescribeStatuses lines, in any order
};

// gtest prints a failing case by its name rather than its bytes.
void PrintTo(const StatusCase& c, std::ostream* os) { *os << c.name; }

std::string Line(const std::string& object, const std::string& rest) { return object + " " + rest; }

std::vector<StatusCase> ContourStatusCases() {
  return {
      {"valid ingressroute", {Ir1(), S4()}, {Line("roots/example", kValid)}},
      {"invalid port in service",
       {Ir2()},
       {"roots/example invalid: route \"/foo\": service \"home\": port must be in the range "
        "1-65535 @example.com"}},
      {"root ingressroute outside of roots namespace",
       {Ir3()},
       {"finance/example invalid: root IngressRoute cannot be defined in this namespace"}},
      {"delegated route's match prefix does not match parent's prefix",
       {Ir1(), Ir4(), S4()},
       {Line("roots/example", kValid),
        "roots/delegated invalid: the path prefix \"/doesnotmatch\" does not match the parent's "
        "path prefix \"/prefix\" @example.com"}},
      {"invalid weight in service",
       {Ir5()},
       {"roots/delegated invalid: route \"/foo\": service \"home\": weight must be greater than "
        "or equal to zero @example.com"}},
      {"root ingressroute does not specify FQDN",
       {Ir13()},
       {"roots/parent invalid: Spec.VirtualHost.Fqdn must be specified"}},
      {"self-edge produces a cycle",
       {Ir6()},
       {"roots/self invalid: route creates a delegation cycle: roots/self -> roots/self "
        "@example.com"}},
      {"child delegates to parent, producing a cycle",
       {Ir7(), Ir8()},
       {Line("roots/parent", kValid),
        "roots/child invalid: route creates a delegation cycle: roots/parent -> roots/child -> "
        "roots/parent @example.com"}},
      {"route has a list of services and also delegates",
       {Ir9()},
       {"roots/parent invalid: route \"/foo\": cannot specify services and delegate in the same "
        "route @example.com"}},
      {"ingressroute is an orphaned route", {Ir8()}, {Line("roots/child", kOrphaned)}},
      {"ingressroute delegates to multiple ingressroutes, one is invalid",
       {Ir10(), Ir11(), Ir12(), S6(), S7()},
       {Line("roots/validChild", kValid),
        "roots/invalidChild invalid: route \"/bar\": service \"foo3\": port must be in the range "
        "1-65535 @example.com",
        Line("roots/parent", kValid)}},
      {"invalid parent orphans children",
       {Ir14(), Ir11()},
       {"roots/invalidParent invalid: Spec.VirtualHost.Fqdn must be specified",
        Line("roots/validChild", kOrphaned)}},
      {"multi-parent children is not orphaned when one of the parents is invalid",
       {Ir14(), Ir11(), Ir10(), S5(), S6()},
       {"roots/invalidParent invalid: Spec.VirtualHost.Fqdn must be specified",
        Line("roots/validChild", kValid), Line("roots/parent", kValid)}},
      {"invalid FQDN contains wildcard",
       {Ir15()},
       {"roots/example invalid: Spec.VirtualHost.Fqdn \"example.*.com\" cannot use wildcards "
        "@example.*.com"}},
      {"missing service shows invalid status",
       {Ir16()},
       {"roots/invalidir invalid: Service [invalid:8080] is invalid or missing"}},
  };
}

class IngressRouteStatusTest : public testing::TestWithParam<StatusCase> {};

TEST_P(IngressRouteStatusTest, Statuses) {
  CacheConfig config;
  config.root_namespaces = {"roots"};
  const Dag dag = BuildFrom(GetParam().objects, config);
  EXPECT_THAT(DescribeStatuses(dag), testing::UnorderedElementsAreArray(GetParam().want));
}

std::string CaseName(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

INSTANTIATE_TEST_SUITE_P(Contour, IngressRouteStatusTest, testing::ValuesIn(ContourStatusCases()),
                         [](const auto& info) { return CaseName(info.param.name); });

// TestDAGRootNamespaces: how many port-80 vhosts are built.
struct RootNamespaceCase {
  std::string name;
  std::vector<std::string> root_namespaces;
  std::vector<k8s::Object> objects;
  size_t want_vhosts;
};

void PrintTo(const RootNamespaceCase& c, std::ostream* os) { *os << c.name; }

class RootNamespacesTest : public testing::TestWithParam<RootNamespaceCase> {};

TEST_P(RootNamespacesTest, VirtualHostCount) {
  CacheConfig config;
  config.root_namespaces = GetParam().root_namespaces;
  EXPECT_EQ(BuildFrom(GetParam().objects, config).http_hosts.size(), GetParam().want_vhosts);
}

std::vector<RootNamespaceCase> RootNamespaceCases() {
  const k8s::IngressRoute ir1 =
      IR("allowed1", "example-com", "example.com", {RouteTo("/", {Svc("kuard", 8080)})});
  const k8s::IngressRoute ir2 =
      IR("allowed2", "example-com", "example2.com", {RouteTo("/", {Svc("kuard", 8080)})});
  const k8s::Service s2 = HttpService("allowed1", "kuard");
  const k8s::Service s3 = HttpService("allowed2", "kuard");
  return {
      {"nil root namespaces", {}, {ir1, s2}, 1},
      {"empty root namespaces", {}, {ir1, s2}, 1},
      {"single root namespace with root ingressroute", {"allowed1"}, {ir1, s2}, 1},
      {"multiple root namespaces, one with a root ingressroute",
       {"foo", "allowed1", "bar"},
       {ir1, s2},
       1},
      {"multiple root namespaces, each with a root ingressroute",
       {"foo", "allowed1", "allowed2"},
       {ir1, ir2, s2, s3},
       2},
      {"root ingressroute defined outside single root namespaces", {"foo"}, {ir1}, 0},
      {"root ingressroute defined outside multiple root namespaces", {"foo", "bar"}, {ir1}, 0},
      {"two root ingressroutes, one inside root namespace, one outside",
       {"foo", "allowed2"},
       {ir1, ir2, s3},
       1},
  };
}

INSTANTIATE_TEST_SUITE_P(Contour, RootNamespacesTest, testing::ValuesIn(RootNamespaceCases()),
                         [](const auto& info) { return CaseName(info.param.name); });

// TestDAGIngressRouteUniqueFQDNs.
TEST(IngressRouteUniqueFqdnTest, InsertIngressroute) {
  const Dag dag =
      BuildFrom({HttpService("default", "kuard"), IR("default", "example-com", "example.com",
                                                     {RouteTo("/", {Svc("kuard", 8080)})})});
  EXPECT_THAT(DescribeDag(dag),
              testing::ElementsAre("http example.com prefix:/ -> default/kuard:8080"));
  EXPECT_THAT(DescribeStatuses(dag),
              testing::ElementsAre("default/example-com valid: valid IngressRoute @example.com"));
}

TEST(IngressRouteUniqueFqdnTest, InsertConflictingIngressroutesDueToFqdnReuse) {
  const Dag dag = BuildFrom(
      {IR("default", "example-com", "example.com", {RouteTo("/", {Svc("kuard", 8080)})}),
       IR("default", "other-example", "example.com", {RouteTo("/", {Svc("kuard", 8080)})})});
  EXPECT_THAT(DescribeDag(dag), testing::IsEmpty());
  const std::string conflict =
      "invalid: fqdn \"example.com\" is used in multiple IngressRoutes: default/example-com, "
      "default/other-example @example.com";
  EXPECT_THAT(DescribeStatuses(dag), testing::ElementsAre("default/example-com " + conflict,
                                                          "default/other-example " + conflict));
}

}  // namespace
}  // namespace contour::dag
