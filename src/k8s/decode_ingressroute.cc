// contour.heptio.com/v1beta1: IngressRoute and TLSCertificateDelegation. Numbers are kept as
// written, however out of range: the DAG explains those in the object's status.
#include "k8s/decode_kinds.h"

namespace contour::k8s::internal {
namespace {

using nlohmann::json;

void DecodeHealthCheck(const json& object, FieldReader& reader, HealthCheck& out) {
  reader.ReadString(object, "path", out.path);
  reader.ReadString(object, "host", out.host);
  reader.ReadInt(object, "intervalSeconds", out.interval_seconds);
  reader.ReadInt(object, "timeoutSeconds", out.timeout_seconds);
  reader.ReadInt(object, "unhealthyThresholdCount", out.unhealthy_threshold_count);
  reader.ReadInt(object, "healthyThresholdCount", out.healthy_threshold_count);
}

// Reads object[key] into `out` with `read` when it is an object; absent or null leaves nullopt.
template <typename T, typename Read>
void ReadOptional(const json& object, std::string_view key, FieldReader& reader,
                  std::optional<T>& out, Read read) {
  const json* value = reader.ObjectField(object, key);
  if (value == nullptr) return;
  FieldReader::Scope scope(reader, key);
  read(*value, reader, out.emplace());
}

void DecodeRouteService(const json& object, FieldReader& reader, IngressRouteService& out) {
  reader.ReadString(object, "name", out.name);
  reader.ReadInt(object, "port", out.port);
  reader.ReadInt(object, "weight", out.weight);
  reader.ReadString(object, "strategy", out.strategy);
  ReadOptional(object, "healthCheck", reader, out.health_check, DecodeHealthCheck);
  ReadOptional(object, "validation", reader, out.validation,
               [](const json& value, FieldReader& r, UpstreamValidation& validation) {
                 r.ReadString(value, "caSecret", validation.ca_secret);
                 r.ReadString(value, "subjectName", validation.subject_name);
               });
}

void DecodeDelegate(const json& object, FieldReader& reader, Delegate& out) {
  reader.ReadString(object, "name", out.name);
  reader.ReadString(object, "namespace", out.namespace_);
}

void DecodeRoute(const json& object, FieldReader& reader, IngressRouteRoute& out) {
  reader.ReadString(object, "match", out.match);
  reader.ReadList(object, "services", out.services, DecodeRouteService);
  ReadOptional(object, "delegate", reader, out.delegate, DecodeDelegate);
  reader.ReadBool(object, "enableWebsockets", out.enable_websockets);
  reader.ReadBool(object, "permitInsecure", out.permit_insecure);
  reader.ReadString(object, "prefixRewrite", out.prefix_rewrite);
  ReadOptional(object, "timeoutPolicy", reader, out.timeout_policy,
               [](const json& value, FieldReader& r, TimeoutPolicy& policy) {
                 r.ReadString(value, "request", policy.request);
               });
  ReadOptional(object, "retryPolicy", reader, out.retry_policy,
               [](const json& value, FieldReader& r, RetryPolicy& policy) {
                 r.ReadInt(value, "count", policy.count);
                 r.ReadString(value, "perTryTimeout", policy.per_try_timeout);
               });
}

void DecodeVirtualHost(const json& object, FieldReader& reader, VirtualHost& out) {
  reader.ReadString(object, "fqdn", out.fqdn);
  ReadOptional(object, "tls", reader, out.tls, [](const json& value, FieldReader& r, TLS& tls) {
    r.ReadString(value, "secretName", tls.secret_name);
    r.ReadString(value, "minimumProtocolVersion", tls.minimum_protocol_version);
    r.ReadBool(value, "passthrough", tls.passthrough);
  });
}

void DecodeTCPProxy(const json& object, FieldReader& reader, TCPProxy& out) {
  reader.ReadList(object, "services", out.services, DecodeRouteService);
  ReadOptional(object, "delegate", reader, out.delegate, DecodeDelegate);
}

}  // namespace

void DecodeIngressRoute(const json& object, FieldReader& reader, IngressRoute& out) {
  DecodeMetadata(object, reader, out.metadata);
  if (const json* spec = reader.ObjectField(object, "spec")) {
    FieldReader::Scope scope(reader, "spec");
    ReadOptional(*spec, "virtualhost", reader, out.virtualhost, DecodeVirtualHost);
    reader.ReadList(*spec, "routes", out.routes, DecodeRoute);
    const auto routes = spec->find("routes");
    out.routes_given = routes != spec->end() && routes->is_array();
    ReadOptional(*spec, "tcpproxy", reader, out.tcpproxy, DecodeTCPProxy);
  }
  if (const json* status = reader.ObjectField(object, "status")) {
    FieldReader::Scope scope(reader, "status");
    reader.ReadString(*status, "currentStatus", out.status.current_status);
    reader.ReadString(*status, "description", out.status.description);
  }
}

void DecodeTLSCertificateDelegation(const json& object, FieldReader& reader,
                                    TLSCertificateDelegation& out) {
  DecodeMetadata(object, reader, out.metadata);
  const json* spec = reader.ObjectField(object, "spec");
  if (spec == nullptr) return;
  FieldReader::Scope scope(reader, "spec");
  reader.ReadList(*spec, "delegations", out.delegations,
                  [](const json& item, FieldReader& r, CertificateDelegation& delegation) {
                    r.ReadString(item, "secretName", delegation.secret_name);
                    r.ReadStringList(item, "targetNamespaces", delegation.target_namespaces);
                  });
}

}  // namespace contour::k8s::internal
