#include "translate/endpoint.h"

#include <algorithm>
#include <map>
#include <utility>

#include "translate/address.h"
#include "translate/translate.h"

namespace contour::translate {

namespace endpoint_v3 = envoy::config::endpoint::v3;

std::string EndpointsServiceName(const k8s::ObjectMeta& meta, const std::string& port_name) {
  std::string name = meta.namespace_ + "/" + meta.name;
  if (!port_name.empty()) name += "/" + port_name;
  return name;
}

std::vector<endpoint_v3::ClusterLoadAssignment> ClusterLoadAssignments(
    const k8s::Endpoints& endpoints) {
  // port name → (ip, port) of every ready address that serves it.
  std::map<std::string, std::vector<std::pair<std::string, uint32_t>>> by_port;
  for (const auto& subset : endpoints.subsets) {
    if (subset.addresses.empty()) continue;
    for (const auto& port : subset.ports) {
      auto& hosts = by_port[port.name];
      hosts.reserve(hosts.size() + subset.addresses.size());
      for (const auto& address : subset.addresses) {
        hosts.emplace_back(address.ip, static_cast<uint32_t>(port.port));
      }
    }
  }
  std::vector<endpoint_v3::ClusterLoadAssignment> assignments;
  for (auto& [port_name, hosts] : by_port) {
    endpoint_v3::ClusterLoadAssignment assignment;
    assignment.set_cluster_name(EndpointsServiceName(endpoints.metadata, port_name));
    std::sort(hosts.begin(), hosts.end());
    auto* locality = assignment.add_endpoints();
    // Envoy ignores both unless locality-weighted balancing is on; gRPC's xDS clients reject a
    // locality that is unset and skip one without weight.
    locality->mutable_locality();
    locality->mutable_load_balancing_weight()->set_value(1);
    for (const auto& [ip, port] : hosts) {
      *locality->add_lb_endpoints()->mutable_endpoint()->mutable_address() =
          SocketAddress(ip, port);
    }
    assignments.push_back(std::move(assignment));
  }
  std::sort(assignments.begin(), assignments.end(),
            [](const auto& a, const auto& b) { return a.cluster_name() < b.cluster_name(); });
  return assignments;
}

std::vector<endpoint_v3::ClusterLoadAssignment> TranslateEndpoints(
    const std::vector<const k8s::Endpoints*>& endpoints) {
  std::vector<endpoint_v3::ClusterLoadAssignment> assignments;
  for (const k8s::Endpoints* object : endpoints) {
    for (auto& assignment : ClusterLoadAssignments(*object)) {
      assignments.push_back(std::move(assignment));
    }
  }
  std::stable_sort(assignments.begin(), assignments.end(), [](const auto& a, const auto& b) {
    return a.cluster_name() < b.cluster_name();
  });
  return assignments;
}

}  // namespace contour::translate
