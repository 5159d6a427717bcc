// The HTTP connection manager filter of ingress_http and ingress_https (routes over RDS).
#ifndef CONTOUR_TRANSLATE_HTTP_CONNECTION_MANAGER_H_
#define CONTOUR_TRANSLATE_HTTP_CONNECTION_MANAGER_H_

#include <string>

#include "envoy/config/listener/v3/listener_components.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "translate/translate.h"

namespace contour::translate {

inline constexpr char kHttpConnectionManagerFilter[] =
    "envoy.filters.network.http_connection_manager";
inline constexpr char kRouterFilter[] = "envoy.filters.http.router";

// An http filter entry for the router, which must come last.
envoy::extensions::filters::network::http_connection_manager::v3::HttpFilter RouterHttpFilter();

// The HCM for `route_name` (also its stat prefix), logging to `access_log_path`.
envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager
HttpConnectionManager(const std::string& route_name, const std::string& access_log_path,
                      ConfigSourceMode mode);

// The same, wrapped as a listener network filter.
envoy::config::listener::v3::Filter HttpConnectionManagerFilter(const std::string& route_name,
                                                                const std::string& access_log_path,
                                                                ConfigSourceMode mode);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_HTTP_CONNECTION_MANAGER_H_
