// The event loop's outputs, turned into what the xDS server serves: each build becomes a
// snapshot (kept only if it passes its consistency check), each Endpoints change a diff of
// ClusterLoadAssignments. Runs on the event loop's thread.
#ifndef CONTOUR_SERVER_XDS_PUBLISHER_H_
#define CONTOUR_SERVER_XDS_PUBLISHER_H_

#include <map>
#include <string>

#include "controller/event_loop.h"
#include "translate/translate.h"
#include "xds/endpoint_table.h"
#include "xds/server.h"
#include "xds/snapshot.h"

namespace contour::server {

class XdsPublisher : public controller::LoopOutputs {
 public:
  XdsPublisher(xds::XdsServer& server, translate::TranslateConfig config)
      : server_(server), config_(std::move(config)) {}

  void OnBuild(const dag::Dag& dag) override;
  void OnEndpointsUpsert(const k8s::Endpoints& endpoints) override;
  void OnEndpointsDelete(const std::string& namespace_, const std::string& name) override;

 private:
  void LogStatusChanges(const dag::Dag& dag);

  xds::XdsServer& server_;
  const translate::TranslateConfig config_;
  xds::EndpointTable endpoints_;
  xds::SnapshotPtr last_;
  // kind ns/name → "status: description" of the last build, to log only what changed.
  std::map<std::string, std::string> last_statuses_;
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_XDS_PUBLISHER_H_
