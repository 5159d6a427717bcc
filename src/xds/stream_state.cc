#include "xds/stream_state.h"

#include <algorithm>
#include <utility>

#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "xds/wire.h"

namespace contour::xds {
namespace {

bool ByName(const ResourcePtr& a, const ResourcePtr& b) { return a->name < b->name; }

std::vector<std::string> Sorted(absl::flat_hash_set<std::string> names) {
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// An ACK or NACK repeats the request before it, names in the same order: recognised without
// building anything.
bool SameNames(const std::vector<std::string>& last,
               const google::protobuf::RepeatedPtrField<std::string>& names) {
  return std::equal(last.begin(), last.end(), names.begin(), names.end());
}

}  // namespace

StreamState::StreamState(StreamKind kind, bool delta, std::optional<ResourceType> default_type)
    : kind_(kind), delta_(delta), default_type_(default_type) {}

absl::StatusOr<ResourceType> StreamState::RequestType(const std::string& type_url) const {
  if (type_url.empty()) {
    if (default_type_.has_value()) return *default_type_;
    return absl::InvalidArgumentError("request has no type_url");
  }
  std::optional<ResourceType> type = TypeFromUrl(type_url);
  if (!type.has_value()) {
    return absl::InvalidArgumentError("no resource registered for typeURL \"" + type_url + "\"");
  }
  return *type;
}

void StreamState::NoteNode(const envoy::config::core::v3::Node& node) {
  if (node_seen_) return;
  if (node.id().empty() && node.cluster().empty()) return;
  node_seen_ = true;
  node_id_ = node.id().empty() ? node.cluster() : node.id();
}

template <typename Request>
absl::StatusOr<RequestOutcome> StreamState::Begin(const Request& request) {
  absl::StatusOr<ResourceType> type = RequestType(request.type_url());
  if (!type.ok()) return type.status();
  NoteNode(request.node());
  RequestOutcome outcome{*type};
  if (request.has_error_detail()) {
    outcome.nack = true;
    outcome.nack_message = request.error_detail().message();
  }
  if (*type == ResourceType::kCluster && request.response_nonce() == state(*type).nonce) {
    clusters_unanswered_ = false;  // the client has answered the clusters
  }
  return outcome;
}

absl::StatusOr<RequestOutcome> StreamState::OnRequest(
    const envoy::service::discovery::v3::DiscoveryRequest& request) {
  if (delta_) return absl::InvalidArgumentError("a DiscoveryRequest on a delta xDS stream");
  absl::StatusOr<RequestOutcome> begun = Begin(request);
  if (!begun.ok()) return begun.status();
  RequestOutcome outcome = *std::move(begun);
  const ResourceType type = outcome.type;
  TypeState& ts = state(type);
  // Nonces belong to one stream: before this stream has sent this type anything, a nonce (echoed
  // by a client from its previous stream) is not stale, and ignoring it would leave the new
  // subscription unanswered.
  if (!request.response_nonce().empty() && !ts.nonce.empty() &&
      request.response_nonce() != ts.nonce) {
    outcome.stale = true;  // answers a response that a newer one has replaced
    return outcome;
  }
  if (ts.subscribed && SameNames(ts.last_request_names, request.resource_names())) return outcome;
  ts.last_request_names.assign(request.resource_names().begin(), request.resource_names().end());
  absl::flat_hash_set<std::string> names;
  bool star = false;
  for (const std::string& name : request.resource_names()) {
    if (name == "*") {
      star = true;
    } else {
      names.insert(name);
    }
  }
  if (!ts.subscribed) {
    // An empty first request is the legacy wildcard.
    ts.subscribed = true;
    ts.respond = true;
    ts.check_all = true;
    ts.wildcard = star || names.empty();
    ts.must_send = names;
    ts.names = std::move(names);
    return outcome;
  }
  // Legacy clients keep sending an empty list to stay subscribed to everything.
  const bool wildcard = star || (ts.wildcard && names.empty());
  if (wildcard == ts.wildcard && names == ts.names) return outcome;  // ACK or NACK only
  const bool full_state = IsFullStateType(type);
  bool added_any = false;
  for (const std::string& name : names) {
    if (ts.names.contains(name)) continue;
    added_any = true;
    ts.must_send.insert(name);
    ts.check.insert(name);
  }
  if (!full_state && !wildcard) {
    // Unsubscribed: the client drops it. Walk what was sent, not the old names: after a
    // wildcard, the client holds resources it never named.
    for (auto it = ts.sent.begin(); it != ts.sent.end();) {
      auto current = it++;
      if (!names.contains(current->first)) ts.sent.erase(current);
    }
  }
  if (full_state || added_any || wildcard != ts.wildcard) ts.respond = true;
  if (full_state || (wildcard && !ts.wildcard)) ts.check_all = true;
  ts.wildcard = wildcard;
  ts.names = std::move(names);
  return outcome;
}

absl::StatusOr<RequestOutcome> StreamState::OnDeltaRequest(
    const envoy::service::discovery::v3::DeltaDiscoveryRequest& request) {
  if (!delta_) return absl::InvalidArgumentError("a DeltaDiscoveryRequest on a SotW xDS stream");
  absl::StatusOr<RequestOutcome> begun = Begin(request);
  if (!begun.ok()) return begun.status();
  RequestOutcome outcome = *std::move(begun);
  const ResourceType type = outcome.type;
  TypeState& ts = state(type);
  if (!ts.subscribed) {
    ts.subscribed = true;
    ts.respond = true;
    ts.check_all = true;
    ts.wildcard = request.resource_names_subscribe().empty();  // the legacy wildcard
    // A reconnecting client says what it has, so that only what differs is sent (R11).
    for (const auto& [name, version] : request.initial_resource_versions()) {
      auto held = std::make_shared<Resource>();
      held->name = name;
      held->version = version;
      ts.sent[name] = std::move(held);
    }
  }
  // Subscription changes count even when the nonce is stale (delta, R1).
  for (const std::string& name : request.resource_names_subscribe()) {
    if (name == "*") {
      ts.wildcard = true;
      ts.check_all = true;
      continue;
    }
    ts.names.insert(name);
    ts.must_send.insert(name);  // sent even if the client says it has it
    ts.check.insert(name);
  }
  for (const std::string& name : request.resource_names_unsubscribe()) {
    if (name == "*") {
      ts.wildcard = false;
      for (auto it = ts.sent.begin(); it != ts.sent.end();) {
        auto current = it++;
        if (!ts.names.contains(current->first)) ts.sent.erase(current);
      }
      continue;
    }
    ts.names.erase(name);
    ts.must_send.erase(name);
    if (!ts.wildcard) ts.sent.erase(name);
  }
  return outcome;
}

void StreamState::OnChanged(ResourceType type, const std::vector<std::string>* names) {
  TypeState& ts = state(type);
  if (!ts.subscribed || ts.check_all) return;
  if (names == nullptr) {
    ts.check_all = true;
    return;
  }
  for (const std::string& name : *names) {
    if (ts.wildcard || ts.names.contains(name) || ts.sent.contains(name)) ts.check.insert(name);
  }
}

const std::string& StreamState::Version(ResourceType type, const ServedState& served) const {
  if (type == ResourceType::kEndpoint) return served.endpoints_version;
  return served.snapshot->versions[static_cast<int>(type)];
}

ResourcePtr StreamState::Lookup(ResourceType type, const std::string& name,
                                const ServedState& served) {
  if (type == ResourceType::kSecret && withhold_secrets_) return nullptr;
  const TypeState& ts = state(type);
  const bool named = ts.names.contains(name);
  if (!named && !ts.wildcard) return nullptr;
  if (type == ResourceType::kEndpoint) {
    if (ResourcePtr found = served.endpoints.Find(name)) return found;
    if (!named) return nullptr;
    ResourcePtr& empty = empty_assignments_[name];
    if (empty == nullptr) {
      envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
      assignment.set_cluster_name(name);
      empty = MakeResource(name, assignment);
    }
    return empty;
  }
  const ResourceMap& map = served.snapshot->Resources(type, kind_);
  auto found = map.find(name);
  if (found != map.end()) return found->second;
  if (type == ResourceType::kListener && named) {
    // Only a client that names a host gets its api_listener: never a wildcard one.
    const ResourceMap& api = *served.snapshot->api_listeners[static_cast<int>(kind_)];
    auto api_found = api.find(name);
    if (api_found != api.end()) return api_found->second;
  }
  return nullptr;
}

StreamState::Plan StreamState::MakePlan(ResourceType type, const ServedState& served) {
  Plan plan;
  TypeState& ts = state(type);
  if (!ts.subscribed) return plan;
  if (type != ResourceType::kEndpoint && served.snapshot == nullptr) return plan;  // not yet
  plan.ready = true;
  plan.respond = ts.respond;
  if (!ts.check_all && ts.check.empty() && ts.must_send.empty() && !ts.respond) return plan;

  const bool full_state = IsFullStateType(type) && !delta_;
  // The names to look at.
  absl::flat_hash_set<std::string> candidates;
  if (ts.check_all || full_state) {
    candidates = ts.names;
    for (const auto& [name, resource] : ts.sent) candidates.insert(name);
    if (ts.wildcard && !(type == ResourceType::kSecret && withhold_secrets_)) {
      if (type == ResourceType::kEndpoint) {
        served.endpoints.ForEach(
            [&](const std::string& name, const ResourcePtr&) { candidates.insert(name); });
      } else {
        for (const auto& [name, resource] : served.snapshot->Resources(type, kind_)) {
          candidates.insert(name);
        }
      }
    }
  } else {
    candidates = ts.check;
    for (const std::string& name : ts.must_send) candidates.insert(name);
  }
  for (const std::string& name : Sorted(std::move(candidates))) {
    ResourcePtr resource = Lookup(type, name, served);
    auto sent = ts.sent.find(name);
    if (resource != nullptr) {
      if (full_state) plan.full_state.push_back(resource);
      if (sent == ts.sent.end() || sent->second->version != resource->version ||
          ts.must_send.contains(name)) {
        plan.upserts.push_back(std::move(resource));
      }
    } else if (sent != ts.sent.end() || (delta_ && ts.must_send.contains(name))) {
      // Gone, or (delta) asked for but never there: the client hears it does not exist.
      plan.removals.push_back(name);
    }
  }
  return plan;
}

OutgoingResponse StreamState::Commit(ResourceType type, Plan plan, bool retain_removals,
                                     const ServedState& served) {
  TypeState& ts = state(type);
  if (type == ResourceType::kCluster && kind_ == StreamKind::kAggregated && plan.has_upserts()) {
    clusters_unanswered_ = true;
    ResendEndpointsIfClustersChange(plan.upserts);
  }
  OutgoingResponse response;
  response.type = type;
  response.version = Version(type, served);
  response.nonce = std::to_string(next_nonce_++);
  const std::string_view type_url = TypeUrl(type);
  const bool deferred_removals = retain_removals && !plan.removals.empty();
  if (!delta_ && IsFullStateType(type)) {
    std::vector<ResourcePtr> resources = std::move(plan.full_state);
    if (deferred_removals) {
      // Make before break: the client keeps what it has until nothing refers to it any more.
      for (const std::string& name : plan.removals) resources.push_back(ts.sent.at(name));
      std::sort(resources.begin(), resources.end(), ByName);
    }
    ts.sent.clear();
    for (const ResourcePtr& resource : resources) ts.sent[resource->name] = resource;
    response.resource_count = resources.size();
    response.bytes = EncodeDiscoveryResponse(response.version, type_url, response.nonce, resources);
  } else {
    for (const ResourcePtr& resource : plan.upserts) ts.sent[resource->name] = resource;
    std::vector<std::string> removals;
    if (!deferred_removals) {
      for (const std::string& name : plan.removals) ts.sent.erase(name);
      if (delta_) removals = std::move(plan.removals);
    }
    response.resource_count = plan.upserts.size();
    response.removed_count = removals.size();
    response.bytes =
        delta_ ? EncodeDeltaDiscoveryResponse(response.version, type_url, response.nonce,
                                              plan.upserts, removals)
               : EncodeDiscoveryResponse(response.version, type_url, response.nonce, plan.upserts);
  }
  ts.nonce = response.nonce;
  ts.respond = false;
  ts.must_send.clear();
  ts.check.clear();
  ts.check_all = deferred_removals;  // so that the removals are found again
  return response;
}

void StreamState::ResendEndpointsIfClustersChange(const std::vector<ResourcePtr>& clusters) {
  const TypeState& cds = state(ResourceType::kCluster);
  const bool changed_in_place = std::any_of(clusters.begin(), clusters.end(), [&](const auto& c) {
    auto sent = cds.sent.find(c->name);
    return sent != cds.sent.end() && sent->second->version != c->version;
  });
  TypeState& eds = state(ResourceType::kEndpoint);
  if (!changed_in_place || !eds.subscribed || eds.names.empty()) return;
  // A cluster changed in place warms again, and stays warming until it gets a new assignment,
  // even an unchanged one (xDS protocol, "warming"): send every subscribed assignment again.
  for (const std::string& name : eds.names) eds.must_send.insert(name);
  eds.respond = true;
}

std::optional<OutgoingResponse> StreamState::NextResponse(const ServedState& served) {
  std::array<std::optional<Plan>, kResourceTypeCount> plans;
  auto plan_of = [&](int index) -> Plan& {
    if (!plans[index].has_value()) plans[index] = MakePlan(kAllResourceTypes[index], served);
    return *plans[index];
  };
  for (int i = 0; i < kResourceTypeCount; ++i) {
    const ResourceType type = kAllResourceTypes[i];
    if (clusters_unanswered_ && type != ResourceType::kCluster) break;  // make before break
    Plan& plan = plan_of(i);
    if (!plan.ready) continue;
    if (plan.empty()) {
      TypeState& ts = state(type);  // nothing differs: forget what was to be checked
      ts.check_all = false;
      ts.check.clear();
      ts.must_send.clear();
      continue;
    }
    bool later_additions = false;
    if (kind_ == StreamKind::kAggregated && !plan.removals.empty()) {
      for (int j = i + 1; j < kResourceTypeCount && !later_additions; ++j) {
        later_additions = plan_of(j).has_upserts();
      }
    }
    if (later_additions && !plan.has_upserts() && !plan.respond) continue;  // removal waits
    return Commit(type, std::move(plan), later_additions, served);
  }
  return std::nullopt;
}

}  // namespace contour::xds
