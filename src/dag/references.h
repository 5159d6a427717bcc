// What an Ingress or IngressRoute refers to: the cache's relevance rules (contour.md §3) are
// reference counts over these.
#ifndef CONTOUR_DAG_REFERENCES_H_
#define CONTOUR_DAG_REFERENCES_H_

#include <string>
#include <vector>

#include "dag/cache.h"
#include "k8s/objects.h"

namespace contour::dag {

// A TLS certificate asked for by an object in `from_namespace`; a cross-namespace request
// counts only while a delegation permits it.
struct SecretRequest {
  ObjectKey secret;
  std::string from_namespace;
};

struct References {
  std::vector<ObjectKey> services;         // always in the object's namespace
  std::vector<SecretRequest> tls_secrets;  // Ingress tls[], root IngressRoute virtualhost.tls
  std::vector<ObjectKey> ca_secrets;       // IngressRoute services[].validation.caSecret
};

// Default backend and rule backends; tls[].secretName. Empty names are left out.
References ReferencesOf(const k8s::Ingress& ingress);
// routes[].services[] and tcpproxy.services[]; a root's virtualhost.tls.secretName;
// routes[].services[].validation.caSecret. Empty names are left out.
References ReferencesOf(const k8s::IngressRoute& route);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_REFERENCES_H_
