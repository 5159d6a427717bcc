#include "translate/stats_listener.h"

#include "envoy/extensions/filters/http/health_check/v3/health_check.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "translate/address.h"
#include "translate/http_connection_manager.h"
#include "translate/proto_util.h"

namespace contour::translate {
namespace {

namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;

hcm::HttpFilter HealthCheckFilter() {
  envoy::extensions::filters::http::health_check::v3::HealthCheck health;
  health.mutable_pass_through_mode()->set_value(false);
  auto* header = health.add_headers();
  header->set_name(":path");
  header->mutable_string_match()->set_exact("/healthz");
  hcm::HttpFilter filter;
  filter.set_name("envoy.filters.http.health_check");
  *filter.mutable_typed_config() = PackAny(health);
  return filter;
}

hcm::HttpConnectionManager StatsConnectionManager() {
  hcm::HttpConnectionManager manager;
  manager.set_stat_prefix("stats");
  auto* vhost = manager.mutable_route_config()->add_virtual_hosts();
  vhost->set_name("backend");
  vhost->add_domains("*");
  auto* route = vhost->add_routes();
  route->mutable_match()->set_prefix("/stats");
  route->mutable_route()->set_cluster("service-stats");
  *manager.add_http_filters() = HealthCheckFilter();
  *manager.add_http_filters() = RouterHttpFilter();
  manager.mutable_normalize_path()->set_value(true);
  return manager;
}

}  // namespace

envoy::config::listener::v3::Listener StatsListener(const std::string& address, uint32_t port) {
  envoy::config::listener::v3::Listener listener;
  listener.set_name(kStatsListenerName);
  *listener.mutable_address() = SocketAddress(address, port);
  auto* filter = listener.add_filter_chains()->add_filters();
  filter->set_name(kHttpConnectionManagerFilter);
  *filter->mutable_typed_config() = PackAny(StatsConnectionManager());
  return listener;
}

}  // namespace contour::translate
