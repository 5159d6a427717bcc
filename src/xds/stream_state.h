// The xDS protocol for one stream, as pure logic with no gRPC in it: which requests mean what
// (subscriptions, ACK, NACK, stale nonces) and what to send next given the served state. The
// server decides *how* to send (one write at a time); this decides *what*.
//
// State of the world and delta both follow envoy/docs/root/api-docs/xds_protocol.rst:
//  - every response has a fresh nonce; SotW requests that answer an older response are ignored;
//  - a request whose names differ from the last one replaces it; names newly requested are sent
//    even if unchanged, and a new subscription always gets a response, even an empty one;
//  - nothing is sent again unless it changed, so a NACKed version is not resent in a loop (the
//    client keeps its last good config);
//  - on an aggregated stream responses go in make-before-break order (clusters, endpoints,
//    listeners, routes, secrets) and removals wait until no type has additions left to send;
//    after a response that adds or changes clusters, the other types wait until the client has
//    answered it (ACK or NACK): by then it has asked for the new clusters' endpoints.
// Not thread-safe: the server serializes calls.
#ifndef CONTOUR_XDS_STREAM_STATE_H_
#define CONTOUR_XDS_STREAM_STATE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "envoy/service/discovery/v3/discovery.pb.h"
#include "xds/resource.h"
#include "xds/served_endpoints.h"
#include "xds/snapshot.h"

namespace contour::xds {

// What the server serves right now; replaced whole, never changed in place.
struct ServedState {
  SnapshotPtr snapshot;  // null until the first build is published
  ServedEndpoints endpoints;
  std::string endpoints_version = "0";
};

struct OutgoingResponse {
  ResourceType type;
  std::string bytes;  // an encoded DiscoveryResponse or DeltaDiscoveryResponse
  std::string version;
  std::string nonce;
  size_t resource_count = 0;
  size_t removed_count = 0;
};

struct RequestOutcome {
  ResourceType type;
  bool nack = false;
  std::string nack_message;  // error_detail.message of a NACK
  bool stale = false;        // SotW: answers an older response, ignored
};

class StreamState {
 public:
  // `default_type` is the type of a per-type service, used when a request leaves type_url empty.
  StreamState(StreamKind kind, bool delta, std::optional<ResourceType> default_type);

  // Errors end the stream (an unknown type URL, a delta request on a SotW stream...).
  absl::StatusOr<RequestOutcome> OnRequest(
      const envoy::service::discovery::v3::DiscoveryRequest& request);
  absl::StatusOr<RequestOutcome> OnDeltaRequest(
      const envoy::service::discovery::v3::DeltaDiscoveryRequest& request);

  // The served state changed for `type`: `names` lists what may differ, or null for anything.
  void OnChanged(ResourceType type, const std::vector<std::string>* names);

  // The next response to send, if any; the stream then counts it as sent.
  std::optional<OutgoingResponse> NextResponse(const ServedState& served);

  // The peer is not authenticated: Secrets do not exist for this stream.
  void WithholdSecrets() { withhold_secrets_ = true; }

  StreamKind kind() const { return kind_; }
  bool delta() const { return delta_; }
  const std::string& node_id() const { return node_id_; }

 private:
  struct TypeState {
    bool subscribed = false;
    bool wildcard = false;
    absl::flat_hash_set<std::string> names;       // explicitly subscribed
    std::vector<std::string> last_request_names;  // SotW: as the last request listed them
    bool respond = false;                         // a response is owed even if it is empty
    absl::flat_hash_set<std::string> must_send;   // newly subscribed: send even if unchanged
    bool check_all = true;                        // anything may have changed
    absl::flat_hash_set<std::string> check;       // these names may have changed
    // What the client was last sent (SotW) or holds (delta), by name.
    absl::flat_hash_map<std::string, ResourcePtr> sent;
    std::string nonce;  // of the last response
  };

  struct Plan {
    std::vector<ResourcePtr> upserts;  // sorted by name
    std::vector<std::string> removals;
    std::vector<ResourcePtr> full_state;  // SotW LDS/CDS: the whole response
    bool respond = false;
    bool ready = false;  // the state to answer from exists
    bool has_upserts() const { return !upserts.empty(); }
    bool empty() const { return upserts.empty() && removals.empty() && !respond; }
  };

  absl::StatusOr<ResourceType> RequestType(const std::string& type_url) const;
  // What SotW and delta requests share: the type, the node, NACK detection.
  template <typename Request>
  absl::StatusOr<RequestOutcome> Begin(const Request& request);
  void NoteNode(const envoy::config::core::v3::Node& node);
  Plan MakePlan(ResourceType type, const ServedState& served);
  OutgoingResponse Commit(ResourceType type, Plan plan, bool retain_removals,
                          const ServedState& served);
  // The resource `name` should hold now, or null if it does not exist.
  ResourcePtr Lookup(ResourceType type, const std::string& name, const ServedState& served);
  const std::string& Version(ResourceType type, const ServedState& served) const;
  // Aggregated streams: before `clusters` are sent, arrange for the endpoints to follow.
  void ResendEndpointsIfClustersChange(const std::vector<ResourcePtr>& clusters);

  TypeState& state(ResourceType type) { return types_[static_cast<int>(type)]; }

  StreamKind kind_;
  bool delta_;
  std::optional<ResourceType> default_type_;
  std::string node_id_;
  bool node_seen_ = false;
  bool withhold_secrets_ = false;
  uint64_t next_nonce_ = 1;
  std::array<TypeState, kResourceTypeCount> types_;
  // Aggregated streams: the last response that added or changed clusters is not answered yet.
  bool clusters_unanswered_ = false;
  // Contour answers EDS for a cluster it has no endpoints for with an empty assignment, so that
  // the cluster does not stay warming; made once per name.
  absl::flat_hash_map<std::string, ResourcePtr> empty_assignments_;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_STREAM_STATE_H_
