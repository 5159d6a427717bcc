// contour: the Kubernetes ingress controller that programs Envoy.
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/bootstrap_command.h"
#include "cli/certgen_command.h"
#include "cli/serve_command.h"
#include "cli/translate_command.h"
#include "cli/xds_client_command.h"
#include "common/allocator.h"
#include "common/logging.h"
#include "common/process_settings.h"

int main(int argc, char** argv) {
  contour::TuneAllocator();
  contour::UseReleaseMutexes();
  CLI::App app{"contour: Kubernetes ingress controller for Envoy (C++ implementation)"};
  app.require_subcommand(1);
  // Global options may follow the subcommand too: `contour serve --log-format=json`.
  app.fallthrough();
  contour::LogOptions log_options;
  app.add_option("--log-format", log_options.format, "Log format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--log-level", log_options.level,
                 "Log level: trace, debug, info (default), warn, error, critical or off");
  bool debug = false;
  app.add_flag("-d,--debug", debug, "Log at debug level");
  app.set_version_flag("--version", "contour-cpp 0.1.0 (Contour v0.15.3 compatible)");

  contour::cli::TranslateOptions translate;
  contour::cli::AddTranslateCommand(app, translate);
  contour::cli::ServeOptions serve;
  contour::cli::AddServeCommand(app, serve);
  contour::cli::BootstrapOptions bootstrap;
  contour::cli::AddBootstrapCommand(app, bootstrap);
  contour::cli::XdsClientOptions xds_client;
  contour::cli::AddXdsClientCommand(app, xds_client);
  contour::cli::CertgenOptions certgen;
  contour::cli::AddCertgenCommand(app, certgen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports usage errors by exception; exit codes: 0 for --help, 2 otherwise.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (debug) log_options.level = "debug";
  if (absl::Status status = contour::ConfigureLogging(log_options); !status.ok()) {
    std::cerr << "contour: " << status.message() << "\n";
    return 2;
  }
  if (app.got_subcommand("translate")) {
    return contour::cli::RunTranslate(translate, std::cout, std::cerr);
  }
  if (app.got_subcommand("serve")) return contour::cli::RunServe(serve, std::cerr);
  if (app.got_subcommand("bootstrap")) {
    return contour::cli::RunBootstrap(bootstrap, std::cout, std::cerr);
  }
  if (app.got_subcommand("certgen")) {
    return contour::cli::RunCertgen(certgen, std::cout, std::cerr);
  }
  if (app.got_subcommand("cli"))
    return contour::cli::RunXdsClient(xds_client, std::cout, std::cerr);
  return 2;
}
