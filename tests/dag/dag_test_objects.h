// Small constructors for the Kubernetes objects the dag tests are made of, and the PEM test data
// (tests/testdata/pem/).
#ifndef CONTOUR_TESTS_DAG_DAG_TEST_OBJECTS_H_
#define CONTOUR_TESTS_DAG_DAG_TEST_OBJECTS_H_

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "dag/cache.h"
#include "k8s/objects.h"

namespace contour::dag::dagtest {

using Annotations = std::map<std::string, std::string>;

inline std::string Pem(const std::string& file) {
  std::ifstream in(std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/pem/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline k8s::ObjectMeta Meta(const std::string& namespace_, const std::string& name,
                            Annotations annotations = {}) {
  k8s::ObjectMeta meta;
  meta.namespace_ = namespace_;
  meta.name = name;
  meta.annotations = std::move(annotations);
  return meta;
}

inline k8s::IntOrString PortNumber(int64_t number) { return {false, number, ""}; }
inline k8s::IntOrString PortName(const std::string& name) { return {true, 0, name}; }

inline k8s::ServicePort Port(const std::string& name, int64_t number) {
  k8s::ServicePort port;
  port.name = name;
  port.port = number;
  port.target_port = PortNumber(number);
  return port;
}

inline k8s::Service MakeService(const std::string& namespace_, const std::string& name,
                                std::vector<k8s::ServicePort> ports = {},
                                Annotations annotations = {}) {
  k8s::Service service;
  service.metadata = Meta(namespace_, name, std::move(annotations));
  service.type = "ClusterIP";
  service.ports = std::move(ports);
  return service;
}

inline k8s::Secret MakeSecret(const std::string& namespace_, const std::string& name,
                              const std::string& type, std::map<std::string, std::string> data) {
  k8s::Secret secret;
  secret.metadata = Meta(namespace_, name);
  secret.type = type;
  secret.data = std::move(data);
  return secret;
}

// A kubernetes.io/tls secret with the RSA test certificate and key.
inline k8s::Secret TlsSecret(const std::string& namespace_, const std::string& name) {
  return MakeSecret(namespace_, name, "kubernetes.io/tls",
                    {{"tls.crt", Pem("rsa.crt")}, {"tls.key", Pem("rsa.key")}});
}

// An Opaque secret holding only a CA certificate.
inline k8s::Secret CaSecret(const std::string& namespace_, const std::string& name) {
  return MakeSecret(namespace_, name, "Opaque", {{"ca.crt", Pem("rsa.crt")}});
}

inline k8s::IngressBackend Backend(const std::string& service, k8s::IntOrString port) {
  return {service, std::move(port)};
}

inline k8s::IngressPath Path(const std::string& path, k8s::IngressBackend backend,
                             const std::string& path_type = "") {
  return {path, path_type, std::move(backend)};
}

inline k8s::IngressRule Rule(const std::string& host, std::vector<k8s::IngressPath> paths) {
  return {host, std::move(paths)};
}

inline k8s::IngressTLS Tls(std::vector<std::string> hosts, const std::string& secret_name) {
  return {std::move(hosts), secret_name};
}

inline k8s::TLSCertificateDelegation Delegation(const std::string& namespace_,
                                                const std::string& name,
                                                const std::string& secret_name,
                                                std::vector<std::string> targets) {
  k8s::TLSCertificateDelegation delegation;
  delegation.metadata = Meta(namespace_, name);
  delegation.delegations.push_back({secret_name, std::move(targets)});
  return delegation;
}

// Every object inserted in order, then the secrets the cache asks for re-supplied from the same
// list, as the manifest and API sources do.
inline void Fill(KubernetesCache& cache, const std::vector<k8s::Object>& objects) {
  for (const k8s::Object& object : objects) cache.Insert(object);
  for (const ObjectKey& wanted : cache.SecretsWanted()) {
    for (const k8s::Object& object : objects) {
      const auto* secret = std::get_if<k8s::Secret>(&object);
      if (secret != nullptr && secret->metadata.namespace_ == wanted.first &&
          secret->metadata.name == wanted.second) {
        cache.Insert(*secret);
      }
    }
  }
}

}  // namespace contour::dag::dagtest

#endif  // CONTOUR_TESTS_DAG_DAG_TEST_OBJECTS_H_
