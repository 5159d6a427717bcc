// The consistency check a snapshot passes before it is served (go-control-plane's
// Snapshot.Consistent, made stricter): references between resources all resolve.
#ifndef CONTOUR_XDS_CONSISTENCY_H_
#define CONTOUR_XDS_CONSISTENCY_H_

#include "absl/status/status.h"
#include "translate/translate.h"

namespace contour::xds {

// OK when: resource names are unique within each type; every route configuration that a
// listener's HttpConnectionManager names over RDS exists; every cluster that a route (plain or
// weighted) or a tcp_proxy names exists; every SDS secret that a listener's TLS context names
// exists. Otherwise an error that lists the first few dangling references.
absl::Status CheckConsistency(const translate::Resources& resources);

}  // namespace contour::xds

#endif  // CONTOUR_XDS_CONSISTENCY_H_
