// The Ingress half of the build (Contour's computeSecureVirtualhosts and computeIngresses,
// contour.md §4 and §5 "Ingress-side rules"). Ingresses are read in namespace/name order, so
// when two write the same host and path the later one wins, deterministically.
#ifndef CONTOUR_DAG_INGRESS_PROCESSOR_H_
#define CONTOUR_DAG_INGRESS_PROCESSOR_H_

#include <string>

#include "dag/build_state.h"
#include "dag/dag.h"
#include "k8s/objects.h"

namespace contour::dag {

// tls[].hosts become port-443 vhosts with the secret, when the secret is a usable TLS secret and
// (for "ns/name") delegated to the Ingress's namespace; the tls-minimum-protocol-version
// annotation sets the vhost's minimum. Runs first, so the set of secure vhosts is fixed before
// any routes are added.
void AddIngressSecureVirtualHosts(BuildState& state);

// Each rule path (and the default backend, as host "*" path "/") whose Service port exists
// becomes a route on port 80 (unless allow-http is "false" without force-ssl-redirect) and on
// the host's port-443 vhost if there is one.
void AddIngressRoutes(BuildState& state);

// The route for one Ingress path, without clusters: path match, force-ssl-redirect, websocket,
// timeout and retry annotations.
Route IngressPathRoute(const k8s::Ingress& ingress, const k8s::IngressPath& path);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_INGRESS_PROCESSOR_H_
