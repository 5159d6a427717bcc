#include "cli/translate_command.h"

#include <ostream>

#include "server/manifest_files.h"
#include "server/offline_pipeline.h"

namespace contour::cli {

void AddTranslateCommand(CLI::App& app, TranslateOptions& options) {
  CLI::App* command = app.add_subcommand(
      "translate", "Render the Envoy configuration for Kubernetes manifests, without a cluster");
  command
      ->add_option("-f,--filename", options.files,
                   "Manifest file or directory (repeatable; - for stdin)")
      ->required();
  command->add_option("-o,--output", options.output, "Output format")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  command->add_option("--type", options.print.type, "Resources to print")
      ->check(CLI::IsMember({"listeners", "routes", "clusters", "endpoints", "secrets", "all"}))
      ->capture_default_str();
  command->add_flag("--status", options.print.statuses, "Also print IngressRoute statuses");
  AddOutputShapingFlags(*command, options.serve);
}

int RunTranslate(const TranslateOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<config::ServeConfig> config = ResolveServeConfig(options.serve);
  if (!config.ok()) {
    err << "contour translate: " << config.status().message() << "\n";
    return 2;
  }
  k8s::DecodeResult decoded = server::LoadManifests(options.files);
  for (const k8s::DecodeIssue& warning : decoded.warnings) {
    err << "warning: " << warning.ToString() << "\n";
  }
  for (const k8s::DecodeIssue& error : decoded.errors) {
    err << "error: " << error.ToString() << "\n";
  }

  server::Rendered rendered = server::Render(decoded.objects, *config);
  for (const std::string& warning : rendered.warnings) err << "warning: " << warning << "\n";
  int invalid = 0;
  for (const dag::Status& status : rendered.statuses) {
    if (status.current_status == "valid") continue;
    ++invalid;
    err << "error: " << status.kind << " " << status.namespace_ << "/" << status.name << ": "
        << status.current_status << ": " << status.description << "\n";
  }

  absl::StatusOr<nlohmann::json> document = RenderedToJson(rendered, options.print);
  if (!document.ok()) {
    err << "contour translate: " << document.status().message() << "\n";
    return 1;
  }
  if (options.output == "json") {
    out << document->dump(2) << "\n";
  } else {
    out << JsonToYaml(*document);
  }
  return decoded.errors.empty() && invalid == 0 ? 0 : 1;
}

}  // namespace contour::cli
