// EndpointTable: each Endpoints change reports only the assignments that really changed.
#include "xds/endpoint_table.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/xds/xds_test_util.h"

namespace contour::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Updated(const EndpointChanges& changes) {
  std::vector<std::string> names;
  for (const ResourcePtr& resource : changes.updated) names.push_back(resource->name);
  return names;
}

// An Endpoints object with one subset per named port, each port with its own addresses.
k8s::Endpoints Object(const std::string& name,
                      const std::vector<std::pair<std::string, std::string>>& port_ips) {
  k8s::Endpoints endpoints;
  endpoints.metadata.namespace_ = "default";
  endpoints.metadata.name = name;
  const std::map<std::string, int64_t> numbers = {
      {"", 80}, {"http", 8080}, {"metrics", 9100}, {"admin", 9000}};
  for (const auto& [port_name, ip] : port_ips) {
    k8s::EndpointSubset subset;
    subset.addresses.push_back({ip});
    subset.ports.push_back({port_name, numbers.at(port_name), "TCP"});
    endpoints.subsets.push_back(std::move(subset));
  }
  return endpoints;
}

struct Step {
  std::string what;
  k8s::Endpoints upsert;  // ignored when remove is set
  bool remove = false;
  std::vector<std::string> updated;
  std::vector<std::string> removed;
};

// One table through a sequence of changes: each row is what that change reports.
TEST(EndpointTableTest, ReportsOnlyWhatChanged) {
  const std::vector<Step> steps = {
      {"new object: every assignment",
       Object("web", {{"http", "10.0.0.1"}, {"metrics", "10.0.0.1"}}),
       false,
       {"default/web/http", "default/web/metrics"},
       {}},
      {"same again: nothing",
       Object("web", {{"http", "10.0.0.1"}, {"metrics", "10.0.0.1"}}),
       false,
       {},
       {}},
      {"one port's addresses change",
       Object("web", {{"http", "10.0.0.2"}, {"metrics", "10.0.0.1"}}),
       false,
       {"default/web/http"},
       {}},
      {"a port goes, another comes",
       Object("web", {{"admin", "10.0.0.3"}, {"http", "10.0.0.2"}}),
       false,
       {"default/web/admin"},
       {"default/web/metrics"}},
      {"another object: its own names only",
       Object("db", {{"", "10.1.0.1"}}),
       false,
       {"default/db"},
       {}},
      {"object removed: all its assignments",
       Object("web", {}),
       true,
       {},
       {"default/web/admin", "default/web/http"}},
      {"removed again: nothing", Object("web", {}), true, {}, {}},
      {"db still known: unchanged", Object("db", {{"", "10.1.0.1"}}), false, {}, {}},
  };
  EndpointTable table;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.what);
    const EndpointChanges changes = step.remove ? table.Remove("default", step.upsert.metadata.name)
                                                : table.Upsert(step.upsert);
    EXPECT_EQ(Updated(changes), step.updated);
    EXPECT_EQ(changes.removed, step.removed);
    EXPECT_EQ(changes.empty(), step.updated.empty() && step.removed.empty());
  }
}

TEST(EndpointTableTest, UpdatedAssignmentsCarryTheirContents) {
  EndpointTable table;
  const EndpointChanges changes = table.Upsert(xdstest::EndpointsObject("web", {"10.0.0.7"}));
  ASSERT_EQ(changes.updated.size(), 1u);
  google::protobuf::Any any;
  ASSERT_TRUE(any.ParseFromString(changes.updated[0]->any_bytes));
  const auto assignment = xdstest::Unpack<envoy::config::endpoint::v3::ClusterLoadAssignment>(any);
  EXPECT_EQ(assignment.cluster_name(), "default/web");
  ASSERT_EQ(assignment.endpoints_size(), 1);
  ASSERT_EQ(assignment.endpoints(0).lb_endpoints_size(), 1);
  EXPECT_EQ(assignment.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().address(),
            "10.0.0.7");
}

// An object whose addresses all go away (e.g. every pod not ready) loses its assignments.
TEST(EndpointTableTest, NoReadyAddressesRemovesTheAssignment) {
  EndpointTable table;
  ASSERT_THAT(Updated(table.Upsert(xdstest::EndpointsObject("web", {"10.0.0.7"}))),
              ElementsAre("default/web"));
  k8s::Endpoints not_ready = xdstest::EndpointsObject("web", {"10.0.0.7"});
  not_ready.subsets[0].not_ready_addresses = not_ready.subsets[0].addresses;
  not_ready.subsets[0].addresses.clear();
  const EndpointChanges changes = table.Upsert(not_ready);
  // No assignment is made without ready addresses: subscribers fall back to an empty one.
  EXPECT_THAT(changes.removed, ElementsAre("default/web"));
  EXPECT_THAT(changes.updated, IsEmpty());
}

}  // namespace
}  // namespace contour::xds
