#include "translate/bootstrap.h"

#include "absl/strings/str_cat.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "envoy/extensions/upstreams/http/v3/http_protocol_options.pb.h"
#include "translate/access_log.h"
#include "translate/address.h"
#include "translate/config_source.h"
#include "translate/proto_util.h"
#include "translate/tls.h"

namespace contour::translate {
namespace {

namespace cluster_v3 = envoy::config::cluster::v3;
namespace core_v3 = envoy::config::core::v3;
namespace tls_v3 = envoy::extensions::transport_sockets::tls::v3;

constexpr char kHttpProtocolOptionsKey[] = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
constexpr char kAdminAccessLogPath[] = "/dev/null";
// Contour checks the name in contour's serving certificate (certgen issues it for "contour").
constexpr char kContourSubjectName[] = "contour";

// Contour's values (internal/envoy/bootstrap.go): one Envoy's xDS streams must never trip them.
constexpr uint32_t kMaxConnections = 100000;
constexpr uint32_t kMaxPendingRequests = 100000;
constexpr uint32_t kMaxRequests = 60000000;
constexpr uint32_t kMaxRetries = 50;

constexpr uint32_t kKeepaliveProbes = 3;
constexpr uint32_t kKeepaliveTimeSeconds = 30;
constexpr uint32_t kKeepaliveIntervalSeconds = 5;

// The per-type gRPC config source pointing at the contour cluster. Envoy's own gRPC client has
// no message size limit by default (unlike gRPC's 4 MiB), so a large state-of-the-world response
// needs nothing here; EnvoyGrpc.max_receive_message_length would only add a ceiling, and Envoys
// older than 2024 reject a bootstrap that sets it.
core_v3::ConfigSource ContourGrpcSource() { return ConfigSource(ConfigSourceMode::kGrpcContour); }

void SetDynamicResources(const BootstrapConfig& config,
                         envoy::config::bootstrap::v3::Bootstrap_DynamicResources* dynamic) {
  if (config.ads) {
    *dynamic->mutable_ads_config() = ContourGrpcSource().api_config_source();
    *dynamic->mutable_lds_config() = ConfigSource(ConfigSourceMode::kAds);
    *dynamic->mutable_cds_config() = ConfigSource(ConfigSourceMode::kAds);
    return;
  }
  *dynamic->mutable_lds_config() = ContourGrpcSource();
  *dynamic->mutable_cds_config() = ContourGrpcSource();
}

void SetSingleEndpoint(const std::string& cluster_name, const std::string& address, uint32_t port,
                       cluster_v3::Cluster* cluster) {
  auto* assignment = cluster->mutable_load_assignment();
  assignment->set_cluster_name(cluster_name);
  *assignment->add_endpoints()->add_lb_endpoints()->mutable_endpoint()->mutable_address() =
      SocketAddress(address, port);
}

void AddThresholds(core_v3::RoutingPriority priority, cluster_v3::CircuitBreakers* breakers) {
  auto* thresholds = breakers->add_thresholds();
  thresholds->set_priority(priority);
  thresholds->mutable_max_connections()->set_value(kMaxConnections);
  thresholds->mutable_max_pending_requests()->set_value(kMaxPendingRequests);
  thresholds->mutable_max_requests()->set_value(kMaxRequests);
  thresholds->mutable_max_retries()->set_value(kMaxRetries);
}

tls_v3::UpstreamTlsContext FileUpstreamTlsContext(const BootstrapConfig& config) {
  tls_v3::UpstreamTlsContext context;
  auto* common = context.mutable_common_tls_context();
  auto* certificate = common->add_tls_certificates();
  certificate->mutable_certificate_chain()->set_filename(config.cert_file);
  certificate->mutable_private_key()->set_filename(config.key_file);
  auto* validation = common->mutable_validation_context();
  validation->mutable_trusted_ca()->set_filename(config.ca_file);
  // The typed matcher replaces v2's verify_subject_alt_name.
  auto* san = validation->add_match_typed_subject_alt_names();
  san->set_san_type(tls_v3::SubjectAltNameMatcher::DNS);
  san->mutable_matcher()->set_exact(kContourSubjectName);
  return context;
}

cluster_v3::Cluster ContourCluster(const BootstrapConfig& config) {
  cluster_v3::Cluster cluster;
  cluster.set_name(kContourClusterName);
  cluster.set_alt_stat_name(
      absl::StrCat(config.namespace_, "_", kContourClusterName, "_", config.xds_port));
  cluster.set_type(cluster_v3::Cluster::STRICT_DNS);
  *cluster.mutable_connect_timeout() = ProtoSeconds(5);
  cluster.set_lb_policy(cluster_v3::Cluster::ROUND_ROBIN);
  SetSingleEndpoint(kContourClusterName, config.xds_address, config.xds_port, &cluster);

  envoy::extensions::upstreams::http::v3::HttpProtocolOptions http;
  http.mutable_explicit_http_config()->mutable_http2_protocol_options();
  (*cluster.mutable_typed_extension_protocol_options())[kHttpProtocolOptionsKey] = PackAny(http);

  AddThresholds(core_v3::HIGH, cluster.mutable_circuit_breakers());
  AddThresholds(core_v3::DEFAULT, cluster.mutable_circuit_breakers());

  auto* keepalive = cluster.mutable_upstream_connection_options()->mutable_tcp_keepalive();
  keepalive->mutable_keepalive_probes()->set_value(kKeepaliveProbes);
  keepalive->mutable_keepalive_time()->set_value(kKeepaliveTimeSeconds);
  keepalive->mutable_keepalive_interval()->set_value(kKeepaliveIntervalSeconds);

  if (!config.ca_file.empty() && !config.cert_file.empty() && !config.key_file.empty()) {
    *cluster.mutable_transport_socket() = TlsTransportSocket(FileUpstreamTlsContext(config));
  }
  return cluster;
}

cluster_v3::Cluster ServiceStatsCluster(const BootstrapConfig& config) {
  cluster_v3::Cluster cluster;
  cluster.set_name(kServiceStatsClusterName);
  cluster.set_type(cluster_v3::Cluster::LOGICAL_DNS);
  *cluster.mutable_connect_timeout() = ProtoDuration(absl::Milliseconds(250));
  cluster.set_lb_policy(cluster_v3::Cluster::ROUND_ROBIN);
  SetSingleEndpoint(kServiceStatsClusterName, config.admin_address, config.admin_port, &cluster);
  return cluster;
}

}  // namespace

absl::Status ValidateBootstrapConfig(const BootstrapConfig& config) {
  const int given = !config.ca_file.empty() + !config.cert_file.empty() + !config.key_file.empty();
  if (given != 0 && given != 3) {
    return absl::InvalidArgumentError(
        "you must supply all three TLS parameters - --envoy-cafile, --envoy-cert-file, "
        "--envoy-key-file, or none of them");
  }
  return absl::OkStatus();
}

envoy::config::bootstrap::v3::Bootstrap Bootstrap(const BootstrapConfig& config) {
  envoy::config::bootstrap::v3::Bootstrap bootstrap;
  SetDynamicResources(config, bootstrap.mutable_dynamic_resources());
  auto* static_resources = bootstrap.mutable_static_resources();
  *static_resources->add_clusters() = ContourCluster(config);
  *static_resources->add_clusters() = ServiceStatsCluster(config);

  auto* admin = bootstrap.mutable_admin();
  // access_log_path is deprecated in v3 in favour of a typed access logger.
  *admin->add_access_log() = FileAccessLog(kAdminAccessLogPath);
  *admin->mutable_address() = SocketAddress(config.admin_address, config.admin_port);
  return bootstrap;
}

}  // namespace contour::translate
