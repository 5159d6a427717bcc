// What each build leaves for operators: Contour's IngressRoute gauges (label sets that vanish
// between builds are deleted, as SetIngressRouteMetric does), the rebuild timestamp and the
// onupdate duration summary, and the latest DAG for /debug/dag. Written on the event loop's
// thread, read by the HTTP endpoints.
#ifndef CONTOUR_SERVER_BUILD_RECORDER_H_
#define CONTOUR_SERVER_BUILD_RECORDER_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "dag/dag.h"
#include "metrics/registry.h"

namespace contour::server {

class BuildRecorder {
 public:
  // Registers Contour's build metrics in `registry`, which must outlive the recorder.
  static absl::StatusOr<std::unique_ptr<BuildRecorder>> Create(metrics::Registry& registry);

  // A build was translated and published in `took` (Contour's OnChange time).
  void OnBuild(const dag::Dag& dag, absl::Duration took);
  // The latest build (null before the first).
  std::shared_ptr<const dag::Dag> LastDag() const;

 private:
  BuildRecorder() = default;

  metrics::GaugeFamily* total_ = nullptr;
  metrics::GaugeFamily* root_ = nullptr;
  metrics::GaugeFamily* valid_ = nullptr;
  metrics::GaugeFamily* invalid_ = nullptr;
  metrics::GaugeFamily* orphaned_ = nullptr;
  metrics::Gauge* rebuild_timestamp_ = nullptr;
  metrics::Summary* onupdate_seconds_ = nullptr;

  mutable absl::Mutex mu_;
  std::shared_ptr<const dag::Dag> last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_BUILD_RECORDER_H_
