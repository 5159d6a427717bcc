// EDS: ClusterLoadAssignments straight from Endpoints objects (Contour's EndpointsTranslator).
#ifndef CONTOUR_TRANSLATE_ENDPOINT_H_
#define CONTOUR_TRANSLATE_ENDPOINT_H_

#include <string>
#include <vector>

#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "k8s/objects.h"

namespace contour::translate {

// ns/name/portname, or ns/name for an unnamed port: the EDS service name of the cluster.
std::string EndpointsServiceName(const k8s::ObjectMeta& meta, const std::string& port_name);

// The assignments of one Endpoints object: one per port name, sorted by name, endpoints sorted
// by address then port.
std::vector<envoy::config::endpoint::v3::ClusterLoadAssignment> ClusterLoadAssignments(
    const k8s::Endpoints& endpoints);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_ENDPOINT_H_
