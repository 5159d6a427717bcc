// Where the API server is and how to authenticate to it, resolved from a kubeconfig file or from
// the in-cluster environment the way client-go resolves it (tools/clientcmd and
// rest.InClusterConfig), so that a kubeconfig that works for kubectl works here too.
#ifndef CONTOUR_K8S_REST_CONFIG_H_
#define CONTOUR_K8S_REST_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace contour::k8s {

struct RestConfig {
  // "https://host:port" (may carry a path prefix), never with a trailing '/'.
  std::string server;
  // PEM. Empty: the system's CAs.
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // Checked against the server's certificate (and sent as SNI) instead of the host in `server`.
  std::string tls_server_name;
  std::string client_cert_pem;
  std::string client_key_pem;
  // A static bearer token. With `token_file` too, it is only the fallback for when the file
  // cannot be read (client-go's order).
  std::string token;
  // Re-read whenever it changes: bound service-account tokens rotate.
  std::string token_file;
  // Basic authentication (kubeconfig username/password).
  std::string username;
  std::string password;
  // The context's namespace, or the pod's; "default" when neither says.
  std::string namespace_;
  // For messages: the kubeconfig path, or "in-cluster".
  std::string source;
};

// Reads a kubeconfig and resolves `context` (the file's current-context when empty). Relative
// paths in it are relative to the file's directory. Like client-go it refuses a certificate
// given both as data and as a file, more than one of token and basic auth, a client
// certificate without its key, and a CA together with insecure-skip-tls-verify; and, like
// client-go, it sends no credentials (and uses no CA) when the server is plain http. `exec` and
// `auth-provider` users are refused as not supported. Errors name the file and the key.
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");

// What the in-cluster configuration is read from; tests point it at a fake.
struct InClusterEnvironment {
  std::string host;           // KUBERNETES_SERVICE_HOST
  std::string port;           // KUBERNETES_SERVICE_PORT
  std::string pod_namespace;  // POD_NAMESPACE (the downward API), preferred to the file
  // Holds `token`, `ca.crt` and `namespace`.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Reads the environment variables above; the directory stays the standard one.
InClusterEnvironment InClusterEnvironmentFromProcess();

// rest.InClusterConfig: https://host:port (an IPv6 host in brackets), the service account's
// token (kept as a file to re-read) and CA. Without host or port it fails with client-go's
// message; an unreadable token is an error, an unreadable CA only means the system's CAs.
absl::StatusOr<RestConfig> InClusterConfig(const InClusterEnvironment& env);

// Contour's rule: `in_cluster` wins; otherwise the kubeconfig at `kubeconfig`, or at
// $HOME/.kube/config when that is empty.
absl::StatusOr<RestConfig> ResolveRestConfig(bool in_cluster, const std::string& kubeconfig,
                                             const std::string& context = "");

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_REST_CONFIG_H_
