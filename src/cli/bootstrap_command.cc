#include "cli/bootstrap_command.h"

#include <ostream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/resource_printer.h"
#include "common/atomic_file.h"

namespace contour::cli {

void AddBootstrapCommand(CLI::App& app, BootstrapOptions& options) {
  CLI::App* command =
      app.add_subcommand("bootstrap", "Write the Envoy bootstrap configuration to a file");
  command
      ->add_option("path", options.path,
                   "File to write: JSON, or YAML when the name ends in .yaml or .yml")
      ->required();
  translate::BootstrapConfig& config = options.config;
  command->add_option("--admin-address", config.admin_address, "Envoy admin interface address")
      ->capture_default_str();
  command->add_option("--admin-port", config.admin_port, "Envoy admin interface port")
      ->capture_default_str();
  command->add_option("--xds-address", config.xds_address, "xDS gRPC API address")
      ->capture_default_str();
  command->add_option("--xds-port", config.xds_port, "xDS gRPC API port")->capture_default_str();
  command
      ->add_option("--namespace", config.namespace_,
                   "The namespace the Envoy container will run in")
      ->envname("CONTOUR_NAMESPACE")
      ->capture_default_str();
  command
      ->add_option("--envoy-cafile", config.ca_file,
                   "CA filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_CAFILE");
  command
      ->add_option("--envoy-cert-file", config.cert_file,
                   "Client certificate filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_CERT_FILE");
  command
      ->add_option("--envoy-key-file", config.key_file,
                   "Client key filename for Envoy secure xDS gRPC communication")
      ->envname("ENVOY_KEY_FILE");
  command->add_flag("--ads", config.ads,
                    "Fetch every resource type over one aggregated (ADS) stream");
}

int RunBootstrap(const BootstrapOptions& options, std::ostream& out, std::ostream& err) {
  if (absl::Status valid = translate::ValidateBootstrapConfig(options.config); !valid.ok()) {
    err << "contour bootstrap: " << valid.message() << "\n";
    return 2;
  }
  absl::StatusOr<nlohmann::json> json = ProtoToJson(translate::Bootstrap(options.config));
  if (!json.ok()) {
    err << "contour bootstrap: " << json.status().message() << "\n";
    return 1;
  }
  const bool yaml = absl::EndsWith(options.path, ".yaml") || absl::EndsWith(options.path, ".yml");
  const std::string text = yaml ? JsonToYaml(*json) : json->dump(2) + "\n";
  if (absl::Status written = WriteFileAtomically(options.path, text); !written.ok()) {
    err << "contour bootstrap: " << written.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace contour::cli
