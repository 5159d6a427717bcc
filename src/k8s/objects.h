// Typed Kubernetes objects: only the fields contour reads. Decoded by k8s/decode.h from the
// API server's JSON or from users' YAML; every Ingress version becomes the one Ingress type.
#ifndef CONTOUR_K8S_OBJECTS_H_
#define CONTOUR_K8S_OBJECTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace contour::k8s {

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "default" when the manifest leaves it out
  std::string resource_version;
  std::string uid;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;

  bool operator==(const ObjectMeta&) const = default;
};

// Kubernetes' intstr.IntOrString: a port number or a port name.
struct IntOrString {
  bool is_string = false;
  int64_t int_value = 0;
  std::string string_value;

  bool operator==(const IntOrString&) const = default;
};

// --- core/v1 Service ---
struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int64_t port = 0;
  IntOrString target_port;

  bool operator==(const ServicePort&) const = default;
};

struct Service {
  ObjectMeta metadata;
  std::string type;           // ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string external_name;  // for type ExternalName
  std::vector<ServicePort> ports;

  bool operator==(const Service&) const = default;
};

// --- core/v1 Endpoints ---
struct EndpointAddress {
  std::string ip;

  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointPort {
  std::string name;
  int64_t port = 0;
  std::string protocol = "TCP";

  bool operator==(const EndpointPort&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;            // ready
  std::vector<EndpointAddress> not_ready_addresses;  // never used for traffic
  std::vector<EndpointPort> ports;

  bool operator==(const EndpointSubset&) const = default;
};

struct Endpoints {
  ObjectMeta metadata;
  std::vector<EndpointSubset> subsets;

  bool operator==(const Endpoints&) const = default;
};

// --- core/v1 Secret ---
struct Secret {
  ObjectMeta metadata;
  std::string type;                         // e.g. kubernetes.io/tls; "Opaque" when unset
  std::map<std::string, std::string> data;  // base64-decoded bytes (stringData merged in)

  bool operator==(const Secret&) const = default;
};

// --- Ingress: extensions/v1beta1, networking.k8s.io/v1beta1 and networking.k8s.io/v1 ---
struct IngressBackend {
  std::string service_name;
  IntOrString service_port;  // v1: service.port.number or service.port.name

  bool operator==(const IngressBackend&) const = default;
};

struct IngressPath {
  std::string path;
  std::string path_type;  // v1 only: Exact, Prefix, ImplementationSpecific
  IngressBackend backend;

  bool operator==(const IngressPath&) const = default;
};

struct IngressRule {
  std::string host;
  std::vector<IngressPath> paths;  // rule.http.paths; empty when http is absent

  bool operator==(const IngressRule&) const = default;
};

struct IngressTLS {
  std::vector<std::string> hosts;
  std::string secret_name;  // "name" or "namespace/name" (needs a TLSCertificateDelegation)

  bool operator==(const IngressTLS&) const = default;
};

struct Ingress {
  ObjectMeta metadata;
  std::string api_version;                        // as written; all versions decode to this type
  std::optional<std::string> ingress_class_name;  // v1 spec.ingressClassName
  std::optional<IngressBackend> default_backend;  // spec.backend / spec.defaultBackend
  std::vector<IngressTLS> tls;
  std::vector<IngressRule> rules;

  bool operator==(const Ingress&) const = default;
};

// --- contour.heptio.com/v1beta1 IngressRoute ---
struct HealthCheck {
  std::string path;
  std::string host;
  int64_t interval_seconds = 0;
  int64_t timeout_seconds = 0;
  int64_t unhealthy_threshold_count = 0;
  int64_t healthy_threshold_count = 0;

  bool operator==(const HealthCheck&) const = default;
};

struct UpstreamValidation {
  std::string ca_secret;
  std::string subject_name;

  bool operator==(const UpstreamValidation&) const = default;
};

struct IngressRouteService {
  std::string name;
  int64_t port = 0;
  int64_t weight = 0;
  std::string strategy;  // RoundRobin, WeightedLeastRequest, Random, Cookie
  std::optional<HealthCheck> health_check;
  std::optional<UpstreamValidation> validation;

  bool operator==(const IngressRouteService&) const = default;
};

struct Delegate {
  std::string name;
  std::string namespace_;  // empty means the delegating object's namespace

  bool operator==(const Delegate&) const = default;
};

struct TimeoutPolicy {
  std::string request;

  bool operator==(const TimeoutPolicy&) const = default;
};

struct RetryPolicy {
  int64_t count = 0;
  std::string per_try_timeout;

  bool operator==(const RetryPolicy&) const = default;
};

struct IngressRouteRoute {
  std::string match;
  std::vector<IngressRouteService> services;
  std::optional<Delegate> delegate;
  bool enable_websockets = false;
  bool permit_insecure = false;
  std::string prefix_rewrite;
  std::optional<TimeoutPolicy> timeout_policy;
  std::optional<RetryPolicy> retry_policy;

  bool operator==(const IngressRouteRoute&) const = default;
};

struct TCPProxy {
  std::vector<IngressRouteService> services;
  std::optional<Delegate> delegate;

  bool operator==(const TCPProxy&) const = default;
};

struct TLS {
  std::string secret_name;
  std::string minimum_protocol_version;
  bool passthrough = false;

  bool operator==(const TLS&) const = default;
};

struct VirtualHost {
  std::string fqdn;
  std::optional<TLS> tls;

  bool operator==(const VirtualHost&) const = default;
};

struct IngressRouteStatus {
  std::string current_status;
  std::string description;

  bool operator==(const IngressRouteStatus&) const = default;
};

struct IngressRoute {
  ObjectMeta metadata;
  std::optional<VirtualHost> virtualhost;  // present on a root
  std::vector<IngressRouteRoute> routes;
  // `routes:` was written, even as an empty list. Contour processes a root's routes (and calls
  // it valid) when the list is non-nil in Go, so an empty list differs from none.
  bool routes_given = false;
  std::optional<TCPProxy> tcpproxy;
  IngressRouteStatus status;

  bool operator==(const IngressRoute&) const = default;
};

// --- contour.heptio.com/v1beta1 TLSCertificateDelegation ---
struct CertificateDelegation {
  std::string secret_name;
  std::vector<std::string> target_namespaces;  // "*" alone means every namespace

  bool operator==(const CertificateDelegation&) const = default;
};

struct TLSCertificateDelegation {
  ObjectMeta metadata;
  std::vector<CertificateDelegation> delegations;

  bool operator==(const TLSCertificateDelegation&) const = default;
};

using Object =
    std::variant<Service, Endpoints, Secret, Ingress, IngressRoute, TLSCertificateDelegation>;

// The kind name of an object ("Service", "Ingress", ...).
const char* KindOf(const Object& object);
const ObjectMeta& MetaOf(const Object& object);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_OBJECTS_H_
