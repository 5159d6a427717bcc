#include "dag/ingress_processor.h"

#include <vector>

#include "dag/annotations.h"
#include "dag/delegation.h"

namespace contour::dag {
namespace {

// Characters that make Contour treat a path as a regex.
constexpr char kRegexCharacters[] = "^+*[]%";

std::string OrDefault(const std::string& value, const char* fallback) {
  return value.empty() ? std::string(fallback) : value;
}

// The rules with the default backend appended as a host-less, path-less rule.
std::vector<k8s::IngressRule> RulesOf(const k8s::Ingress& ingress) {
  std::vector<k8s::IngressRule> rules = ingress.rules;
  if (ingress.default_backend) {
    k8s::IngressRule rule;
    rule.paths.push_back(k8s::IngressPath{"", "", *ingress.default_backend});
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

void AddIngressSecureVirtualHosts(BuildState& state) {
  for (const auto& [key, ingress] : state.cache().ingresses()) {
    const std::string& namespace_ = ingress->metadata.namespace_;
    for (const k8s::IngressTLS& tls : ingress->tls) {
      const ObjectKey secret_key = SplitSecretName(tls.secret_name, namespace_);
      std::shared_ptr<const Secret> secret = state.LookupTlsSecret(secret_key);
      if (secret == nullptr || !state.DelegationPermitted(secret_key, namespace_)) continue;
      auto version = ingress->metadata.annotations.find(kAnnotationTlsMinimumProtocolVersion);
      const TlsVersion min_version =
          ParseTlsVersion(version == ingress->metadata.annotations.end() ? "" : version->second);
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

void AddIngressRoutes(BuildState& state) {
  for (const auto& [key, ingress] : state.cache().ingresses()) {
    const Annotations& annotations = ingress->metadata.annotations;
    const bool add_http = TlsRequired(annotations) || HttpAllowed(annotations);
    for (const k8s::IngressRule& rule : RulesOf(*ingress)) {
      const std::string host = OrDefault(rule.host, "*");
      for (const k8s::IngressPath& path : rule.paths) {
        std::shared_ptr<const Service> service = state.services().LookupHttp(
            {ingress->metadata.namespace_, path.backend.service_name}, path.backend.service_port);
        if (service == nullptr) continue;
        Route route = IngressPathRoute(*ingress, path);
        route.clusters.push_back(Cluster{std::move(service)});
        const std::string route_key = VirtualHost::RouteKey(route.match, route.path);
        if (add_http) state.HttpHost(host).routes[route_key] = route;
        if (state.SecureHostExists(host)) {
          // Port 443 forwards; the redirect only makes sense on port 80.
          route.https_redirect = false;
          state.HttpsHost(host).host.routes[route_key] = std::move(route);
        }
      }
    }
  }
}

}  // namespace contour::dag
