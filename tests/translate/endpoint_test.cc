#include "translate/endpoint.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"
#include "translate/translate.h"

namespace contour::translate {
namespace {

using test_util::EqualsProto;
using test_util::ParseText;
namespace endpoint_v3 = envoy::config::endpoint::v3;

k8s::Endpoints MakeEndpoints(const std::string& ns, const std::string& name,
                             std::vector<k8s::EndpointSubset> subsets) {
  k8s::Endpoints endpoints;
  endpoints.metadata.namespace_ = ns;
  endpoints.metadata.name = name;
  endpoints.subsets = std::move(subsets);
  return endpoints;
}

k8s::EndpointSubset Subset(std::vector<std::string> ips, std::vector<k8s::EndpointPort> ports,
                           std::vector<std::string> not_ready = {}) {
  k8s::EndpointSubset subset;
  for (auto& ip : ips) subset.addresses.push_back({ip});
  for (auto& ip : not_ready) subset.not_ready_addresses.push_back({ip});
  subset.ports = std::move(ports);
  return subset;
}

std::string Endpoint(const std::string& ip, int port) {
  return "lb_endpoints { endpoint { address { socket_address { address: \"" + ip +
         "\" port_value: " + std::to_string(port) + " } } } }";
}

// Every locality: set (gRPC's xDS clients reject an unset one) and weighted 1 (they skip weight 0).
const std::string kLocality = " locality {} load_balancing_weight { value: 1 }";

struct EndpointsRow {
  std::string name;
  std::vector<k8s::Endpoints> endpoints;
  std::vector<std::string> want;  // text format ClusterLoadAssignments, in order
};

TEST(TranslateEndpointsTest, Table) {
  const std::vector<EndpointsRow> rows = {
      {"unnamed port",
       {MakeEndpoints("default", "kuard", {Subset({"10.0.0.2", "10.0.0.1"}, {{"", 8080}})})},
       {"cluster_name: \"default/kuard\" endpoints { " + Endpoint("10.0.0.1", 8080) +
        Endpoint("10.0.0.2", 8080) + kLocality + " }"}},
      {"named ports make one assignment each",
       {MakeEndpoints("default", "kuard",
                      {Subset({"10.0.0.1"}, {{"https", 8443}, {"http", 8080}})})},
       {"cluster_name: \"default/kuard/http\" endpoints { " + Endpoint("10.0.0.1", 8080) +
            kLocality + " }",
        "cluster_name: \"default/kuard/https\" endpoints { " + Endpoint("10.0.0.1", 8443) +
            kLocality + " }"}},
      {"subsets merge by port name",
       {MakeEndpoints(
           "default", "kuard",
           {Subset({"10.0.0.9"}, {{"http", 8080}}), Subset({"10.0.0.3"}, {{"http", 8080}})})},
       {"cluster_name: \"default/kuard/http\" endpoints { " + Endpoint("10.0.0.3", 8080) +
        Endpoint("10.0.0.9", 8080) + kLocality + " }"}},
      {"not ready addresses and empty subsets are skipped",
       {MakeEndpoints("default", "kuard",
                      {Subset({}, {{"http", 8080}}, {"10.0.0.5"}),
                       Subset({"10.0.0.1"}, {{"metrics", 9000}}, {"10.0.0.6"})})},
       {"cluster_name: \"default/kuard/metrics\" endpoints { " + Endpoint("10.0.0.1", 9000) +
        kLocality + " }"}},
      {"no subsets no assignments", {MakeEndpoints("default", "kuard", {})}, {}},
      {"several objects sorted by name",
       {MakeEndpoints("z", "svc", {Subset({"10.0.0.1"}, {{"", 80}})}),
        MakeEndpoints("a", "svc", {Subset({"10.0.0.2"}, {{"", 80}})})},
       {"cluster_name: \"a/svc\" endpoints { " + Endpoint("10.0.0.2", 80) + kLocality + " }",
        "cluster_name: \"z/svc\" endpoints { " + Endpoint("10.0.0.1", 80) + kLocality + " }"}},
  };
  for (const auto& row : rows) {
    std::vector<const k8s::Endpoints*> objects;
    for (const k8s::Endpoints& endpoints : row.endpoints) objects.push_back(&endpoints);
    const auto got = TranslateEndpoints(objects);
    ASSERT_EQ(got.size(), row.want.size()) << row.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_THAT(got[i], EqualsProto(ParseText<endpoint_v3::ClusterLoadAssignment>(row.want[i])))
          << row.name << " assignment " << i;
    }
  }
}

}  // namespace
}  // namespace contour::translate
