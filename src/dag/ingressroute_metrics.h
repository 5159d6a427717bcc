// The IngressRoute gauges of one build (Contour v0.15.3's calculateIngressRouteMetric in
// internal/contour/metrics.go), computed from the build's statuses:
//
//   contour_ingressroute_total{namespace}               every object with a status
//   contour_ingressroute_root_total{namespace}          objects with a spec.virtualhost
//   contour_ingressroute_valid_total{namespace,vhost}   status valid
//   contour_ingressroute_invalid_total{namespace,vhost} status invalid
//   contour_ingressroute_orphaned_total{namespace}      status orphaned
//
// The vhost label is the status's vhost as the builder recorded it: the root's fqdn for a root
// and for the children it reaches, and "" where Contour records none (a root outside the root
// namespaces, a root without an fqdn, a missing service or TLS secret). Orphans count in total;
// a root counts in root_total whether valid or not. Label sets absent here are to be deleted
// from the exported gauges (Contour's SetIngressRouteMetric), which is the exporter's business.
#ifndef CONTOUR_DAG_INGRESSROUTE_METRICS_H_
#define CONTOUR_DAG_INGRESSROUTE_METRICS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dag/dag.h"

namespace contour::dag {

struct IngressRouteMetrics {
  // By namespace.
  std::map<std::string, int> total;
  std::map<std::string, int> root;
  std::map<std::string, int> orphaned;
  // By (namespace, vhost).
  std::map<std::pair<std::string, std::string>, int> valid;
  std::map<std::pair<std::string, std::string>, int> invalid;

  bool operator==(const IngressRouteMetrics&) const = default;
};

// `statuses` as Dag::statuses holds them: one per IngressRoute.
IngressRouteMetrics ComputeIngressRouteMetrics(const std::vector<Status>& statuses);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_INGRESSROUTE_METRICS_H_
