#include "cli/certgen_command.h"

#include <memory>
#include <ostream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "certgen/certificates.h"
#include "certgen/outputs.h"
#include "k8s/curl_api_client.h"
#include "k8s/names.h"
#include "k8s/rest_config.h"

namespace contour::cli {
namespace {

constexpr char kPrefix[] = "contour certgen: ";

int Fail(std::ostream& err, const absl::Status& status) {
  err << kPrefix << status.message() << "\n";
  return 1;
}

// Before anything is generated or written: a bad kubeconfig fails the command with nothing done.
absl::StatusOr<std::unique_ptr<k8s::CurlApiClient>> MakeClient(const CertgenOptions& options) {
  absl::StatusOr<k8s::RestConfig> config =
      k8s::ResolveRestConfig(options.in_cluster, options.kubeconfig, options.context);
  if (!config.ok()) return config.status();
  return k8s::CurlApiClient::Create(*std::move(config));
}

int WriteToKubernetes(k8s::ApiClient& client, const CertgenOptions& options,
                      const std::vector<certgen::Secret>& secrets, std::ostream& out,
                      std::ostream& err) {
  absl::StatusOr<std::vector<certgen::SecretResult>> results = certgen::WriteKubernetesSecrets(
      client, secrets, certgen::KubernetesWriteOptions{.overwrite = options.overwrite});
  if (!results.ok()) return Fail(err, results.status());
  for (const certgen::SecretResult& result : *results) {
    switch (result.outcome) {
      case certgen::SecretOutcome::kCreated:
        out << "secret/" << result.name << " created\n";
        break;
      case certgen::SecretOutcome::kReplaced:
        out << "secret/" << result.name << " replaced\n";
        break;
      case certgen::SecretOutcome::kKept:
        err << kPrefix << "secret/" << result.name << " already exists in namespace "
            << options.namespace_ << "; left unchanged (--overwrite replaces it)\n";
        break;
    }
  }
  return 0;
}

}  // namespace

void AddCertgenCommand(CLI::App& app, CertgenOptions& options) {
  CLI::App* command = app.add_subcommand(
      "certgen", "Generate the CA and the contour and Envoy certificates for secure xDS");
  command
      ->add_option("outputdir", options.output_dir,
                   "Directory for --pem and --yaml output (made if missing)")
      ->capture_default_str();
  command->add_flag("--kube", options.kube, "Create the certificates as Kubernetes Secrets");
  command->add_flag("--yaml", options.yaml, "Write Secret manifests (YAML) to outputdir");
  command->add_flag("--pem", options.pem, "Write PEM files to outputdir");
  command->add_flag("--overwrite", options.overwrite,
                    "With --kube, replace Secrets that already exist (otherwise they are kept)");
  command->add_flag("--incluster", options.in_cluster, "Use in-cluster Kubernetes configuration");
  command->add_option("--kubeconfig", options.kubeconfig,
                      "Path to kubeconfig (default $HOME/.kube/config)");
  command->add_option("--context", options.context,
                      "The kubeconfig context to use (default: its current-context)");
  command
      ->add_option("--namespace", options.namespace_,
                   "The namespace contour and Envoy run in: in the certificates' DNS names, and "
                   "where the Secrets go")
      ->envname("CONTOUR_NAMESPACE")
      ->capture_default_str();
}

int RunCertgen(const CertgenOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.kube && !options.yaml && !options.pem) {
    err << kPrefix << "nothing to write: give at least one of --kube, --yaml and --pem\n";
    return 2;
  }
  if (!k8s::IsDns1123Label(options.namespace_)) {
    err << kPrefix << "--namespace \"" << options.namespace_
        << "\" is not a valid namespace name (lower case letters, digits and '-', at most 63 "
           "characters)\n";
    return 2;
  }
  if ((options.pem || options.yaml) && options.output_dir.empty()) {
    err << kPrefix << "outputdir must not be empty\n";
    return 2;
  }

  std::unique_ptr<k8s::CurlApiClient> client;
  if (options.kube) {
    absl::StatusOr<std::unique_ptr<k8s::CurlApiClient>> made = MakeClient(options);
    if (!made.ok()) return Fail(err, made.status());
    client = *std::move(made);
  }

  // Once, for every output: the files and the Secrets must agree on the CA.
  absl::StatusOr<certgen::GeneratedCertificates> certs =
      certgen::GenerateCertificates(certgen::CertificateOptions{.namespace_ = options.namespace_});
  if (!certs.ok()) return Fail(err, certs.status());
  const std::vector<certgen::Secret> secrets = certgen::MakeSecrets(*certs, options.namespace_);

  if (options.pem) {
    absl::StatusOr<std::vector<std::string>> written =
        certgen::WritePemFiles(*certs, options.output_dir);
    if (!written.ok()) return Fail(err, written.status());
    for (const std::string& path : *written) out << path << " created\n";
  }
  if (options.yaml) {
    absl::StatusOr<std::vector<std::string>> written =
        certgen::WriteSecretManifests(secrets, options.output_dir);
    if (!written.ok()) return Fail(err, written.status());
    for (const std::string& path : *written) out << path << " created\n";
  }
  if (client != nullptr) return WriteToKubernetes(*client, options, secrets, out, err);
  return 0;
}

}  // namespace contour::cli
