// `contour translate`: Kubernetes manifests in, Envoy resources out, with no cluster and no
// Envoy. Exit status 0 when every object was used, 1 when some were rejected (the valid
// output is printed all the same), 2 for usage errors.
#ifndef CONTOUR_CLI_TRANSLATE_COMMAND_H_
#define CONTOUR_CLI_TRANSLATE_COMMAND_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/resource_printer.h"
#include "cli/serve_flags.h"

namespace contour::cli {

struct TranslateOptions {
  std::vector<std::string> files;
  std::string output = "yaml";
  PrintOptions print;
  ServeFlags serve;
};

void AddTranslateCommand(CLI::App& app, TranslateOptions& options);

int RunTranslate(const TranslateOptions& options, std::ostream& out, std::ostream& err);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_TRANSLATE_COMMAND_H_
