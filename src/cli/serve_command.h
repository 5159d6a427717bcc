// `contour serve`: Contour's serve flags, plus --manifests to take objects from files (watched
// live) when there is no cluster. Runs until SIGTERM or SIGINT, then shuts down cleanly, exit 0.
#ifndef CONTOUR_CLI_SERVE_COMMAND_H_
#define CONTOUR_CLI_SERVE_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "cli/serve_flags.h"
#include "config/serve_config.h"

namespace contour::cli {

struct ServeOptions {
  ServeFlags shaping;
  std::vector<std::string> manifests;
  std::optional<std::string> xds_address;
  std::optional<uint32_t> xds_port;
  bool insecure = false;
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  bool in_cluster = false;
  std::optional<std::string> kubeconfig;
  std::optional<std::string> kube_context;
  std::optional<std::string> xds_serve_mode;
  std::optional<double> kubernetes_client_qps;
  std::optional<int> kubernetes_client_burst;
  std::optional<std::string> http_address;
  std::optional<uint32_t> http_port;
  std::optional<std::string> debug_http_address;
  std::optional<uint32_t> debug_http_port;
  bool enable_leader_election = false;
};

void AddServeCommand(CLI::App& app, ServeOptions& options);

// Defaults < contour.yaml < environment (CONTOUR_CAFILE, CONTOUR_CERT_FILE, CONTOUR_KEY_FILE) <
// flags, then Contour's rules on the gRPC TLS parameters.
absl::StatusOr<config::ServeConfig> ResolveServe(const ServeOptions& options);

// Blocks until SIGTERM/SIGINT. 0 after a clean shutdown, 1 when serving failed, 2 for usage.
int RunServe(const ServeOptions& options, std::ostream& err);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_SERVE_COMMAND_H_
