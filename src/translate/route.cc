#include "translate/route.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "translate/listener.h"
#include "translate/names.h"
#include "translate/proto_util.h"

namespace contour::translate {
namespace {

namespace route_v3 = envoy::config::route::v3;

constexpr char kSessionAffinityCookie[] = "X-Contour-Session-Affinity";

void SetClusterSpecifier(const std::vector<dag::Cluster>& clusters, route_v3::RouteAction* action) {
  if (clusters.size() == 1) {
    action->set_cluster(ClusterName(clusters.front()));
    return;
  }
  uint64_t total = 0;
  for (const auto& cluster : clusters) total += cluster.weight;
  std::vector<std::pair<std::string, uint32_t>> weights;
  weights.reserve(clusters.size());
  for (const auto& cluster : clusters) {
    // No weights at all means an even split.
    weights.emplace_back(ClusterName(cluster), total == 0 ? 1 : cluster.weight);
  }
  std::sort(weights.begin(), weights.end());
  auto* weighted = action->mutable_weighted_clusters();
  for (const auto& [name, weight] : weights) {
    auto* entry = weighted->add_clusters();
    entry->set_name(name);
    entry->mutable_weight()->set_value(weight);
  }
}

bool UsesCookieAffinity(const dag::Route& route) {
  return std::any_of(route.clusters.begin(), route.clusters.end(), [](const dag::Cluster& c) {
    return c.load_balancer_strategy == dag::kStrategyCookie;
  });
}

void SetMatch(const dag::Route& route, route_v3::RouteMatch* match) {
  switch (route.match) {
    case dag::PathMatch::kRegex:
      match->mutable_safe_regex()->set_regex(route.path);
      return;
    case dag::PathMatch::kExact:
      match->set_path(route.path);
      return;
    case dag::PathMatch::kPrefix:
      break;
  }
  match->set_prefix(route.path);
}

// Ranks match kinds for LongestRouteFirst: lower sorts first.
int MatchRank(const route_v3::RouteMatch& match) {
  switch (match.path_specifier_case()) {
    case route_v3::RouteMatch::kPath:
      return 0;
    case route_v3::RouteMatch::kSafeRegex:
      return 1;
    default:
      return 2;
  }
}

const std::string& MatchPath(const route_v3::RouteMatch& match) {
  switch (match.path_specifier_case()) {
    case route_v3::RouteMatch::kPath:
      return match.path();
    case route_v3::RouteMatch::kSafeRegex:
      return match.safe_regex().regex();
    default:
      return match.prefix();
  }
}

}  // namespace

route_v3::RouteAction RouteAction(const dag::Route& route) {
  route_v3::RouteAction action;
  SetClusterSpecifier(route.clusters, &action);
  switch (route.timeout.kind) {
    case dag::Timeout::Kind::kInfinite:
      *action.mutable_timeout() = ProtoSeconds(0);  // 0s means no timeout to Envoy
      break;
    case dag::Timeout::Kind::kValue:
      *action.mutable_timeout() = ProtoDuration(route.timeout.value);
      break;
    case dag::Timeout::Kind::kDefault:
      break;
  }
  if (route.retry && !route.retry->retry_on.empty()) {
    auto* retry = action.mutable_retry_policy();
    retry->set_retry_on(route.retry->retry_on);
    if (route.retry->num_retries > 0)
      retry->mutable_num_retries()->set_value(route.retry->num_retries);
    if (route.retry->per_try_timeout > absl::ZeroDuration()) {
      *retry->mutable_per_try_timeout() = ProtoDuration(route.retry->per_try_timeout);
    }
  }
  if (!route.prefix_rewrite.empty()) action.set_prefix_rewrite(route.prefix_rewrite);
  if (route.websocket) action.add_upgrade_configs()->set_upgrade_type("websocket");
  if (UsesCookieAffinity(route)) {
    auto* cookie = action.add_hash_policy()->mutable_cookie();
    cookie->set_name(kSessionAffinityCookie);
    *cookie->mutable_ttl() = ProtoSeconds(0);
    cookie->set_path("/");
  }
  return action;
}

route_v3::Route Route(const dag::Route& route, bool allow_redirect) {
  route_v3::Route out;
  SetMatch(route, out.mutable_match());
  if (allow_redirect && route.https_redirect) {
    out.mutable_redirect()->set_https_redirect(true);
    return out;
  }
  *out.mutable_route() = RouteAction(route);
  auto* header = out.add_request_headers_to_add();
  header->mutable_header()->set_key("x-request-start");
  header->mutable_header()->set_value("t=%START_TIME(%s.%3f)%");
  header->set_append_action(envoy::config::core::v3::HeaderValueOption::APPEND_IF_EXISTS_OR_ADD);
  return out;
}

bool LongestRouteFirst(const route_v3::Route& a, const route_v3::Route& b) {
  const int rank_a = MatchRank(a.match());
  const int rank_b = MatchRank(b.match());
  if (rank_a != rank_b) return rank_a < rank_b;
  return MatchPath(a.match()) > MatchPath(b.match());
}

std::optional<route_v3::VirtualHost> VirtualHost(const dag::VirtualHost& vhost,
                                                 bool allow_redirect) {
  if (vhost.routes.empty()) return std::nullopt;
  route_v3::VirtualHost out;
  out.set_name(VirtualHostName(vhost.name));
  out.add_domains(vhost.name);
  if (vhost.name != "*") out.add_domains(absl::StrCat(vhost.name, ":*"));
  auto* routes = out.mutable_routes();
  routes->Reserve(static_cast<int>(vhost.routes.size()));
  for (const auto& [key, route] : vhost.routes) *routes->Add() = Route(route, allow_redirect);
  // The DAG keys routes by match kind and path, so no two compare equal and the order is total.
  std::sort(
      routes->pointer_begin(), routes->pointer_end(),
      [](const route_v3::Route* a, const route_v3::Route* b) { return LongestRouteFirst(*a, *b); });
  return out;
}

std::vector<route_v3::RouteConfiguration> RouteConfigurations(const dag::Dag& dag) {
  std::vector<route_v3::RouteConfiguration> configs(2);
  configs[0].set_name(kHttpListenerName);
  configs[1].set_name(kHttpsListenerName);
  auto add = [](std::optional<route_v3::VirtualHost> vhost, route_v3::RouteConfiguration& config) {
    if (vhost) *config.add_virtual_hosts() = *std::move(vhost);
  };
  for (const auto& [name, vhost] : dag.http_hosts) {
    add(VirtualHost(vhost, /*allow_redirect=*/true), configs[0]);
  }
  for (const auto& [name, secure] : dag.https_hosts) {
    add(VirtualHost(secure.host, /*allow_redirect=*/false), configs[1]);
  }
  // Sort the elements' pointers: moving the messages themselves would cost more.
  for (auto& config : configs) {
    auto* vhosts = config.mutable_virtual_hosts();
    std::stable_sort(vhosts->pointer_begin(), vhosts->pointer_end(),
                     [](const route_v3::VirtualHost* a, const route_v3::VirtualHost* b) {
                       return a->name() < b->name();
                     });
  }
  return configs;
}

}  // namespace contour::translate
