#include "xds/snapshot.h"

#include <utility>

#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "translate/cluster.h"
#include "translate/config_source.h"
#include "translate/http_connection_manager.h"
#include "translate/listener.h"
#include "translate/proto_util.h"
#include "xds/consistency.h"

namespace contour::xds {
namespace {

namespace hcm_v3 = envoy::extensions::filters::network::http_connection_manager::v3;
using translate::ConfigSourceMode;

constexpr int kPerType = static_cast<int>(StreamKind::kPerType);
constexpr int kAggregated = static_cast<int>(StreamKind::kAggregated);

template <typename Message, typename NameOf>
std::shared_ptr<const ResourceMap> ToMap(const std::vector<Message>& messages, NameOf name_of) {
  auto map = std::make_shared<ResourceMap>();
  for (const Message& message : messages) {
    std::string name = name_of(message);
    map->emplace(name, MakeResource(name, message));
  }
  return map;
}

std::shared_ptr<const ResourceMap> NamedMap(const auto& messages) {
  return ToMap(messages, [](const auto& message) { return message.name(); });
}

// What gRPC's xDS clients need for `xds:///host`: a listener named after the host whose
// api_listener is an HttpConnectionManager routing through ingress_http, router last.
envoy::config::listener::v3::Listener ApiListener(const std::string& host, ConfigSourceMode mode) {
  hcm_v3::HttpConnectionManager hcm;
  hcm.set_stat_prefix(host);
  auto* rds = hcm.mutable_rds();
  *rds->mutable_config_source() = translate::ConfigSource(mode);
  rds->set_route_config_name(translate::kHttpListenerName);
  *hcm.add_http_filters() = translate::RouterHttpFilter();
  envoy::config::listener::v3::Listener listener;
  listener.set_name(host);
  *listener.mutable_api_listener()->mutable_api_listener() = translate::PackAny(hcm);
  return listener;
}

std::shared_ptr<const ResourceMap> ApiListeners(const dag::Dag& dag, ConfigSourceMode mode) {
  auto map = std::make_shared<ResourceMap>();
  for (const auto& [name, vhost] : dag.http_hosts) {
    if (name == "*") continue;  // a default backend has no host to dial
    map->emplace(name, MakeResource(name, ApiListener(name, mode)));
  }
  return map;
}

bool SameContents(const ResourceMap& a, const ResourceMap& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || ia->second->version != ib->second->version) return false;
  }
  return true;
}

// A type keeps its version while its contents stay the same; otherwise the count goes up.
std::string NextVersion(const Snapshot* previous, ResourceType type, const ResourceMap& now,
                        const ResourceMap* before) {
  if (previous == nullptr) return "1";
  const std::string& last = previous->versions[static_cast<int>(type)];
  if (before != nullptr && SameContents(now, *before)) return last;
  return std::to_string(std::stoull(last) + 1);
}

}  // namespace

const ResourceMap& Snapshot::Resources(ResourceType type, StreamKind kind) const {
  const int variant = static_cast<int>(kind);
  switch (type) {
    case ResourceType::kListener:
      return *listeners[variant];
    case ResourceType::kCluster:
      return *clusters[variant];
    case ResourceType::kRoute:
      return *routes;
    case ResourceType::kSecret:
      return *secrets;
    case ResourceType::kEndpoint:
      break;
  }
  return no_endpoints;
}

absl::StatusOr<SnapshotPtr> MakeSnapshot(const dag::Dag& dag,
                                         const translate::TranslateConfig& config,
                                         const Snapshot* previous) {
  translate::TranslateConfig per_type_config = config;
  per_type_config.config_source = ConfigSourceMode::kGrpcContour;
  translate::Resources resources = translate::Translate(dag, per_type_config);
  if (absl::Status status = CheckConsistency(resources); !status.ok()) return status;

  // Only listeners and clusters name a config source; the ADS variant differs in nothing else.
  translate::TranslateConfig ads_config = config;
  ads_config.config_source = ConfigSourceMode::kAds;

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->listeners[kPerType] = NamedMap(resources.listeners);
  snapshot->listeners[kAggregated] = NamedMap(translate::Listeners(dag, ads_config));
  snapshot->clusters[kPerType] = NamedMap(resources.clusters);
  snapshot->clusters[kAggregated] = NamedMap(translate::Clusters(dag, ConfigSourceMode::kAds));
  snapshot->routes = NamedMap(resources.routes);
  snapshot->secrets = NamedMap(resources.secrets);
  snapshot->api_listeners[kPerType] = ApiListeners(dag, ConfigSourceMode::kGrpcContour);
  snapshot->api_listeners[kAggregated] = ApiListeners(dag, ConfigSourceMode::kAds);

  auto before = [&](ResourceType type) -> const ResourceMap* {
    return previous == nullptr ? nullptr : &previous->Resources(type, StreamKind::kPerType);
  };
  for (ResourceType type : kAllResourceTypes) {
    if (type == ResourceType::kEndpoint) continue;
    snapshot->versions[static_cast<int>(type)] =
        NextVersion(previous, type, snapshot->Resources(type, StreamKind::kPerType), before(type));
  }
  // api_listeners change with the http virtual hosts, which change the routes; listeners'
  // version must move with them too, so that LDS subscribers to a host see it come and go.
  if (previous != nullptr &&
      !SameContents(*snapshot->api_listeners[kPerType], *previous->api_listeners[kPerType])) {
    const int lds = static_cast<int>(ResourceType::kListener);
    if (snapshot->versions[lds] == previous->versions[lds]) {
      snapshot->versions[lds] = std::to_string(std::stoull(previous->versions[lds]) + 1);
    }
  }
  return SnapshotPtr(std::move(snapshot));
}

}  // namespace contour::xds
