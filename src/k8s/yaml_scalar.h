// Types a YAML scalar the way Kubernetes' YAML does (sigs.k8s.io/yaml over go-yaml v2, which
// follows YAML 1.1): quoted scalars are strings; plain ones may be null, bool, int or float.
#ifndef CONTOUR_K8S_YAML_SCALAR_H_
#define CONTOUR_K8S_YAML_SCALAR_H_

#include <string_view>

#include "nlohmann/json.hpp"

namespace contour::k8s {

// `tag` is yaml-cpp's: "?" for a plain untagged scalar, "!" for a quoted or block one, or an
// explicit tag such as "tag:yaml.org,2002:str".
nlohmann::json ResolveYamlScalar(std::string_view value, std::string_view tag);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_YAML_SCALAR_H_
