// The immutable, versioned state that a rebuild publishes: listeners, routes, clusters and
// secrets (endpoints change on their own, see endpoint_table.h). Built once per rebuild, checked
// for consistency, and shared read-only by every stream.
#ifndef CONTOUR_XDS_SNAPSHOT_H_
#define CONTOUR_XDS_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dag/dag.h"
#include "translate/translate.h"
#include "xds/resource.h"

namespace contour::xds {

// How a stream's client reaches contour: it decides the config sources inside LDS and CDS.
enum class StreamKind { kPerType, kAggregated };

struct Snapshot {
  // Per type, the version of its contents: it changes only when the contents do.
  std::array<std::string, kResourceTypeCount> versions;
  // Listeners and clusters come in two variants (config sources GRPC→contour, or ads {}); routes
  // and secrets are shared. Index with StreamKind.
  std::array<std::shared_ptr<const ResourceMap>, 2> listeners;
  std::array<std::shared_ptr<const ResourceMap>, 2> clusters;
  std::shared_ptr<const ResourceMap> routes;
  std::shared_ptr<const ResourceMap> secrets;
  // Listeners for proxyless gRPC clients, by the host they dial (a virtual host on port 80):
  // an api_listener routed through `ingress_http`. Never part of a wildcard subscription.
  std::array<std::shared_ptr<const ResourceMap>, 2> api_listeners;

  // Endpoints live in the served state (endpoint_table.h): a snapshot has none.
  ResourceMap no_endpoints;

  const ResourceMap& Resources(ResourceType type, StreamKind kind) const;
};
using SnapshotPtr = std::shared_ptr<const Snapshot>;

// Translates `dag` and checks the result: every route configuration a listener names, every
// cluster a route or tcp_proxy names, and every secret a listener names must exist, and names
// are unique. An inconsistent result is an error and must not be served. `previous` (may be
// null) carries versions over: a type whose contents did not change keeps its version.
absl::StatusOr<SnapshotPtr> MakeSnapshot(const dag::Dag& dag,
                                         const translate::TranslateConfig& config,
                                         const Snapshot* previous);

}  // namespace contour::xds

#endif  // CONTOUR_XDS_SNAPSHOT_H_
