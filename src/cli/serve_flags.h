// The `contour serve` flags, shared by `serve` and `translate` (which takes those that shape
// the output). Flags have no defaults of their own: a flag given on the command line overrides
// the config file, which overrides ServeConfig's defaults.
#ifndef CONTOUR_CLI_SERVE_FLAGS_H_
#define CONTOUR_CLI_SERVE_FLAGS_H_

#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "config/serve_config.h"

namespace contour::cli {

struct ServeFlags {
  std::optional<std::string> config_path;
  std::optional<std::string> ingress_class_name;
  std::optional<std::string> root_namespaces;
  std::optional<std::string> envoy_http_address;
  std::optional<uint32_t> envoy_http_port;
  std::optional<std::string> envoy_https_address;
  std::optional<uint32_t> envoy_https_port;
  std::optional<std::string> envoy_http_access_log;
  std::optional<std::string> envoy_https_access_log;
  std::optional<std::string> stats_address;
  std::optional<uint32_t> stats_port;
  bool use_proxy_protocol = false;
};

// Registers the flags that shape Envoy's configuration.
void AddOutputShapingFlags(CLI::App& command, ServeFlags& flags);

// Defaults, then the config file, then the flags; validated.
absl::StatusOr<config::ServeConfig> ResolveServeConfig(const ServeFlags& flags);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_SERVE_FLAGS_H_
