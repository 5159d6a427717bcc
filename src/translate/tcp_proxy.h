// The TCP proxy filter for IngressRoute tcpproxy (TLS passthrough or termination).
#ifndef CONTOUR_TRANSLATE_TCP_PROXY_H_
#define CONTOUR_TRANSLATE_TCP_PROXY_H_

#include <string>

#include "dag/dag.h"
#include "envoy/config/listener/v3/listener_components.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"

namespace contour::translate {

inline constexpr char kTcpProxyFilter[] = "envoy.filters.network.tcp_proxy";

// One cluster is named directly; several become weighted clusters, each of weight 1 (Contour
// v0.15 never reads tcpproxy service weights), sorted by name.
envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy TcpProxy(
    const std::string& stat_prefix, const dag::TcpProxy& proxy, const std::string& access_log_path);

envoy::config::listener::v3::Filter TcpProxyFilter(const std::string& stat_prefix,
                                                   const dag::TcpProxy& proxy,
                                                   const std::string& access_log_path);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_TCP_PROXY_H_
