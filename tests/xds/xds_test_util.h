// Helpers for the xDS tests: DAGs and snapshots from manifests, the names inside encoded
// responses, and requests written in one line. Header-only: tests/xds/ globs only *_test.cc.
#ifndef CONTOUR_TESTS_XDS_XDS_TEST_UTIL_H_
#define CONTOUR_TESTS_XDS_XDS_TEST_UTIL_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "google/protobuf/any.pb.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "tests/dag/dag_test_objects.h"
#include "xds/resource.h"
#include "xds/snapshot.h"

namespace contour::xds::xdstest {

namespace discovery_v3 = envoy::service::discovery::v3;

// --- Manifests ---

inline std::string ServiceYaml(const std::string& name) {
  return absl::StrCat("---\napiVersion: v1\nkind: Service\nmetadata: {name: ", name,
                      ", namespace: default}\nspec:\n  ports:\n  - port: 80\n");
}

// An Ingress that sends host/ to `service` port 80.
inline std::string IngressYaml(const std::string& name, const std::string& host,
                               const std::string& service) {
  return absl::StrCat("---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: ", name,
                      ", namespace: default}\nspec:\n  rules:\n  - host: ", host,
                      "\n    http:\n      paths:\n      - path: /\n        backend: {serviceName: ",
                      service, ", servicePort: 80}\n");
}

inline std::string EndpointsYaml(const std::string& name, const std::vector<std::string>& ips) {
  std::string addresses;
  for (const std::string& ip : ips) absl::StrAppend(&addresses, "  - ip: ", ip, "\n");
  return absl::StrCat("---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: ", name,
                      ", namespace: default}\nsubsets:\n- addresses:\n", addresses,
                      "  ports:\n  - port: 8080\n");
}

// The names Contour gives what the manifests above make.
inline std::string ClusterName(const std::string& service) {
  return absl::StrCat("default/", service, "/80/da39a3ee5e");
}
inline std::string EdsName(const std::string& service) { return "default/" + service; }

// Services "old", "new" and "other", which the protocol tests route to and between.
inline std::string OldNewOtherServices() {
  return ServiceYaml("old") + ServiceYaml("new") + ServiceYaml("other");
}

// Short names for the types, as the tests speak of them.
inline constexpr ResourceType kCds = ResourceType::kCluster;
inline constexpr ResourceType kEds = ResourceType::kEndpoint;
inline constexpr ResourceType kLds = ResourceType::kListener;
inline constexpr ResourceType kRds = ResourceType::kRoute;
inline constexpr ResourceType kSds = ResourceType::kSecret;

inline std::vector<k8s::Object> Decode(const std::string& yaml) {
  k8s::DecodeResult decoded = k8s::DecodeManifests(yaml, "test");
  for (const auto& error : decoded.errors) ADD_FAILURE() << error.ToString();
  return std::move(decoded.objects);
}

// A kubernetes.io/tls Secret with the test certificate (tests/testdata/pem/).
inline std::string TlsSecretYaml(const std::string& name) {
  auto indented = [](const std::string& file) {
    std::string out;
    for (const absl::string_view line : absl::StrSplit(dag::dagtest::Pem(file), '\n')) {
      if (!line.empty()) absl::StrAppend(&out, "    ", std::string(line), "\n");
    }
    return out;
  };
  return absl::StrCat("---\napiVersion: v1\nkind: Secret\nmetadata: {name: ", name,
                      ", namespace: default}\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: |\n",
                      indented("rsa.crt"), "  tls.key: |\n", indented("rsa.key"));
}

// An Ingress that serves `host` over TLS with `secret`.
inline std::string TlsIngressYaml(const std::string& name, const std::string& host,
                                  const std::string& service, const std::string& secret) {
  return absl::StrCat("---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: ", name,
                      ", namespace: default}\nspec:\n  tls:\n  - hosts: [", host,
                      "]\n    secretName: ", secret, "\n  rules:\n  - host: ", host,
                      "\n    http:\n      paths:\n      - path: /\n        backend: {serviceName: ",
                      service, ", servicePort: 80}\n");
}

// Manifests → cache → DAG, as `contour serve` does (Secrets that the cache wants are supplied
// again, as its watches do).
inline dag::Dag BuildDag(const std::string& yaml) {
  dag::KubernetesCache cache(dag::CacheConfig{});
  dag::dagtest::Fill(cache, Decode(yaml));
  return dag::Build(cache, dag::BuilderConfig{});
}

inline SnapshotPtr MustSnapshot(const std::string& yaml, const Snapshot* previous) {
  absl::StatusOr<SnapshotPtr> snapshot =
      MakeSnapshot(BuildDag(yaml), translate::TranslateConfig{}, previous);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return snapshot.ok() ? *snapshot : nullptr;
}

inline k8s::Endpoints EndpointsObject(const std::string& name,
                                      const std::vector<std::string>& ips) {
  std::vector<k8s::Object> objects = Decode(EndpointsYaml(name, ips));
  if (objects.size() != 1 || !std::holds_alternative<k8s::Endpoints>(objects[0])) {
    ADD_FAILURE() << "not one Endpoints";
    return {};
  }
  return std::get<k8s::Endpoints>(objects[0]);
}

// A snapshot made by hand, for protocol tests that need names Contour never makes. A resource
// holds its name and its payload: changing the payload changes the resource. Both stream kinds
// get the same listeners and clusters.
struct FakeContents {
  std::map<std::string, std::string> clusters;
  std::map<std::string, std::string> listeners;
  std::map<std::string, std::string> routes;
  std::map<std::string, std::string> secrets;
  std::map<std::string, std::string> api_listeners;
};

inline SnapshotPtr FakeSnapshot(const FakeContents& contents) {
  auto snapshot = std::make_shared<Snapshot>();
  auto make_map = [](const std::map<std::string, std::string>& entries, auto make) {
    auto map = std::make_shared<ResourceMap>();
    for (const auto& [name, payload] : entries)
      map->emplace(name, MakeResource(name, make(name, payload)));
    return std::shared_ptr<const ResourceMap>(std::move(map));
  };
  auto cluster = [](const std::string& name, const std::string& payload) {
    envoy::config::cluster::v3::Cluster message;
    message.set_name(name);
    message.set_alt_stat_name(payload);
    return message;
  };
  auto listener = [](const std::string& name, const std::string& payload) {
    envoy::config::listener::v3::Listener message;
    message.set_name(name);
    message.set_stat_prefix(payload);
    return message;
  };
  auto route = [](const std::string& name, const std::string& payload) {
    envoy::config::route::v3::RouteConfiguration message;
    message.set_name(name);
    message.add_virtual_hosts()->set_name(payload);
    return message;
  };
  auto secret = [](const std::string& name, const std::string& payload) {
    envoy::extensions::transport_sockets::tls::v3::Secret message;
    message.set_name(name);
    message.mutable_generic_secret()->mutable_secret()->set_inline_string(payload);
    return message;
  };
  snapshot->clusters = {make_map(contents.clusters, cluster), make_map(contents.clusters, cluster)};
  snapshot->listeners = {make_map(contents.listeners, listener),
                         make_map(contents.listeners, listener)};
  snapshot->api_listeners = {make_map(contents.api_listeners, listener),
                             make_map(contents.api_listeners, listener)};
  snapshot->routes = make_map(contents.routes, route);
  snapshot->secrets = make_map(contents.secrets, secret);
  // A version that moves with the contents, as MakeSnapshot's does.
  auto version = [](const ResourceMap& map, const ResourceMap* also) {
    std::string all;
    for (const auto& [name, resource] : map)
      absl::StrAppend(&all, name, "=", resource->version, ";");
    if (also != nullptr) {
      for (const auto& [name, resource] : *also)
        absl::StrAppend(&all, name, "=", resource->version, ";");
    }
    return std::to_string(std::hash<std::string>()(all));
  };
  snapshot->versions[static_cast<int>(ResourceType::kCluster)] =
      version(*snapshot->clusters[0], nullptr);
  snapshot->versions[static_cast<int>(ResourceType::kListener)] =
      version(*snapshot->listeners[0], snapshot->api_listeners[0].get());
  snapshot->versions[static_cast<int>(ResourceType::kRoute)] = version(*snapshot->routes, nullptr);
  snapshot->versions[static_cast<int>(ResourceType::kSecret)] =
      version(*snapshot->secrets, nullptr);
  return snapshot;
}

// --- Responses ---

template <typename T>
T Unpack(const google::protobuf::Any& any) {
  T message;
  EXPECT_TRUE(any.UnpackTo(&message)) << any.type_url();
  return message;
}

// The name of any resource the server sends (a ClusterLoadAssignment's is its cluster_name).
inline std::string ResourceName(const google::protobuf::Any& any) {
  if (any.Is<envoy::config::cluster::v3::Cluster>()) {
    return Unpack<envoy::config::cluster::v3::Cluster>(any).name();
  }
  if (any.Is<envoy::config::endpoint::v3::ClusterLoadAssignment>()) {
    return Unpack<envoy::config::endpoint::v3::ClusterLoadAssignment>(any).cluster_name();
  }
  if (any.Is<envoy::config::listener::v3::Listener>()) {
    return Unpack<envoy::config::listener::v3::Listener>(any).name();
  }
  if (any.Is<envoy::config::route::v3::RouteConfiguration>()) {
    return Unpack<envoy::config::route::v3::RouteConfiguration>(any).name();
  }
  if (any.Is<envoy::extensions::transport_sockets::tls::v3::Secret>()) {
    return Unpack<envoy::extensions::transport_sockets::tls::v3::Secret>(any).name();
  }
  ADD_FAILURE() << "unexpected resource " << any.type_url();
  return "";
}

inline std::vector<std::string> Names(const discovery_v3::DiscoveryResponse& response) {
  std::vector<std::string> names;
  for (const auto& any : response.resources()) names.push_back(ResourceName(any));
  return names;
}

inline std::vector<std::string> Names(const discovery_v3::DeltaDiscoveryResponse& response) {
  std::vector<std::string> names;
  for (const auto& resource : response.resources()) {
    EXPECT_EQ(resource.name(), ResourceName(resource.resource()));
    names.push_back(resource.name());
  }
  return names;
}

inline std::vector<std::string> Removed(const discovery_v3::DeltaDiscoveryResponse& response) {
  return {response.removed_resources().begin(), response.removed_resources().end()};
}

// The resources of one type in a response, unpacked.
template <typename T, typename Response>
std::vector<T> Resources(const Response& response) {
  std::vector<T> out;
  if constexpr (std::is_same_v<Response, discovery_v3::DiscoveryResponse>) {
    for (const auto& any : response.resources()) out.push_back(Unpack<T>(any));
  } else {
    for (const auto& resource : response.resources()) out.push_back(Unpack<T>(resource.resource()));
  }
  return out;
}

// The EDS service names of the clusters in a CDS response: what Envoy subscribes to next.
template <typename Response>
std::vector<std::string> EdsServiceNames(const Response& response) {
  std::vector<std::string> names;
  for (const auto& cluster : Resources<envoy::config::cluster::v3::Cluster>(response)) {
    if (cluster.has_eds_cluster_config()) {
      names.push_back(cluster.eds_cluster_config().service_name());
    }
  }
  return names;
}

// --- Requests ---

inline discovery_v3::DiscoveryRequest Request(ResourceType type,
                                              const std::vector<std::string>& names,
                                              const std::string& version = "",
                                              const std::string& nonce = "") {
  discovery_v3::DiscoveryRequest request;
  request.set_type_url(std::string(TypeUrl(type)));
  for (const std::string& name : names) request.add_resource_names(name);
  request.set_version_info(version);
  request.set_response_nonce(nonce);
  request.mutable_node()->set_id("test-node");
  return request;
}

// A request that answers `response`: an ACK, or a NACK when `error` is set.
inline discovery_v3::DiscoveryRequest Answer(const discovery_v3::DiscoveryResponse& response,
                                             const std::vector<std::string>& names,
                                             const std::string& last_good_version,
                                             const std::string& error = "") {
  discovery_v3::DiscoveryRequest request;
  request.set_type_url(response.type_url());
  for (const std::string& name : names) request.add_resource_names(name);
  request.set_response_nonce(response.nonce());
  if (error.empty()) {
    request.set_version_info(response.version_info());
  } else {
    request.set_version_info(last_good_version);
    request.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT, as Envoy reports
    request.mutable_error_detail()->set_message(error);
  }
  return request;
}

inline discovery_v3::DeltaDiscoveryRequest DeltaRequest(
    ResourceType type, const std::vector<std::string>& subscribe,
    const std::vector<std::string>& unsubscribe = {}, const std::string& nonce = "") {
  discovery_v3::DeltaDiscoveryRequest request;
  request.set_type_url(std::string(TypeUrl(type)));
  for (const std::string& name : subscribe) request.add_resource_names_subscribe(name);
  for (const std::string& name : unsubscribe) request.add_resource_names_unsubscribe(name);
  request.set_response_nonce(nonce);
  request.mutable_node()->set_id("test-node");
  return request;
}

inline std::string Join(const std::vector<std::string>& names) { return absl::StrJoin(names, ","); }

}  // namespace contour::xds::xdstest

#endif  // CONTOUR_TESTS_XDS_XDS_TEST_UTIL_H_
