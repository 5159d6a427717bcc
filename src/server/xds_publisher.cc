#include "server/xds_publisher.h"

#include "spdlog/spdlog.h"

namespace contour::server {

void XdsPublisher::OnBuild(const dag::Dag& dag) {
  const absl::Time started = absl::Now();
  OnBatchApplied();  // endpoints first: a new cluster finds its assignment
  LogStatusChanges(dag);
  if (status_writer_ != nullptr) {
    std::vector<k8s::StatusEntry> entries;
    entries.reserve(dag.statuses.size());
    for (const dag::Status& status : dag.statuses) {
      entries.push_back({status.namespace_, status.name,
                         k8s::IngressRouteStatus{status.current_status, status.description},
                         status.observed});
    }
    status_writer_->Update(std::move(entries));
  }
  absl::StatusOr<xds::SnapshotPtr> snapshot = xds::MakeSnapshot(dag, config_, last_.get());
  if (!snapshot.ok()) {
    // A bug, not bad input: the DAG build leaves invalid objects out. Keep serving the last one.
    spdlog::error("snapshot not served, the previous one stays: {}",
                  std::string(snapshot.status().message()));
    return;
  }
  last_ = *snapshot;
  server_.PublishSnapshot(last_);
  if (recorder_ != nullptr) recorder_->OnBuild(dag, absl::Now() - started);
}

void XdsPublisher::OnEndpointsUpsert(const k8s::Endpoints& endpoints) {
  Merge(endpoints_.Upsert(endpoints));
}

void XdsPublisher::OnEndpointsDelete(const std::string& namespace_, const std::string& name) {
  Merge(endpoints_.Remove(namespace_, name));
}

void XdsPublisher::Merge(xds::EndpointChanges changes) {
  for (xds::ResourcePtr& resource : changes.updated) {
    pending_removed_.erase(resource->name);
    pending_updated_[resource->name] = std::move(resource);
  }
  for (std::string& name : changes.removed) {
    pending_updated_.erase(name);
    pending_removed_.insert(std::move(name));
  }
}

void XdsPublisher::OnBatchApplied() {
  if (pending_updated_.empty() && pending_removed_.empty()) return;
  xds::EndpointChanges changes;
  changes.updated.reserve(pending_updated_.size());
  for (auto& [name, resource] : pending_updated_) changes.updated.push_back(std::move(resource));
  changes.removed.assign(pending_removed_.begin(), pending_removed_.end());
  pending_updated_.clear();
  pending_removed_.clear();
  server_.PublishEndpoints(changes);
}

void XdsPublisher::LogStatusChanges(const dag::Dag& dag) {
  std::map<std::string, std::string> statuses;
  for (const dag::Status& status : dag.statuses) {
    std::string key = status.kind + " " + status.namespace_ + "/" + status.name;
    std::string value = status.current_status + ": " + status.description;
    auto last = last_statuses_.find(key);
    if (last == last_statuses_.end() || last->second != value) {
      if (status.current_status == "valid") {
        spdlog::info("{}: {}", key, value);
      } else {
        spdlog::warn("{}: {}", key, value);
      }
    }
    statuses.emplace(std::move(key), std::move(value));
  }
  last_statuses_ = std::move(statuses);
}

}  // namespace contour::server
