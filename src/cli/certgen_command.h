// `contour certgen [outputdir]`: makes the CA and the contour and Envoy certificates that secure
// the xDS connection, once, and writes them to every output asked for: PEM files and Secret
// manifests in outputdir, and Secrets created through the Kubernetes API. Exit status 0 when all
// were written (an existing Secret kept without --overwrite counts), 1 for a failure, 2 for usage
// errors.
#ifndef CONTOUR_CLI_CERTGEN_COMMAND_H_
#define CONTOUR_CLI_CERTGEN_COMMAND_H_

#include <iosfwd>
#include <string>

#include "CLI/CLI.hpp"

namespace contour::cli {

struct CertgenOptions {
  std::string output_dir = "certs";
  bool kube = false;  // create Secrets through the API
  bool yaml = false;  // write Secret manifests
  bool pem = false;   // write PEM files
  bool overwrite = false;
  bool in_cluster = false;
  std::string kubeconfig;  // $HOME/.kube/config when empty
  std::string context;     // the kubeconfig's current-context when empty
  std::string namespace_ = "heptio-contour";
};

void AddCertgenCommand(CLI::App& app, CertgenOptions& options);

int RunCertgen(const CertgenOptions& options, std::ostream& out, std::ostream& err);

}  // namespace contour::cli

#endif  // CONTOUR_CLI_CERTGEN_COMMAND_H_
