// Where `contour certgen` puts the certificates: PEM files, Secret manifests (YAML files), and
// Secrets created through the Kubernetes API. All three carry the same certificates, made once.
#ifndef CONTOUR_CERTGEN_OUTPUTS_H_
#define CONTOUR_CERTGEN_OUTPUTS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "certgen/certificates.h"
#include "k8s/api_client.h"
#include "nlohmann/json.hpp"

namespace contour::certgen {

constexpr char kCaSecretName[] = "cacert";
constexpr char kContourSecretName[] = "contourcert";
constexpr char kEnvoySecretName[] = "envoycert";

// A v1 Secret labelled app=contour.
struct Secret {
  std::string name;
  std::string namespace_;
  std::string type;                         // "Opaque" or "kubernetes.io/tls"
  std::map<std::string, std::string> data;  // key → raw bytes (base64 only when serialized)
};

// cacert (Opaque, key cacert.pem), contourcert and envoycert (kubernetes.io/tls: tls.crt,
// tls.key, and ca.crt so that a pod needs to mount only its own Secret), in that order.
std::vector<Secret> MakeSecrets(const GeneratedCertificates& certs, std::string_view namespace_);

// The object as the API takes it (keys sorted, so identical Secrets give identical text).
nlohmann::json SecretJson(const Secret& secret);

// A manifest for `kubectl apply -f`: apiVersion, kind, metadata (name, namespace, labels), type,
// data (sorted), in that order, one document.
std::string SecretYaml(const Secret& secret);

// Writes cacert.pem, contourcert.pem, contourkey.pem, envoycert.pem and envoykey.pem into `dir`
// (made, with its parents, if missing), replacing files of those names. Keys are mode 0600,
// certificates 0644. Each file is written beside its final name and renamed over it, so a reader
// never sees half a file. Returns the paths written, in that order.
absl::StatusOr<std::vector<std::string>> WritePemFiles(const GeneratedCertificates& certs,
                                                       const std::string& dir);

// Writes NAME.yaml for each Secret (SecretYaml) into `dir`, like WritePemFiles; a manifest that
// holds a private key is mode 0600. Returns the paths written.
absl::StatusOr<std::vector<std::string>> WriteSecretManifests(const std::vector<Secret>& secrets,
                                                              const std::string& dir);

enum class SecretOutcome { kCreated, kReplaced, kKept };

struct SecretResult {
  std::string name;
  SecretOutcome outcome;
};

struct KubernetesWriteOptions {
  // An existing Secret is replaced (an unconditional PUT, which needs only the `update` verb);
  // otherwise it is left alone (kKept), so that a certgen Job can run again.
  bool overwrite = false;
  absl::Duration request_timeout = absl::Seconds(30);
};

// Creates the Secrets in order (POST), stopping at the first failure. Errors name the Secret and
// carry the API's message. Without `overwrite`, a run that finds some Secrets present and creates
// the others fails (kFailedPrecondition): the ones kept were signed by an earlier run's CA, so the
// two sets cannot verify each other, and only --overwrite can make them consistent again.
absl::StatusOr<std::vector<SecretResult>> WriteKubernetesSecrets(
    k8s::ApiClient& client, const std::vector<Secret>& secrets,
    const KubernetesWriteOptions& options);

}  // namespace contour::certgen

#endif  // CONTOUR_CERTGEN_OUTPUTS_H_
