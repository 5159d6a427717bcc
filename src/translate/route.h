// RDS: the ingress_http and ingress_https route configurations (Contour's route visitor).
#ifndef CONTOUR_TRANSLATE_ROUTE_H_
#define CONTOUR_TRANSLATE_ROUTE_H_

#include <optional>
#include <vector>

#include "dag/dag.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/config/route/v3/route_components.pb.h"

namespace contour::translate {

// Forwarding: cluster or weighted clusters, timeout, retries, rewrite, websocket, hash policy.
envoy::config::route::v3::RouteAction RouteAction(const dag::Route& route);

// One Envoy route. `allow_redirect` is false on 443, where Contour always forwards.
envoy::config::route::v3::Route Route(const dag::Route& route, bool allow_redirect);

// A virtual host with its routes longest first; nullopt when it has no routes (Contour omits
// such vhosts).
std::optional<envoy::config::route::v3::VirtualHost> VirtualHost(const dag::VirtualHost& vhost,
                                                                 bool allow_redirect);

// Contour's longestRouteFirst, extended with exact matches ahead of everything: exact, then
// regex, then prefix, each in reverse lexicographic order of its path.
bool LongestRouteFirst(const envoy::config::route::v3::Route& a,
                       const envoy::config::route::v3::Route& b);

// ingress_http and ingress_https, always both, vhosts sorted by name.
std::vector<envoy::config::route::v3::RouteConfiguration> RouteConfigurations(const dag::Dag& dag);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_ROUTE_H_
