// Reading Kubernetes objects from manifest files, directories and stdin: the source that lets
// `contour translate` (and `contour serve` without a cluster) work with no API server.
#ifndef CONTOUR_SERVER_MANIFEST_FILES_H_
#define CONTOUR_SERVER_MANIFEST_FILES_H_

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "k8s/decode.h"

namespace contour::server {

// Every object in `paths`: a file, a directory (its *.yaml, *.yml and *.json files, recursively,
// in name order) or "-" for stdin. Unreadable paths and malformed objects become errors; the
// rest is still returned.
k8s::DecodeResult LoadManifests(const std::vector<std::string>& paths);

// The selection rule for files found in a directory: *.yaml, *.yml and *.json. (A file named
// explicitly is read whatever its name.)
bool IsManifestFile(const std::filesystem::path& path);

// The manifest files under `dir`, recursively, sorted. On a walk error, `error` is set and the
// files found so far are returned.
std::vector<std::filesystem::path> ListManifestFiles(const std::filesystem::path& dir,
                                                     std::error_code& error);

// Reads and decodes one file; an unreadable file is one error ("cannot be read").
k8s::DecodeResult LoadManifestFile(const std::filesystem::path& path);

}  // namespace contour::server

#endif  // CONTOUR_SERVER_MANIFEST_FILES_H_
