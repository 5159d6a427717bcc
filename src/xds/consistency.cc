#include "xds/consistency.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"

namespace contour::xds {
namespace {

namespace hcm_v3 = envoy::extensions::filters::network::http_connection_manager::v3;
namespace listener_v3 = envoy::config::listener::v3;
namespace route_v3 = envoy::config::route::v3;
namespace tcp_v3 = envoy::extensions::filters::network::tcp_proxy::v3;
namespace tls_v3 = envoy::extensions::transport_sockets::tls::v3;

// Enough to act on; the count says how many more there are.
constexpr size_t kMaxShown = 5;

using NameSet = absl::flat_hash_set<absl::string_view>;

class Problems {
 public:
  template <typename... Pieces>
  void Add(const Pieces&... pieces) {
    ++count_;
    if (shown_.size() < kMaxShown) shown_.push_back(absl::StrCat(pieces...));
  }

  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    const std::string list = absl::StrJoin(shown_, "; ");
    if (count_ <= shown_.size()) {
      return absl::FailedPreconditionError(absl::StrCat("inconsistent snapshot: ", list));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "inconsistent snapshot (", count_, " problems, first ", shown_.size(), "): ", list));
  }

 private:
  size_t count_ = 0;
  std::vector<std::string> shown_;
};

std::string Quoted(absl::string_view name) { return absl::StrCat("\"", name, "\""); }

// The names point into `resources`, which outlive the check.
template <typename Resource>
NameSet Names(const std::vector<Resource>& resources, absl::string_view type, Problems& problems) {
  NameSet names;
  names.reserve(resources.size());
  for (const Resource& resource : resources) {
    if (!names.insert(resource.name()).second) {
      problems.Add("duplicate ", type, " name ", Quoted(resource.name()));
    }
  }
  return names;
}

// What the checks look names up in; the scratch messages are reused so that unpacking one
// filter chain per secure virtual host allocates little.
struct Context {
  NameSet routes;
  NameSet clusters;
  NameSet secrets;
  Problems problems;
  hcm_v3::HttpConnectionManager hcm;
  tcp_v3::TcpProxy tcp_proxy;
  tls_v3::DownstreamTlsContext tls;
};

// Built only when there is a problem to report.
std::string Owner(const listener_v3::Listener& listener) {
  return absl::StrCat("listener ", Quoted(listener.name()));
}

void CheckTcpProxyCluster(const listener_v3::Listener& listener, absl::string_view cluster,
                          Context& context) {
  if (!context.clusters.contains(cluster)) {
    context.problems.Add(Owner(listener), " names missing cluster ", Quoted(cluster));
  }
}

void CheckFilter(const listener_v3::Listener& listener, const listener_v3::Filter& filter,
                 Context& context) {
  const google::protobuf::Any& config = filter.typed_config();
  if (config.Is<hcm_v3::HttpConnectionManager>()) {
    if (!config.UnpackTo(&context.hcm)) {
      context.problems.Add(Owner(listener), " has an unreadable filter ", Quoted(filter.name()));
      return;
    }
    // An inline route_config needs nothing else.
    if (context.hcm.has_rds() && !context.routes.contains(context.hcm.rds().route_config_name())) {
      context.problems.Add(Owner(listener), " names missing route configuration ",
                           Quoted(context.hcm.rds().route_config_name()));
    }
  } else if (config.Is<tcp_v3::TcpProxy>()) {
    if (!config.UnpackTo(&context.tcp_proxy)) {
      context.problems.Add(Owner(listener), " has an unreadable filter ", Quoted(filter.name()));
      return;
    }
    if (context.tcp_proxy.has_cluster()) {
      CheckTcpProxyCluster(listener, context.tcp_proxy.cluster(), context);
    }
    for (const auto& weighted : context.tcp_proxy.weighted_clusters().clusters()) {
      CheckTcpProxyCluster(listener, weighted.name(), context);
    }
  }
}

void CheckSecret(const listener_v3::Listener& listener, absl::string_view secret,
                 Context& context) {
  if (!context.secrets.contains(secret)) {
    context.problems.Add(Owner(listener), " names missing secret ", Quoted(secret));
  }
}

void CheckTransportSocket(const listener_v3::Listener& listener,
                          const envoy::config::core::v3::TransportSocket& socket,
                          Context& context) {
  const google::protobuf::Any& config = socket.typed_config();
  if (!config.Is<tls_v3::DownstreamTlsContext>()) return;
  if (!config.UnpackTo(&context.tls)) {
    context.problems.Add(Owner(listener), " has an unreadable transport socket ",
                         Quoted(socket.name()));
    return;
  }
  const tls_v3::CommonTlsContext& common = context.tls.common_tls_context();
  for (const auto& sds : common.tls_certificate_sds_secret_configs()) {
    CheckSecret(listener, sds.name(), context);
  }
  if (common.has_validation_context_sds_secret_config()) {
    CheckSecret(listener, common.validation_context_sds_secret_config().name(), context);
  }
}

void CheckFilterChain(const listener_v3::Listener& listener, const listener_v3::FilterChain& chain,
                      Context& context) {
  for (const listener_v3::Filter& filter : chain.filters()) CheckFilter(listener, filter, context);
  if (chain.has_transport_socket())
    CheckTransportSocket(listener, chain.transport_socket(), context);
}

void CheckRouteConfiguration(const route_v3::RouteConfiguration& configuration, Context& context) {
  for (const route_v3::VirtualHost& vhost : configuration.virtual_hosts()) {
    auto check = [&](const std::string& cluster) {
      if (context.clusters.contains(cluster)) return;
      context.problems.Add("route configuration ", Quoted(configuration.name()), " (virtual host ",
                           Quoted(vhost.name()), ") names missing cluster ", Quoted(cluster));
    };
    for (const route_v3::Route& route : vhost.routes()) {
      if (!route.has_route()) continue;  // redirects and direct responses name no cluster
      const route_v3::RouteAction& action = route.route();
      if (action.has_cluster()) check(action.cluster());
      for (const auto& weighted : action.weighted_clusters().clusters()) check(weighted.name());
      for (const auto& mirror : action.request_mirror_policies()) {
        if (!mirror.cluster().empty()) check(mirror.cluster());
      }
    }
  }
}

}  // namespace

absl::Status CheckConsistency(const translate::Resources& resources) {
  Context context;
  context.routes = Names(resources.routes, "route configuration", context.problems);
  context.clusters = Names(resources.clusters, "cluster", context.problems);
  context.secrets = Names(resources.secrets, "secret", context.problems);
  Names(resources.listeners, "listener", context.problems);

  for (const listener_v3::Listener& listener : resources.listeners) {
    for (const listener_v3::FilterChain& chain : listener.filter_chains()) {
      CheckFilterChain(listener, chain, context);
    }
    if (listener.has_default_filter_chain()) {
      CheckFilterChain(listener, listener.default_filter_chain(), context);
    }
  }
  for (const route_v3::RouteConfiguration& configuration : resources.routes) {
    CheckRouteConfiguration(configuration, context);
  }
  return context.problems.ToStatus();
}

}  // namespace contour::xds
