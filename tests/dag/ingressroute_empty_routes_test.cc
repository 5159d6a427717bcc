// Contour v0.15.3 processes a root's routes when `routes` is present, even empty: such a root is
// valid. A root with neither routes nor a tcpproxy gets no status at all.
#include <string>
#include <vector>

#include "dag/builder.h"
#include "gtest/gtest.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {
namespace {

using namespace irtest;  // NOLINT: IngressRoute constructors

TEST(IngressRouteEmptyRoutes, EmptyListIsValid) {
  k8s::IngressRoute root = IR("default", "root", "example.com");
  root.routes_given = true;
  const Dag dag = BuildFrom({root});
  ASSERT_EQ(dag.statuses.size(), 1u);
  EXPECT_EQ(dag.statuses[0].current_status, "valid");
  EXPECT_EQ(dag.statuses[0].description, "valid IngressRoute");
  EXPECT_EQ(dag.statuses[0].vhost, "example.com");
  EXPECT_TRUE(dag.http_hosts.empty());  // nothing to serve
}

TEST(IngressRouteEmptyRoutes, NoRoutesNoStatus) {
  const Dag dag = BuildFrom({IR("default", "root", "example.com")});
  EXPECT_TRUE(dag.statuses.empty());
}

}  // namespace
}  // namespace contour::dag
