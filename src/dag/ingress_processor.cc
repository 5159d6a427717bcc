#include "dag/ingress_processor.h"

#include <string>

#include "dag/annotations.h"
#include "dag/delegation.h"

namespace contour::dag {
namespace {

// Characters that make Contour treat a path as a regex.
constexpr char kRegexCharacters[] = "^+*[]%";

std::string OrDefault(const std::string& value, const char* fallback) {
  return value.empty() ? std::string(fallback) : value;
}

}  // namespace

void AddIngressSecureVirtualHosts(BuildState& state) {
  for (const auto& [key, ingress] : state.cache().ingresses()) {
    const std::string& namespace_ = ingress->metadata.namespace_;
    for (const k8s::IngressTLS& tls : ingress->tls) {
      const ObjectKey secret_key = SplitSecretName(tls.secret_name, namespace_);
      std::shared_ptr<const Secret> secret = state.LookupTlsSecret(secret_key);
      if (secret == nullptr || !state.DelegationPermitted(secret_key, namespace_)) continue;
      const std::string* version =
          FindAnnotation(ingress->metadata.annotations, kAnnotationTlsMinimumProtocolVersion);
      const TlsVersion min_version = ParseTlsVersion(version == nullptr ? "" : *version);
      for (const std::string& host : tls.hosts) {
        SecureVirtualHost& vhost = state.HttpsHost(host);
        vhost.secret = secret;
        vhost.min_tls_version = min_version;
      }
    }
  }
}

Route IngressPathRoute(const k8s::Ingress& ingress, const k8s::IngressPath& ingress_path) {
  const Annotations& annotations = ingress.metadata.annotations;
  Route route;
  route.path = OrDefault(ingress_path.path, "/");
  if (ingress_path.path_type == "Exact") {
    route.match = PathMatch::kExact;
  } else if (route.path.find_first_of(kRegexCharacters) != std::string::npos) {
    route.match = PathMatch::kRegex;
  }
  route.https_redirect = TlsRequired(annotations);
  route.websocket = WebsocketRoutes(annotations).contains(route.path);
  route.timeout = RequestTimeout(annotations);
  route.retry = IngressRetryPolicy(annotations);
  return route;
}

namespace {

// One path of a rule: its route on port 80 (unless HTTP is turned off) and, forwarding, on the
// host's port-443 vhost when it has one.
void AddIngressPath(BuildState& state, const k8s::Ingress& ingress, bool add_http,
                    const std::string& host, const k8s::IngressPath& path) {
  std::shared_ptr<const Service> service = state.services().LookupHttp(
      {ingress.metadata.namespace_, path.backend.service_name}, path.backend.service_port);
  if (service == nullptr) return;
  Route route = IngressPathRoute(ingress, path);
  route.clusters.push_back(Cluster{std::move(service)});
  const std::string route_key = VirtualHost::RouteKey(route.match, route.path);
  if (state.SecureHostExists(host)) {
    Route secure = route;
    // Port 443 forwards; the redirect only makes sense on port 80.
    secure.https_redirect = false;
    state.HttpsHost(host).host.routes[route_key] = std::move(secure);
  }
  if (add_http) state.HttpHost(host).routes[route_key] = std::move(route);
}

}  // namespace

void AddIngressRoutes(BuildState& state) {
  const std::string any_host = "*";
  for (const auto& [key, ingress] : state.cache().ingresses()) {
    const Annotations& annotations = ingress->metadata.annotations;
    const bool add_http = TlsRequired(annotations) || HttpAllowed(annotations);
    for (const k8s::IngressRule& rule : ingress->rules) {
      const std::string& host = rule.host.empty() ? any_host : rule.host;
      for (const k8s::IngressPath& path : rule.paths) {
        AddIngressPath(state, *ingress, add_http, host, path);
      }
    }
    // The default backend comes last, as a host-less, path-less rule.
    if (ingress->default_backend) {
      AddIngressPath(state, *ingress, add_http, any_host,
                     k8s::IngressPath{"", "", *ingress->default_backend});
    }
  }
}

}  // namespace contour::dag
