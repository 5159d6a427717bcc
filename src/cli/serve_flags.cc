#include "cli/serve_flags.h"

#include "absl/strings/str_cat.h"

namespace contour::cli {

void AddOutputShapingFlags(CLI::App& command, ServeFlags& flags) {
  command.add_option("-c,--config-path", flags.config_path, "Path to a contour.yaml config file")
      ->check(CLI::ExistingFile);
  command.add_option("--ingress-class-name", flags.ingress_class_name,
                     "Ingress class to serve (default contour; unannotated objects always)");
  command.add_option("--ingressroute-root-namespaces", flags.root_namespaces,
                     "Comma-separated namespaces allowed to hold root IngressRoutes (default any)");
  command.add_option("--envoy-service-http-address", flags.envoy_http_address,
                     "Envoy HTTP listener address (default 0.0.0.0)");
  command
      .add_option("--envoy-service-http-port", flags.envoy_http_port,
                  "Envoy HTTP listener port (default 8080)")
      ->check(CLI::Range(1, 65535));
  command.add_option("--envoy-service-https-address", flags.envoy_https_address,
                     "Envoy HTTPS listener address (default 0.0.0.0)");
  command
      .add_option("--envoy-service-https-port", flags.envoy_https_port,
                  "Envoy HTTPS listener port (default 8443)")
      ->check(CLI::Range(1, 65535));
  command.add_option("--envoy-http-access-log", flags.envoy_http_access_log,
                     "Envoy HTTP access log path (default /dev/stdout)");
  command.add_option("--envoy-https-access-log", flags.envoy_https_access_log,
                     "Envoy HTTPS access log path (default /dev/stdout)");
  command.add_option("--stats-address", flags.stats_address,
                     "Envoy stats-health listener address (default 0.0.0.0)");
  command
      .add_option("--stats-port", flags.stats_port,
                  "Envoy stats-health listener port (default 8002)")
      ->check(CLI::Range(1, 65535));
  command.add_flag("--use-proxy-protocol", flags.use_proxy_protocol,
                   "Expect PROXY protocol on Envoy's listeners");
}

absl::StatusOr<config::ServeConfig> ResolveServeConfig(const ServeFlags& flags) {
  config::ServeConfig config;
  if (flags.config_path) {
    absl::Status status = config::ApplyConfigFile(*flags.config_path, config);
    if (!status.ok()) return status;
  }
  if (flags.ingress_class_name) config.ingress_class_name = *flags.ingress_class_name;
  if (flags.root_namespaces) {
    config.ingressroute_root_namespaces = config::ParseRootNamespaces(*flags.root_namespaces);
  }
  if (flags.envoy_http_address) config.envoy_http_address = *flags.envoy_http_address;
  if (flags.envoy_http_port) config.envoy_http_port = *flags.envoy_http_port;
  if (flags.envoy_https_address) config.envoy_https_address = *flags.envoy_https_address;
  if (flags.envoy_https_port) config.envoy_https_port = *flags.envoy_https_port;
  if (flags.envoy_http_access_log) config.envoy_http_access_log = *flags.envoy_http_access_log;
  if (flags.envoy_https_access_log) config.envoy_https_access_log = *flags.envoy_https_access_log;
  if (flags.stats_address) config.stats_address = *flags.stats_address;
  if (flags.stats_port) config.stats_port = *flags.stats_port;
  if (flags.use_proxy_protocol) config.use_proxy_protocol = true;
  return config;
}

}  // namespace contour::cli
