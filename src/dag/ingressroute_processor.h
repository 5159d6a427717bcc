// The IngressRoute half of the build (Contour v0.15.3's computeIngressRoutes, processRoutes and
// processTCPProxy; contour.md §5): roots, TLS, delegation across namespaces, tcp proxies and the
// IngressRoute statuses. Runs after the Ingress processor, so an IngressRoute route replaces an
// Ingress route for the same host and prefix.
#ifndef CONTOUR_DAG_INGRESSROUTE_PROCESSOR_H_
#define CONTOUR_DAG_INGRESSROUTE_PROCESSOR_H_

#include "dag/build_state.h"

namespace contour::dag {

// In namespace/name order:
//  1. Roots (objects with a virtualhost) that share an fqdn (case-sensitively) are all invalid.
//     Objects without a virtualhost start orphaned.
//  2. Each other root: in a root namespace (CacheConfig::root_namespaces, empty = any), with an
//     fqdn and no "*"; its TLS secret (local, or "ns/name" delegated) gives the port-443 vhost
//     its secret and minimum TLS version. Its tcpproxy is used when the vhost terminates TLS or
//     passes it through; otherwise its routes are walked, following delegates (a delegate's
//     routes must lie under the delegating route's prefix) and stopping at cycles.
// Every route goes on the port-80 vhost of the root's fqdn and, when the fqdn has TLS (a port-443
// vhost with a secret), on the port-443 one; BuildState's Finish drops what serves nothing.
void AddIngressRouteVirtualHosts(BuildState& state);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_INGRESSROUTE_PROCESSOR_H_
