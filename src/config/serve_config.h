// ServeConfig: the one validated configuration that every component receives. Built from
// defaults < contour.yaml (-c) < environment < flags; nothing else reads flags or the file.
#ifndef CONTOUR_CONFIG_SERVE_CONFIG_H_
#define CONTOUR_CONFIG_SERVE_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dag/dag.h"

namespace contour::config {

struct LeaderElectionConfig {
  bool enabled = false;
  std::string lock = "configmaps";  // configmaps or leases
  std::string name = "contour";
  std::string namespace_ = "heptio-contour";
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
};

struct ServeConfig {
  // Where objects come from without a cluster: manifest files and directories, watched live.
  std::vector<std::string> manifest_paths;

  // Kubernetes access.
  bool in_cluster = false;
  std::string kubeconfig;    // $HOME/.kube/config unless set
  std::string kube_context;  // the kubeconfig's current context unless set
  // The rate of our writes to the API server (IngressRoute status); client-go's default is 5/10.
  double kubernetes_client_qps = 100;
  int kubernetes_client_burst = 200;

  // Listeners contour serves or programs.
  std::string xds_address = "127.0.0.1";
  uint32_t xds_port = 8001;
  std::string stats_address = "0.0.0.0";
  uint32_t stats_port = 8002;
  std::string debug_http_address = "127.0.0.1";
  uint32_t debug_http_port = 6060;
  std::string http_address = "0.0.0.0";
  uint32_t http_port = 8000;
  std::string envoy_http_address = "0.0.0.0";
  uint32_t envoy_http_port = 8080;
  std::string envoy_https_address = "0.0.0.0";
  uint32_t envoy_https_port = 8443;
  std::string envoy_http_access_log = "/dev/stdout";
  std::string envoy_https_access_log = "/dev/stdout";
  bool use_proxy_protocol = false;

  // gRPC TLS.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;
  // How often the three files are read again, so rotated certificates take effect.
  absl::Duration tls_reload_interval = absl::Seconds(10);

  // What is routed.
  std::string ingress_class_name;  // empty means "contour"
  std::vector<std::string> ingressroute_root_namespaces;
  bool disable_permit_insecure = false;
  dag::TlsVersion min_tls_version = dag::TlsVersion::k1_1;

  LeaderElectionConfig leader_election;
  // With leader election: "leader" (v0.15) serves xDS from the leader only; "all" (Contour
  // v1.0's model) serves it from every replica. Only the leader writes status either way.
  std::string xds_serve_mode = "leader";
};

// Applies a contour.yaml document over `config`. Unknown keys, wrong types and bad values are
// errors naming the file, line and key.
absl::Status ApplyConfigFile(const std::string& path, ServeConfig& config);
absl::Status ApplyConfigText(const std::string& text, const std::string& source,
                             ServeConfig& config);

// "a, b,c" → {"a", "b", "c"}; blank → {} (any namespace).
std::vector<std::string> ParseRootNamespaces(const std::string& flag);

// "1.2" → k1_2, "1.3" → k1_3, anything else → k1_1 (Contour's rule).
dag::TlsVersion ParseTlsVersion(const std::string& value);

}  // namespace contour::config

#endif  // CONTOUR_CONFIG_SERVE_CONFIG_H_
