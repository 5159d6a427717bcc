#include "cli/serve_command.h"

#include <signal.h>

#include <cstdlib>
#include <ostream>

#include "server/contour_server.h"
#include "spdlog/spdlog.h"
#include "xds/grpc_server.h"

namespace contour::cli {
namespace {

std::optional<std::string> Environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

// Contour's verifyTLSFlags (cmd/contour/serve.go), with its messages.
absl::Status CheckGrpcTls(const config::ServeConfig& config) {
  const int given = !config.ca_file.empty() + !config.cert_file.empty() + !config.key_file.empty();
  if (given != 0 && given != 3) {
    return absl::InvalidArgumentError(
        "you must supply all three TLS parameters - --contour-cafile, --contour-cert-file, "
        "--contour-key-file, or none of them");
  }
  if (given == 0 && !config.insecure) {
    return absl::InvalidArgumentError(
        "no TLS parameters and --insecure not supplied. You must supply one or the other");
  }
  if (given == 3 && !config.insecure) {
    // Unreadable or mismatched files stop serve before it starts.
    return xds::CheckTlsFiles(xds::GrpcTlsFiles{config.ca_file, config.cert_file, config.key_file});
  }
  return absl::OkStatus();
}

}  // namespace

void AddServeCommand(CLI::App& app, ServeOptions& options) {
  CLI::App* command = app.add_subcommand("serve", "Serve xDS API traffic to Envoy");
  command->footer(
      "contour.yaml (-c) keys, each optional; flags and CONTOUR_* variables override them:\n"
      "  incluster: bool                     use the pod's service account\n"
      "  kubeconfig: path                    default $HOME/.kube/config\n"
      "  disablePermitInsecure: bool         IngressRoute permitInsecure has no effect\n"
      "  tls.minimum-protocol-version: str   \"1.1\" (default), \"1.2\" or \"1.3\"\n"
      "                                      (tls.minimumProtocolVersion is taken too)\n"
      "  enableleaderelection: bool          as --enable-leader-election\n"
      "  leaderelection.lock: str            configmaps (default) or leases\n"
      "  leaderelection.configmap-name: str  the lock's name (default contour)\n"
      "  leaderelection.configmap-namespace: str  its namespace (default heptio-contour)\n"
      "  leaderelection.lease-duration: dur  Go duration (default 15s)\n"
      "  leaderelection.renew-deadline: dur  (default 10s)\n"
      "  leaderelection.retry-period: dur    (default 2s); lease > renew > 1.2 x retry\n"
      "An unknown key, a wrong type or a bad duration is an error naming the file, line and key.\n"
      "A commented sample: examples/contour.yaml.example");
  AddOutputShapingFlags(*command, options.shaping);
  command->add_option("--manifests", options.manifests,
                      "Take objects from these manifest files or directories (repeatable), "
                      "watched for changes, instead of a cluster");
  command->add_option("--xds-address", options.xds_address,
                      "xDS gRPC API address (default 127.0.0.1)");
  command->add_option("--xds-port", options.xds_port, "xDS gRPC API port (default 8001; 0: any)")
      ->check(CLI::Range(0, 65535));
  command->add_flag("--insecure", options.insecure, "Allow serving without TLS secured gRPC");
  command->add_option("--contour-cafile", options.ca_file,
                      "CA bundle file for validating Envoy's client certificates "
                      "(env CONTOUR_CAFILE)");
  command->add_option("--contour-cert-file", options.cert_file,
                      "Contour's gRPC certificate (env CONTOUR_CERT_FILE)");
  command->add_option("--contour-key-file", options.key_file,
                      "Contour's gRPC key (env CONTOUR_KEY_FILE)");
  command->add_flag("--incluster", options.in_cluster, "Use in-cluster Kubernetes configuration");
  command->add_option("--kubeconfig", options.kubeconfig,
                      "Path to kubeconfig (default $HOME/.kube/config)");
  command->add_option("--context", options.kube_context,
                      "The kubeconfig context to use (default: its current-context)");
  command
      ->add_option("--kubernetes-client-qps", options.kubernetes_client_qps,
                   "Writes a second to the Kubernetes API, e.g. IngressRoute status (100)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--kubernetes-client-burst", options.kubernetes_client_burst,
                   "Writes to the Kubernetes API allowed in a burst (200)")
      ->check(CLI::PositiveNumber);
  command->add_option("--http-address", options.http_address,
                      "Address of the metrics and health endpoints (default 0.0.0.0)");
  command
      ->add_option("--http-port", options.http_port,
                   "Port of /metrics, /healthz and /health (default 8000; 0: any)")
      ->check(CLI::Range(0, 65535));
  command->add_option("--debug-http-address", options.debug_http_address,
                      "Address of the debug endpoints (default 127.0.0.1)");
  command
      ->add_option("--debug-http-port", options.debug_http_port,
                   "Port of /debug/dag (default 6060; 0: any)")
      ->check(CLI::Range(0, 65535));
  command->add_flag("--enable-leader-election", options.enable_leader_election,
                    "Enable leader election mechanism");
  command
      ->add_option("--xds-serve-mode", options.xds_serve_mode,
                   "With leader election, who serves xDS: leader (v0.15; the default) or all "
                   "(every replica; only the leader writes status)")
      ->check(CLI::IsMember({"leader", "all"}));
}

absl::StatusOr<config::ServeConfig> ResolveServe(const ServeOptions& options) {
  absl::StatusOr<config::ServeConfig> resolved = ResolveServeConfig(options.shaping);
  if (!resolved.ok()) return resolved.status();
  config::ServeConfig config = *std::move(resolved);
  // Environment, then flags.
  if (auto value = Environment("CONTOUR_CAFILE")) config.ca_file = *value;
  if (auto value = Environment("CONTOUR_CERT_FILE")) config.cert_file = *value;
  if (auto value = Environment("CONTOUR_KEY_FILE")) config.key_file = *value;
  if (options.ca_file) config.ca_file = *options.ca_file;
  if (options.cert_file) config.cert_file = *options.cert_file;
  if (options.key_file) config.key_file = *options.key_file;
  if (options.insecure) config.insecure = true;
  if (!options.manifests.empty()) config.manifest_paths = options.manifests;
  if (options.xds_address) config.xds_address = *options.xds_address;
  if (options.xds_port) config.xds_port = *options.xds_port;
  if (options.in_cluster) config.in_cluster = true;
  if (options.kubeconfig) config.kubeconfig = *options.kubeconfig;
  if (options.kube_context) config.kube_context = *options.kube_context;
  if (options.kubernetes_client_qps) config.kubernetes_client_qps = *options.kubernetes_client_qps;
  if (options.kubernetes_client_burst) {
    config.kubernetes_client_burst = *options.kubernetes_client_burst;
  }
  if (options.http_address) config.http_address = *options.http_address;
  if (options.http_port) config.http_port = *options.http_port;
  if (options.debug_http_address) config.debug_http_address = *options.debug_http_address;
  if (options.debug_http_port) config.debug_http_port = *options.debug_http_port;
  if (options.enable_leader_election) config.leader_election.enabled = true;
  if (options.xds_serve_mode) config.xds_serve_mode = *options.xds_serve_mode;
  if (absl::Status status = CheckGrpcTls(config); !status.ok()) return status;
  return config;
}

int RunServe(const ServeOptions& options, std::ostream& err) {
  absl::StatusOr<config::ServeConfig> config = ResolveServe(options);
  if (!config.ok()) {
    err << "contour serve: " << config.status().message() << "\n";
    return 2;
  }
  // Signals are taken by sigwait on this thread: block them before any thread starts, so that
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<server::ContourServer>> server =
      server::ContourServer::Start(*config);
  if (!server.ok()) {
    err << "contour serve: " << server.status().message() << "\n";
    return server.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("received {}, shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace contour::cli
