// Pure translation of the DAG into Envoy v3 resources, named as Contour names them.
// No I/O, no locks, no clocks: the same DAG and config always give byte-identical protos.
#ifndef CONTOUR_TRANSLATE_TRANSLATE_H_
#define CONTOUR_TRANSLATE_TRANSLATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "dag/dag.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "k8s/objects.h"

namespace contour::translate {

// How resources point Envoy back at contour for RDS, EDS and SDS.
enum class ConfigSourceMode {
  kGrpcContour,  // api_config_source GRPC → cluster "contour" (Contour's bootstrap)
  kAds,          // ads {} (clients that connect over ADS)
};

// Everything that shapes the output besides the DAG; defaults are `contour serve`'s.
struct TranslateConfig {
  std::string http_address = "0.0.0.0";
  uint32_t http_port = 8080;
  std::string https_address = "0.0.0.0";
  uint32_t https_port = 8443;
  std::string stats_address = "0.0.0.0";
  uint32_t stats_port = 8002;
  std::string http_access_log = "/dev/stdout";
  std::string https_access_log = "/dev/stdout";
  bool use_proxy_protocol = false;
  dag::TlsVersion min_tls_version = dag::TlsVersion::k1_1;  // global floor (contour.yaml)
  ConfigSourceMode config_source = ConfigSourceMode::kGrpcContour;
};

// Every resource type, each sorted by name.
struct Resources {
  std::vector<envoy::config::listener::v3::Listener> listeners;
  std::vector<envoy::config::route::v3::RouteConfiguration> routes;
  std::vector<envoy::config::cluster::v3::Cluster> clusters;
  std::vector<envoy::extensions::transport_sockets::tls::v3::Secret> secrets;
};

// The listeners (ingress_http, ingress_https, stats-health), the two route configurations,
// the clusters and the secrets for a DAG.
Resources Translate(const dag::Dag& dag, const TranslateConfig& config);

// ClusterLoadAssignments for Endpoints objects (Contour's EndpointsTranslator): one per port,
// named ns/name/portname (ns/name when unnamed), ready addresses only; sorted by name.
// Takes the objects by pointer so that callers need not copy what they hold.
std::vector<envoy::config::endpoint::v3::ClusterLoadAssignment> TranslateEndpoints(
    const std::vector<const k8s::Endpoints*>& endpoints);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_TRANSLATE_H_
