// One IngressRoute route that names services, made into a dag::Route (the base case of Contour's
// processRoutes, internal/dag/builder.go; policy.go; contour.md §5).
#ifndef CONTOUR_DAG_INGRESSROUTE_ROUTE_H_
#define CONTOUR_DAG_INGRESSROUTE_ROUTE_H_

#include <optional>
#include <string>
#include <string_view>

#include "dag/build_state.h"
#include "dag/dag.h"
#include "k8s/objects.h"

namespace contour::dag {

// Contour's matchesPathPrefix: an empty prefix matches anything; otherwise both get a trailing
// "/" and the path must start with the prefix ("/foo" matches "/foo/bar", not "/foobar").
bool MatchesPathPrefix(std::string_view path, std::string_view prefix);

// services[].healthCheck with Contour's defaults (internal/envoy/healthcheck.go) applied, and the
// values as written kept for the cluster name.
HealthCheck IngressRouteHealthCheck(const k8s::HealthCheck& check);

// retryPolicy: retry_on "5xx", num_retries max(1, count), perTryTimeout when a positive Go
// duration. nullopt without a retryPolicy.
std::optional<RetryPolicy> IngressRouteRetryPolicy(const std::optional<k8s::RetryPolicy>& policy);

// timeoutPolicy.request, parsed as the request-timeout annotation is.
Timeout IngressRouteTimeout(const std::optional<k8s::TimeoutPolicy>& policy);

// The port-80 route for `route` (a route with services) of `object`, served for vhost `host`:
// redirects to https when `enforce_tls` and the route does not (effectively) permit insecure.
// Returns nullopt, with the object's status recorded, when the route must be left out: a port out
// of range, a negative weight, or a Service port that does not exist. A failed upstream
// validation records its status but keeps the route (without validation), as Contour does.
std::optional<Route> IngressRouteServicesRoute(BuildState& state, const k8s::IngressRoute& object,
                                               const k8s::IngressRouteRoute& route,
                                               const std::string& host, bool enforce_tls);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_INGRESSROUTE_ROUTE_H_
