// The state of one dag::Build, shared by its processors (Ingress now, IngressRoute next): the
// cache being read, the DAG being filled, the per-build service and secret nodes, and the
// IngressRoute statuses. Finish() applies Contour's validity rules and hands the DAG out.
#ifndef CONTOUR_DAG_BUILD_STATE_H_
#define CONTOUR_DAG_BUILD_STATE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "dag/dag.h"
#include "dag/service_lookup.h"
#include "k8s/objects.h"

namespace contour::dag {

inline constexpr char kStatusValid[] = "valid";
inline constexpr char kStatusInvalid[] = "invalid";
inline constexpr char kStatusOrphaned[] = "orphaned";

class BuildState {
 public:
  BuildState(const KubernetesCache& cache, const BuilderConfig& config);

  const KubernetesCache& cache() const { return cache_; }
  const BuilderConfig& config() const { return config_; }
  ServiceLookup& services() { return services_; }

  // A kubernetes.io/tls secret with non-empty tls.crt and tls.key (Contour's validSecret), as
  // one shared node per build; null otherwise.
  std::shared_ptr<const Secret> LookupTlsSecret(const ObjectKey& key);
  // A secret with a non-empty ca.crt (Contour's validCA); null otherwise.
  const k8s::Secret* LookupCaSecret(const ObjectKey& key) const;
  // May an object in `to_namespace` use `secret`? (delegation.h)
  bool DelegationPermitted(const ObjectKey& secret, const std::string& to_namespace) const;

  // The port-80 / port-443 virtual host of that name, created empty if new.
  VirtualHost& HttpHost(const std::string& name);
  SecureVirtualHost& HttpsHost(const std::string& name);
  // Whether a port-443 virtual host of that name exists; never for "*".
  bool SecureHostExists(const std::string& name) const;

  // IngressRoute statuses: the first one recorded per object wins (Contour's setStatus).
  void SetStatus(Status status);
  // An IngressRoute without a virtualhost is orphaned unless a delegate reaches it.
  void MarkDelegated(const k8s::IngressRoute& route) { delegated_.insert(&route); }

  // Drops vhosts that serve nothing (port 80: no routes; port 443: neither secret nor tcp proxy),
  // records the orphaned statuses, and returns the DAG with statuses sorted by namespace/name.
  Dag Finish() &&;

 private:
  const KubernetesCache& cache_;
  const BuilderConfig& config_;
  ServiceLookup services_;
  std::map<ObjectKey, std::shared_ptr<const Secret>> tls_secrets_;
  Dag dag_;
  std::map<ObjectKey, Status> statuses_;
  absl::flat_hash_set<const k8s::IngressRoute*> delegated_;  // membership only, never iterated
};

}  // namespace contour::dag

#endif  // CONTOUR_DAG_BUILD_STATE_H_
