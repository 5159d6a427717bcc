// Decoding Kubernetes objects from JSON (as the API server sends them) and from multi-document
// YAML (as users write them) into the typed structs of k8s/objects.h.
//
// Bad input never stops the objects beside it: each malformed object becomes a DecodeIssue that
// names the source, the document index, kind/namespace/name and the field path.
#ifndef CONTOUR_K8S_DECODE_H_
#define CONTOUR_K8S_DECODE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "k8s/objects.h"
#include "nlohmann/json.hpp"

namespace contour::k8s {

struct DecodeIssue {
  std::string source;  // file name, "-" for stdin, or "" for API server data
  int document = -1;   // 0-based index of the YAML document (or List item); -1 if unknown
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string field;  // JSON path, e.g. "spec.rules[0].http.paths[1].backend.servicePort"
  std::string message;

  // "examples/app.yaml: document 2: Ingress default/web: spec.rules[0].host: must be a string"
  std::string ToString() const;
};

struct DecodeResult {
  std::vector<Object> objects;
  std::vector<DecodeIssue> errors;    // malformed objects, left out
  std::vector<DecodeIssue> warnings;  // e.g. unknown kinds, skipped
};

// Decodes every object in `text`: JSON (one object, or a List), or multi-document YAML in which
// a document may itself be a List. `source` names the input in messages.
DecodeResult DecodeManifests(std::string_view text, std::string_view source);

// Decodes one object from parsed JSON. An unknown kind is an error with code kNotFound.
absl::StatusOr<Object> DecodeObject(const nlohmann::json& json);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_DECODE_H_
