#include "dag/builder.h"

#include "dag/build_state.h"
#include "dag/ingress_processor.h"
#include "dag/ingressroute_processor.h"

namespace contour::dag {

Dag Build(const KubernetesCache& cache, const BuilderConfig& config) {
  BuildState state(cache, config);
  // Contour's order (internal/dag/builder.go Build). Secure vhosts from Ingress TLS come first so
  // that the set of port-443 vhosts is fixed while routes are added.
  AddIngressSecureVirtualHosts(state);
  AddIngressRoutes(state);
  // After Ingress routes, so that an IngressRoute overwrites an Ingress route for the same host
  // and prefix.
  AddIngressRouteVirtualHosts(state);
  return std::move(state).Finish();  // drops invalid vhosts, adds orphaned statuses
}

}  // namespace contour::dag
