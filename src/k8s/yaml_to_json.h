// Multi-document YAML to JSON values, typed as Kubernetes' YAML does (see yaml_scalar.h).
#ifndef CONTOUR_K8S_YAML_TO_JSON_H_
#define CONTOUR_K8S_YAML_TO_JSON_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace contour::k8s {

struct YamlDocument {
  std::string_view text;
  int first_line = 0;  // 0-based line of `text` within the stream
};

// Splits a stream at its document markers ("---" and "..." at the start of a line), so each
// document parses on its own and a broken one cannot hide those after it. Directives stay with
// the document they precede; text holding no document (blank lines, comments) is dropped.
std::vector<YamlDocument> SplitYamlDocuments(std::string_view stream);

// Parses one document. An empty document gives null. Errors (syntax, nesting deeper than
// kMaxNestingDepth, aliases expanding past kMaxObjectBytes, invalid UTF-8) name the line and
// column within the stream, counting from 1.
absl::StatusOr<nlohmann::json> YamlToJson(const YamlDocument& document);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_YAML_TO_JSON_H_
