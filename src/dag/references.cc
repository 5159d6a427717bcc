#include "dag/references.h"

#include "dag/delegation.h"

namespace contour::dag {
namespace {

void AddService(References& refs, const std::string& namespace_, const std::string& name) {
  if (!name.empty()) refs.services.push_back({namespace_, name});
}

void AddTlsSecret(References& refs, const std::string& namespace_, const std::string& name) {
  ObjectKey secret = SplitSecretName(name, namespace_);
  if (!secret.second.empty()) refs.tls_secrets.push_back({std::move(secret), namespace_});
}

void AddIngressRouteServices(References& refs, const std::string& namespace_,
                             const std::vector<k8s::IngressRouteService>& services,
                             bool with_validation) {
  for (const k8s::IngressRouteService& service : services) {
    AddService(refs, namespace_, service.name);
    if (with_validation && service.validation && !service.validation->ca_secret.empty()) {
      refs.ca_secrets.push_back({namespace_, service.validation->ca_secret});
    }
  }
}

}  // namespace

References ReferencesOf(const k8s::Ingress& ingress) {
  References refs;
  const std::string& namespace_ = ingress.metadata.namespace_;
  if (ingress.default_backend) AddService(refs, namespace_, ingress.default_backend->service_name);
  for (const k8s::IngressRule& rule : ingress.rules) {
    for (const k8s::IngressPath& path : rule.paths) {
      AddService(refs, namespace_, path.backend.service_name);
    }
  }
  for (const k8s::IngressTLS& tls : ingress.tls) AddTlsSecret(refs, namespace_, tls.secret_name);
  return refs;
}

References ReferencesOf(const k8s::IngressRoute& route) {
  References refs;
  const std::string& namespace_ = route.metadata.namespace_;
  for (const k8s::IngressRouteRoute& r : route.routes) {
    AddIngressRouteServices(refs, namespace_, r.services, /*with_validation=*/true);
  }
  if (route.tcpproxy) {
    // The builder reads validation only on routes, so a tcpproxy's CA is not a reference.
    AddIngressRouteServices(refs, namespace_, route.tcpproxy->services, /*with_validation=*/false);
  }
  if (route.virtualhost && route.virtualhost->tls) {
    AddTlsSecret(refs, namespace_, route.virtualhost->tls->secret_name);
  }
  return refs;
}

}  // namespace contour::dag
