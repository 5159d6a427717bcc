#include "dag/ingressroute_metrics.h"

#include "dag/build_state.h"

namespace contour::dag {

IngressRouteMetrics ComputeIngressRouteMetrics(const std::vector<Status>& statuses) {
  IngressRouteMetrics metrics;
  for (const Status& status : statuses) {
    if (status.current_status == kStatusValid) {
      ++metrics.valid[{status.namespace_, status.vhost}];
    } else if (status.current_status == kStatusInvalid) {
      ++metrics.invalid[{status.namespace_, status.vhost}];
    } else if (status.current_status == kStatusOrphaned) {
      ++metrics.orphaned[status.namespace_];
    }
    ++metrics.total[status.namespace_];
    if (status.root) ++metrics.root[status.namespace_];
  }
  return metrics;
}

}  // namespace contour::dag
