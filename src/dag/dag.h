// The routing graph (Contour's DAG), built by dag::Builder from the KubernetesCache and read by
// the pure translators. Plain immutable data once built: no pointers back into the cache.
//
//   Dag ── http virtual hosts (port 80)    ── routes ── clusters ── Service
//       └─ https virtual hosts (port 443)  ── routes / tcp proxy ── clusters ── Service
//                                          └─ Secret (TLS certificate)
//
// Maps are keyed by name so iteration order is the emission order (house rule: deterministic).
#ifndef CONTOUR_DAG_DAG_H_
#define CONTOUR_DAG_DAG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "k8s/objects.h"

namespace contour::dag {

// A certificate and key from a kubernetes.io/tls Secret.
struct Secret {
  std::string namespace_;
  std::string name;
  std::string certificate_chain;  // tls.crt, PEM
  std::string private_key;        // tls.key, PEM
};

// Upstream protocol from the Service's upstream-protocol.* annotations.
enum class UpstreamProtocol { kHttp1, kH2, kH2c, kTls };

// Non-zero values become the cluster's circuit_breakers thresholds.
struct CircuitBreakers {
  uint32_t max_connections = 0;
  uint32_t max_pending_requests = 0;
  uint32_t max_requests = 0;
  uint32_t max_retries = 0;

  bool Any() const {
    return max_connections || max_pending_requests || max_requests || max_retries;
  }
};

// One port of a Kubernetes Service (Contour's HTTPService / TCPService).
struct Service {
  std::string namespace_;
  std::string name;
  std::string port_name;  // may be empty
  int32_t port = 0;       // the Service port number
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  CircuitBreakers circuit_breakers;
  std::string external_name;  // non-empty for type ExternalName (STRICT_DNS cluster)

  // EDS service name: ns/name/portname, or ns/name for an unnamed port.
  std::string EdsServiceName() const {
    return port_name.empty() ? namespace_ + "/" + name : namespace_ + "/" + name + "/" + port_name;
  }
};

// IngressRoute services[].healthCheck with Contour's defaults already applied.
struct HealthCheck {
  std::string path;
  std::string host = "contour-envoy-healthcheck";
  int64_t interval_seconds = 10;
  int64_t timeout_seconds = 2;
  uint32_t unhealthy_threshold = 3;
  uint32_t healthy_threshold = 2;
  // The values as the user wrote them (0 = unset); the cluster name hashes these.
  int64_t given_interval_seconds = 0;
  int64_t given_timeout_seconds = 0;
  uint32_t given_unhealthy_threshold = 0;
  uint32_t given_healthy_threshold = 0;
};

// IngressRoute services[].validation: verify the upstream's certificate.
struct UpstreamValidation {
  std::string ca_secret_name;  // for the cluster name hash
  std::string ca_certificate;  // PEM from the secret's ca.crt
  std::string subject_name;
};

// Load-balancer strategy names as IngressRoute spells them; "" means RoundRobin.
inline constexpr char kStrategyCookie[] = "Cookie";

struct Cluster {
  std::shared_ptr<const Service> upstream;
  uint32_t weight = 0;
  std::string load_balancer_strategy;  // "", RoundRobin, WeightedLeastRequest, Random, Cookie
  std::optional<HealthCheck> health_check;
  std::optional<UpstreamValidation> validation;
};

// kExact serves networking.k8s.io/v1 pathType Exact (as Contour 1.14+ does).
enum class PathMatch { kPrefix, kRegex, kExact };

// A route timeout: unset (Envoy's 15s default), infinite (0s), or a value.
struct Timeout {
  enum class Kind { kDefault, kInfinite, kValue };
  Kind kind = Kind::kDefault;
  absl::Duration value = absl::ZeroDuration();
};

struct RetryPolicy {
  std::string retry_on;
  uint32_t num_retries = 0;                               // 0 = Envoy's default (1)
  absl::Duration per_try_timeout = absl::ZeroDuration();  // 0 = unset
};

struct Route {
  PathMatch match = PathMatch::kPrefix;
  std::string path;  // the prefix, or the regex
  std::vector<Cluster> clusters;
  bool https_redirect = false;  // answer with a 301 to https instead of forwarding
  bool websocket = false;
  Timeout timeout;
  std::optional<RetryPolicy> retry;
  std::string prefix_rewrite;
};

struct VirtualHost {
  std::string name;  // the fqdn, or "*"
  // Keyed by RouteKey(): one route per match kind and path.
  std::map<std::string, Route> routes;

  static std::string RouteKey(PathMatch match, const std::string& path) {
    switch (match) {
      case PathMatch::kRegex:
        return "regex:" + path;
      case PathMatch::kExact:
        return "exact:" + path;
      case PathMatch::kPrefix:
        break;
    }
    return "prefix:" + path;
  }
};

// TLS minimum protocol version; higher enum values are stricter.
enum class TlsVersion { k1_1, k1_2, k1_3 };

struct TcpProxy {
  std::vector<Cluster> clusters;
};

struct SecureVirtualHost {
  VirtualHost host;  // the routes served on 443
  TlsVersion min_tls_version = TlsVersion::k1_1;
  std::shared_ptr<const Secret> secret;  // null for TLS passthrough
  std::optional<TcpProxy> tcp_proxy;
};

// Validity of an IngressRoute, with Contour's exact words.
struct Status {
  std::string kind = "IngressRoute";
  std::string namespace_;
  std::string name;
  std::string current_status;  // valid, invalid, orphaned
  std::string description;
  std::string vhost;
  // The object has a spec.virtualhost: contour_ingressroute_root_total counts it, whatever its
  // validity.
  bool root = false;
  // The status the object carries now (from the API server), so that only changes are written.
  k8s::IngressRouteStatus observed;
};

struct Dag {
  std::map<std::string, VirtualHost> http_hosts;         // by vhost name
  std::map<std::string, SecureVirtualHost> https_hosts;  // by vhost name
  std::vector<Status> statuses;                          // sorted by namespace/name
};

}  // namespace contour::dag

#endif  // CONTOUR_DAG_DAG_H_
