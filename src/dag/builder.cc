// Stub: replaced by the real builder.
#include "dag/builder.h"

namespace contour::dag {
Dag Build(const KubernetesCache&, const BuilderConfig&) { return Dag{}; }
}  // namespace contour::dag
