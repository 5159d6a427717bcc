#include "server/xds_publisher.h"

#include "spdlog/spdlog.h"

namespace contour::server {

void XdsPublisher::OnBuild(const dag::Dag& dag) {
  LogStatusChanges(dag);
  absl::StatusOr<xds::SnapshotPtr> snapshot = xds::MakeSnapshot(dag, config_, last_.get());
  if (!snapshot.ok()) {
    // A bug, not bad input: the DAG build leaves invalid objects out. Keep serving the last one.
    spdlog::error("snapshot not served, the previous one stays: {}",
                  std::string(snapshot.status().message()));
    return;
  }
  last_ = *snapshot;
  server_.PublishSnapshot(last_);
}

void XdsPublisher::OnEndpointsUpsert(const k8s::Endpoints& endpoints) {
  server_.PublishEndpoints(endpoints_.Upsert(endpoints));
}

void XdsPublisher::OnEndpointsDelete(const std::string& namespace_, const std::string& name) {
  server_.PublishEndpoints(endpoints_.Remove(namespace_, name));
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
