#include "translate/listener.h"

#include <algorithm>

#include "envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.pb.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb.h"
#include "translate/address.h"
#include "translate/http_connection_manager.h"
#include "translate/names.h"
#include "translate/proto_util.h"
#include "translate/stats_listener.h"
#include "translate/tcp_proxy.h"
#include "translate/tls.h"

namespace contour::translate {
namespace {

namespace listener_v3 = envoy::config::listener::v3;

listener_v3::ListenerFilter ProxyProtocolFilter() {
  listener_v3::ListenerFilter filter;
  filter.set_name("envoy.filters.listener.proxy_protocol");
  *filter.mutable_typed_config() =
      PackAny(envoy::extensions::filters::listener::proxy_protocol::v3::ProxyProtocol());
  return filter;
}

listener_v3::ListenerFilter TlsInspectorFilter() {
  listener_v3::ListenerFilter filter;
  filter.set_name("envoy.filters.listener.tls_inspector");
  *filter.mutable_typed_config() =
      PackAny(envoy::extensions::filters::listener::tls_inspector::v3::TlsInspector());
  return filter;
}

listener_v3::Listener HttpListener(const TranslateConfig& config) {
  listener_v3::Listener listener;
  listener.set_name(kHttpListenerName);
  *listener.mutable_address() = SocketAddress(config.http_address, config.http_port);
  if (config.use_proxy_protocol) *listener.add_listener_filters() = ProxyProtocolFilter();
  *listener.add_filter_chains()->add_filters() =
      HttpConnectionManagerFilter(kHttpListenerName, config.http_access_log, config.config_source);
  return listener;
}

listener_v3::Listener HttpsListener(const dag::Dag& dag, const TranslateConfig& config) {
  listener_v3::Listener listener;
  listener.set_name(kHttpsListenerName);
  *listener.mutable_address() = SocketAddress(config.https_address, config.https_port);
  if (config.use_proxy_protocol) *listener.add_listener_filters() = ProxyProtocolFilter();
  *listener.add_listener_filters() = TlsInspectorFilter();

  // Chains are ordered by server name, not by the map's vhost key.
  std::vector<const dag::SecureVirtualHost*> vhosts;
  for (const auto& [name, vhost] : dag.https_hosts) vhosts.push_back(&vhost);
  std::stable_sort(vhosts.begin(), vhosts.end(),
                   [](const auto* a, const auto* b) { return a->host.name < b->host.name; });
  for (const auto* vhost : vhosts)
    *listener.add_filter_chains() = SecureFilterChain(*vhost, config);
  return listener;
}

}  // namespace

listener_v3::FilterChain SecureFilterChain(const dag::SecureVirtualHost& vhost,
                                           const TranslateConfig& config) {
  listener_v3::FilterChain chain;
  chain.mutable_filter_chain_match()->add_server_names(vhost.host.name);
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  if (vhost.tcp_proxy) {
    *chain.add_filters() =
        TcpProxyFilter(kHttpsListenerName, *vhost.tcp_proxy, config.https_access_log);
    alpn.clear();  // the proxied protocol is opaque: offer no ALPN
  } else {
    *chain.add_filters() = HttpConnectionManagerFilter(kHttpsListenerName, config.https_access_log,
                                                       config.config_source);
  }
  if (vhost.secret) {
    const dag::TlsVersion min_version = std::max(config.min_tls_version, vhost.min_tls_version);
    *chain.mutable_transport_socket() = TlsTransportSocket(
        DownstreamTlsContext(SecretName(*vhost.secret), min_version, alpn, config.config_source));
  }
  return chain;
}

std::vector<listener_v3::Listener> Listeners(const dag::Dag& dag, const TranslateConfig& config) {
  std::vector<listener_v3::Listener> listeners;
  if (!dag.http_hosts.empty()) listeners.push_back(HttpListener(config));
  if (!dag.https_hosts.empty()) listeners.push_back(HttpsListener(dag, config));
  listeners.push_back(StatsListener(config.stats_address, config.stats_port));
  std::sort(listeners.begin(), listeners.end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  return listeners;
}

}  // namespace contour::translate
