#include "xds/endpoint_table.h"

#include <algorithm>
#include <utility>

#include "translate/endpoint.h"

namespace contour::xds {

EndpointChanges EndpointTable::Upsert(const k8s::Endpoints& endpoints) {
  std::vector<ResourcePtr> assignments;
  for (const auto& assignment : translate::ClusterLoadAssignments(endpoints)) {
    assignments.push_back(MakeResource(assignment.cluster_name(), assignment));
  }
  return Replace(endpoints.metadata.namespace_ + "/" + endpoints.metadata.name,
                 std::move(assignments));
}

EndpointChanges EndpointTable::Remove(const std::string& namespace_, const std::string& name) {
  return Replace(namespace_ + "/" + name, {});
}

EndpointChanges EndpointTable::Replace(const std::string& key,
                                       std::vector<ResourcePtr> assignments) {
  EndpointChanges changes;
  auto found = by_object_.find(key);
  const std::vector<ResourcePtr> empty;
  const std::vector<ResourcePtr>& before = found == by_object_.end() ? empty : found->second;
  // Both lists are sorted by name: one merge finds what changed.
  auto old_it = before.begin();
  auto new_it = assignments.begin();
  while (old_it != before.end() || new_it != assignments.end()) {
    if (new_it == assignments.end() ||
        (old_it != before.end() && (*old_it)->name < (*new_it)->name)) {
      changes.removed.push_back((*old_it)->name);
      ++old_it;
    } else if (old_it == before.end() || (*new_it)->name < (*old_it)->name) {
      changes.updated.push_back(*new_it);
      ++new_it;
    } else {
      if ((*old_it)->version != (*new_it)->version) changes.updated.push_back(*new_it);
      ++old_it;
      ++new_it;
    }
  }
  if (assignments.empty()) {
    if (found != by_object_.end()) by_object_.erase(found);
  } else {
    by_object_[key] = std::move(assignments);
  }
  return changes;
}

}  // namespace contour::xds
