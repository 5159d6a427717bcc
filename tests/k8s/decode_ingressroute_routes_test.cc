// An IngressRoute's `routes: []` is not the same as no `routes` (Contour v0.15.3 tests the Go
// slice for nil), so the decoder records whether the list was written.
#include <string>
#include <variant>

#include "gtest/gtest.h"
#include "k8s/decode.h"

namespace contour::k8s {
namespace {

struct RoutesCase {
  std::string name;
  std::string spec_routes;  // the `routes:` line, or "" for none
  bool want_given;
};

TEST(DecodeIngressRoute, RecordsWhetherRoutesWereWritten) {
  const RoutesCase cases[] = {
      {"absent", "", false},
      {"null", "  routes: null\n", false},
      {"empty list", "  routes: []\n", true},
      {"one route", "  routes:\n  - match: /\n    services: [{name: s, port: 80}]\n", true},
  };
  for (const RoutesCase& c : cases) {
    const std::string text =
        "apiVersion: contour.heptio.com/v1beta1\nkind: IngressRoute\nmetadata: {name: r}\n"
        "spec:\n  virtualhost: {fqdn: example.com}\n" +
        c.spec_routes;
    DecodeResult result = DecodeManifests(text, "ir.yaml");
    ASSERT_EQ(result.objects.size(), 1u) << c.name;
    const auto* route = std::get_if<IngressRoute>(&result.objects[0]);
    ASSERT_NE(route, nullptr) << c.name;
    EXPECT_EQ(route->routes_given, c.want_given) << c.name;
  }
}

}  // namespace
}  // namespace contour::k8s
