// ClusterLoadAssignments, kept apart from the DAG: an Endpoints change never rebuilds it. Each
// change is diffed so that only the assignments that really changed are published.
// Owned by the event loop's thread.
#ifndef CONTOUR_XDS_ENDPOINT_TABLE_H_
#define CONTOUR_XDS_ENDPOINT_TABLE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "k8s/objects.h"
#include "xds/resource.h"

namespace contour::xds {

struct EndpointChanges {
  std::vector<ResourcePtr> updated;  // new or changed assignments
  std::vector<std::string> removed;  // assignment names that no longer exist
  bool empty() const { return updated.empty() && removed.empty(); }
};

class EndpointTable {
 public:
  EndpointChanges Upsert(const k8s::Endpoints& endpoints);
  EndpointChanges Remove(const std::string& namespace_, const std::string& name);

 private:
  EndpointChanges Replace(const std::string& key, std::vector<ResourcePtr> assignments);

  // "ns/name" of an Endpoints object → the assignments it produced, sorted by name.
  absl::flat_hash_map<std::string, std::vector<ResourcePtr>> by_object_;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_ENDPOINT_TABLE_H_
