// `contour bootstrap PATH`: writes the Envoy v3 bootstrap that points Envoy at contour, as JSON,
// or YAML when PATH ends in .yaml or .yml. Exit status 0 when written, 1 for an I/O error, 2 for
// usage errors.
#ifndef CONTOUR_CLI_BOOTSTRAP_COMMAND_H_
#define CONTOUR_CLI_BOOTSTRAP_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"
#include "translate/bootstrap.h"

namespace contour::cli {

struct BootstrapOptions {
  std::string path;
  translate::BootstrapConfig config;
};

void AddBootstrapCommand(CLI::App& app, BootstrapOptions& options);

int RunBootstrap(const BootstrapOptions& options, std::ostream& out, std::ostream& err);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_BOOTSTRAP_COMMAND_H_
