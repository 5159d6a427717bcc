// contour: the Kubernetes ingress controller that programs Envoy.
#include <iostream>

#include "CLI/CLI.hpp"
#include "cli/bootstrap_command.h"
#include "cli/serve_command.h"
#include "cli/translate_command.h"
#include "cli/xds_client_command.h"
#include "common/allocator.h"
#include "common/process_settings.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  contour::TuneAllocator();
  contour::UseReleaseMutexes();
  // Logs go to stderr; stdout is for what a command prints.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("contour"));
  CLI::App app{"contour: Kubernetes ingress controller for Envoy (C++ implementation)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "contour-cpp 0.1.0 (Contour v0.15.3 compatible)");

  contour::cli::TranslateOptions translate;
  contour::cli::AddTranslateCommand(app, translate);
  contour::cli::ServeOptions serve;
  contour::cli::AddServeCommand(app, serve);
  contour::cli::BootstrapOptions bootstrap;
  contour::cli::AddBootstrapCommand(app, bootstrap);
  contour::cli::XdsClientOptions xds_client;
  contour::cli::AddXdsClientCommand(app, xds_client);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports usage errors by exception; exit codes: 0 for --help, 2 otherwise.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (app.got_subcommand("translate")) {
    return contour::cli::RunTranslate(translate, std::cout, std::cerr);
  }
  if (app.got_subcommand("serve")) return contour::cli::RunServe(serve, std::cerr);
  if (app.got_subcommand("bootstrap")) {
    return contour::cli::RunBootstrap(bootstrap, std::cout, std::cerr);
  }
  if (app.got_subcommand("cli"))
    return contour::cli::RunXdsClient(xds_client, std::cout, std::cerr);
  return 2;
}
