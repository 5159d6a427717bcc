// The event loop's outputs, turned into what the xDS server serves: each build becomes a
// snapshot (kept only if it passes its consistency check), each Endpoints change a diff of
// ClusterLoadAssignments. Runs on the event loop's thread.
#ifndef CONTOUR_SERVER_XDS_PUBLISHER_H_
#define CONTOUR_SERVER_XDS_PUBLISHER_H_

#include <map>
#include <set>
#include <string>

#include "controller/event_loop.h"
#include "k8s/status_writer.h"
#include "server/build_recorder.h"
#include "translate/translate.h"
#include "xds/endpoint_table.h"
#include "xds/server.h"
#include "xds/snapshot.h"

namespace contour::server {

class XdsPublisher : public controller::LoopOutputs {
 public:
  // `status_writer`, when given, is handed every build's IngressRoute statuses.
  XdsPublisher(xds::XdsServer& server, translate::TranslateConfig config,
               k8s::StatusWriter* status_writer = nullptr)
      : server_(server), config_(std::move(config)), status_writer_(status_writer) {}

  // Each published build is handed to `recorder` (metrics, /debug/dag); set before the loop runs.
  void SetRecorder(BuildRecorder* recorder) { recorder_ = recorder; }

  void OnBuild(const dag::Dag& dag) override;
  void OnEndpointsUpsert(const k8s::Endpoints& endpoints) override;
  void OnEndpointsDelete(const std::string& namespace_, const std::string& name) override;
  // Publishes the endpoint changes of the batch together: each publish copies the served
  // assignments, so 10,000 Endpoints listed at start-up must not mean 10,000 copies.
  void OnBatchApplied() override;

 private:
  void LogStatusChanges(const dag::Dag& dag);

  xds::XdsServer& server_;
  const translate::TranslateConfig config_;
  k8s::StatusWriter* const status_writer_;
  BuildRecorder* recorder_ = nullptr;
  void Merge(xds::EndpointChanges changes);

  xds::EndpointTable endpoints_;
  // Endpoint changes of the current batch, not yet published: the latest per assignment name.
  std::map<std::string, xds::ResourcePtr> pending_updated_;
  std::set<std::string> pending_removed_;
  xds::SnapshotPtr last_;
  // kind ns/name → "status: description" of the last build, to log only what changed.
  std::map<std::string, std::string> last_statuses_;
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_XDS_PUBLISHER_H_
