// Envoy resources as one JSON document (proto JSON, snake_case names, "@type" on every Any),
// and that document as YAML.
#ifndef CONTOUR_CLI_RESOURCE_PRINTER_H_
#define CONTOUR_CLI_RESOURCE_PRINTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "server/offline_pipeline.h"

namespace contour::cli {

struct PrintOptions {
  std::string type = "all";  // listeners, routes, clusters, endpoints, secrets or all
  bool statuses = false;     // add "statuses"
};

// One resource as JSON. Fails only if a type inside an Any is not linked into the binary.
absl::StatusOr<nlohmann::json> ProtoToJson(const google::protobuf::Message& message);

// {"listeners":[…], "routes":[…], "clusters":[…], "endpoints":[…], "secrets":[…],
//  "statuses":[…]}, limited to the chosen type.
absl::StatusOr<nlohmann::json> RenderedToJson(const server::Rendered& rendered,
                                              const PrintOptions& options);

// Block-style YAML of a JSON document; key order is kept.
std::string JsonToYaml(const nlohmann::json& document);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_RESOURCE_PRINTER_H_
