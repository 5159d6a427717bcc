// dag::Build: KubernetesCache → Dag. Total: never fails on user input; invalid objects are left
// out and explained in Dag::statuses.
#ifndef CONTOUR_DAG_BUILDER_H_
#define CONTOUR_DAG_BUILDER_H_

#include "dag/cache.h"
#include "dag/dag.h"

namespace contour::dag {

struct BuilderConfig {
  bool disable_permit_insecure = false;  // contour.yaml disablePermitInsecure
};

Dag Build(const KubernetesCache& cache, const BuilderConfig& config);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_BUILDER_H_
