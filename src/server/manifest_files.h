// Reading Kubernetes objects from manifest files, directories and stdin: the source that lets
// `contour translate` (and `contour serve` without a cluster) work with no API server.
#ifndef CONTOUR_SERVER_MANIFEST_FILES_H_
#define CONTOUR_SERVER_MANIFEST_FILES_H_

#include <string>
#include <vector>

#include "k8s/decode.h"

namespace contour::server {

// Every object in `paths`: a file, a directory (its *.yaml, *.yml and *.json files, recursively,
// in name order) or "-" for stdin. Unreadable paths and malformed objects become errors; the
// rest is still returned.
k8s::DecodeResult LoadManifests(const std::vector<std::string>& paths);

}  // namespace contour::server

#endif  // CONTOUR_SERVER_MANIFEST_FILES_H_
