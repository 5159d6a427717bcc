// CDS: one Envoy cluster per distinct DAG cluster (Contour's internal/envoy/cluster.go).
#ifndef CONTOUR_TRANSLATE_CLUSTER_H_
#define CONTOUR_TRANSLATE_CLUSTER_H_

#include <string>
#include <vector>

#include "dag/dag.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "translate/translate.h"

namespace contour::translate {

// Maps an IngressRoute strategy to Envoy's; unknown names (and the retired RingHash and Maglev)
// mean round robin.
envoy::config::cluster::v3::Cluster::LbPolicy LbPolicy(const std::string& strategy);

envoy::config::cluster::v3::Cluster Cluster(const dag::Cluster& cluster, ConfigSourceMode mode);

// Every cluster reachable from a route or tcp proxy, unique by name, sorted by name.
std::vector<envoy::config::cluster::v3::Cluster> Clusters(const dag::Dag& dag,
                                                          ConfigSourceMode mode);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_CLUSTER_H_
