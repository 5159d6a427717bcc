#include "translate/cluster.h"

#include <map>

#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb.h"
#include "translate/address.h"
#include "translate/config_source.h"
#include "translate/names.h"
#include "translate/proto_util.h"
#include "translate/tls.h"

namespace contour::translate {
namespace {

namespace cluster_v3 = envoy::config::cluster::v3;

constexpr int64_t kConnectTimeoutMillis = 250;
constexpr char kHttpProtocolOptionsKey[] = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

// Contour's health-check defaults (internal/envoy/healthcheck.go), used when a value is 0.
constexpr int64_t kHealthCheckTimeoutSeconds = 2;
constexpr int64_t kHealthCheckIntervalSeconds = 10;
constexpr uint32_t kHealthCheckUnhealthyThreshold = 3;
constexpr uint32_t kHealthCheckHealthyThreshold = 2;
constexpr char kHealthCheckHost[] = "contour-envoy-healthcheck";

void SetHttp2(cluster_v3::Cluster* cluster) {
  envoy::extensions::upstreams::http::v3::HttpProtocolOptions options;
  options.mutable_explicit_http_config()->mutable_http2_protocol_options();
  (*cluster->mutable_typed_extension_protocol_options())[kHttpProtocolOptionsKey] =
      PackAny(options);
}

void SetUpstreamProtocol(const dag::Cluster& cluster, cluster_v3::Cluster* out) {
  const dag::UpstreamValidation* validation = cluster.validation ? &*cluster.validation : nullptr;
  switch (cluster.upstream->protocol) {
    case dag::UpstreamProtocol::kTls:
      *out->mutable_transport_socket() = TlsTransportSocket(UpstreamTlsContext(validation, {}));
      return;
    case dag::UpstreamProtocol::kH2:
      *out->mutable_transport_socket() = TlsTransportSocket(UpstreamTlsContext(validation, {"h2"}));
      SetHttp2(out);
      return;
    case dag::UpstreamProtocol::kH2c:
      SetHttp2(out);
      return;
    case dag::UpstreamProtocol::kHttp1:
      return;
  }
}

void SetHealthCheck(const dag::HealthCheck& hc, cluster_v3::Cluster* out) {
  auto* check = out->add_health_checks();
  *check->mutable_timeout() =
      ProtoSeconds(hc.timeout_seconds != 0 ? hc.timeout_seconds : kHealthCheckTimeoutSeconds);
  *check->mutable_interval() =
      ProtoSeconds(hc.interval_seconds != 0 ? hc.interval_seconds : kHealthCheckIntervalSeconds);
  check->mutable_unhealthy_threshold()->set_value(
      hc.unhealthy_threshold != 0 ? hc.unhealthy_threshold : kHealthCheckUnhealthyThreshold);
  check->mutable_healthy_threshold()->set_value(
      hc.healthy_threshold != 0 ? hc.healthy_threshold : kHealthCheckHealthyThreshold);
  auto* http = check->mutable_http_health_check();
  http->set_path(hc.path);
  http->set_host(hc.host.empty() ? kHealthCheckHost : hc.host);
  // Drop connections to hosts as soon as EDS removes them (v2's
  // drain_connections_on_host_removal).
  out->set_ignore_health_on_host_removal(true);
}

void SetCircuitBreakers(const dag::CircuitBreakers& limits, cluster_v3::Cluster* out) {
  if (!limits.Any()) return;
  auto* thresholds = out->mutable_circuit_breakers()->add_thresholds();
  if (limits.max_connections)
    thresholds->mutable_max_connections()->set_value(limits.max_connections);
  if (limits.max_pending_requests) {
    thresholds->mutable_max_pending_requests()->set_value(limits.max_pending_requests);
  }
  if (limits.max_requests) thresholds->mutable_max_requests()->set_value(limits.max_requests);
  if (limits.max_retries) thresholds->mutable_max_retries()->set_value(limits.max_retries);
}

void SetDiscovery(const dag::Service& service, ConfigSourceMode mode, cluster_v3::Cluster* out) {
  if (service.external_name.empty()) {
    out->set_type(cluster_v3::Cluster::EDS);
    auto* eds = out->mutable_eds_cluster_config();
    *eds->mutable_eds_config() = ConfigSource(mode);
    eds->set_service_name(service.EdsServiceName());
    return;
  }
  // ExternalName: Envoy resolves the DNS name itself.
  out->set_type(cluster_v3::Cluster::STRICT_DNS);
  auto* assignment = out->mutable_load_assignment();
  // Contour v0.15 always joins the port name, leaving "ns/name/" for an unnamed port.
  assignment->set_cluster_name(service.namespace_ + "/" + service.name + "/" + service.port_name);
  *assignment->add_endpoints()->add_lb_endpoints()->mutable_endpoint()->mutable_address() =
      SocketAddress(service.external_name, static_cast<uint32_t>(service.port));
}

cluster_v3::Cluster NamedCluster(std::string name, const dag::Cluster& cluster,
                                 ConfigSourceMode mode) {
  const dag::Service& service = *cluster.upstream;
  cluster_v3::Cluster out;
  out.set_name(std::move(name));
  out.set_alt_stat_name(AltStatName(service));
  SetDiscovery(service, mode, &out);
  *out.mutable_connect_timeout() = ProtoDuration(absl::Milliseconds(kConnectTimeoutMillis));
  out.set_lb_policy(LbPolicy(cluster.load_balancer_strategy));
  // Never spread load onto unhealthy hosts in panic.
  out.mutable_common_lb_config()->mutable_healthy_panic_threshold()->set_value(0);
  if (cluster.health_check) SetHealthCheck(*cluster.health_check, &out);
  SetCircuitBreakers(service.circuit_breakers, &out);
  SetUpstreamProtocol(cluster, &out);
  return out;
}

// The first cluster of each name wins.
void CollectClusters(const std::vector<dag::Cluster>& clusters, ConfigSourceMode mode,
                     std::map<std::string, cluster_v3::Cluster>* out) {
  for (const auto& cluster : clusters) {
    auto [it, inserted] = out->try_emplace(ClusterName(cluster));
    if (inserted) it->second = NamedCluster(it->first, cluster, mode);
  }
}

void CollectRoutes(const dag::VirtualHost& vhost, ConfigSourceMode mode,
                   std::map<std::string, cluster_v3::Cluster>* out) {
  for (const auto& [key, route] : vhost.routes) CollectClusters(route.clusters, mode, out);
}

}  // namespace

cluster_v3::Cluster::LbPolicy LbPolicy(const std::string& strategy) {
  if (strategy == "WeightedLeastRequest") return cluster_v3::Cluster::LEAST_REQUEST;
  if (strategy == "Random") return cluster_v3::Cluster::RANDOM;
  if (strategy == dag::kStrategyCookie) return cluster_v3::Cluster::RING_HASH;
  return cluster_v3::Cluster::ROUND_ROBIN;
}

cluster_v3::Cluster Cluster(const dag::Cluster& cluster, ConfigSourceMode mode) {
  return NamedCluster(ClusterName(cluster), cluster, mode);
}

std::vector<cluster_v3::Cluster> Clusters(const dag::Dag& dag, ConfigSourceMode mode) {
  std::map<std::string, cluster_v3::Cluster> by_name;
  for (const auto& [name, vhost] : dag.http_hosts) CollectRoutes(vhost, mode, &by_name);
  for (const auto& [name, secure] : dag.https_hosts) {
    CollectRoutes(secure.host, mode, &by_name);
    if (secure.tcp_proxy) CollectClusters(secure.tcp_proxy->clusters, mode, &by_name);
  }
  std::vector<cluster_v3::Cluster> clusters;
  clusters.reserve(by_name.size());
  for (auto& [name, cluster] : by_name) clusters.push_back(std::move(cluster));
  return clusters;
}

}  // namespace contour::translate
