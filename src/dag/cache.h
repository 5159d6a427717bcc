// KubernetesCache: the typed store the DAG is built from, with Contour's relevance rules
// (contour.md §3), tightened: Services and Secrets that nothing references trigger no rebuild on
// insert, update or delete, and an unreferenced Secret is not kept at all (SecretsWanted() lists
// the referenced ones it lacks, for the caller to re-supply). Insert, Update and Remove answer
// "does the DAG need a rebuild?". Owned by one thread (the event loop); not thread-safe by
// design.
#ifndef CONTOUR_DAG_CACHE_H_
#define CONTOUR_DAG_CACHE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "k8s/objects.h"

namespace contour::dag {

struct CacheConfig {
  // Ingress class to accept; empty means "contour". Objects with no class are always accepted.
  std::string ingress_class;
  // IngressRoute root namespaces; empty means any. When set, roots outside them are invalid and
  // Secrets outside them are neither kept nor wanted (Contour's Secret informers watch only these).
  std::vector<std::string> root_namespaces;
};

// (namespace, name)
using ObjectKey = std::pair<std::string, std::string>;

struct References;

class KubernetesCache {
 public:
  explicit KubernetesCache(CacheConfig config);

  // Stores (or replaces) the object if it is relevant. Returns true when the DAG must be
  // rebuilt:
  //  - Service: always stored; true when an Ingress or IngressRoute in its namespace names it.
  //  - Secret: kept only when valid (secret_validation.h) and referenced (Ingress tls, root
  //    IngressRoute tls, with delegation across namespaces; IngressRoute validation CA); true
  //    when kept, or when it replaced a kept one.
  //  - Ingress / IngressRoute: true when its class is accepted; a rejected one that was stored
  //    is removed (true).
  //  - TLSCertificateDelegation: always stored, true.
  //  - Endpoints: not the DAG's concern; ignored, false.
  bool Insert(k8s::Object object);

  // Removes the object of that kind (k8s::KindOf's names). True when the DAG must be rebuilt:
  // the object was stored and, for a Service, is referenced.
  bool Remove(const std::string& kind, const std::string& namespace_, const std::string& name);

  // An update: false when the stored object equals the new one but for
  // metadata.resource_version (and IngressRoute status); otherwise as Insert, which replaces.
  bool Update(k8s::Object object);

  // Secrets that are referenced (delegation permitting) but neither held nor known to be
  // invalid, sorted. The caller re-supplies them through Insert.
  std::vector<ObjectKey> SecretsWanted() const;

  const std::map<ObjectKey, std::shared_ptr<const k8s::Service>>& services() const {
    return services_;
  }
  const std::map<ObjectKey, std::shared_ptr<const k8s::Secret>>& secrets() const {
    return secrets_;
  }
  const std::map<ObjectKey, std::shared_ptr<const k8s::Ingress>>& ingresses() const {
    return ingresses_;
  }
  const std::map<ObjectKey, std::shared_ptr<const k8s::IngressRoute>>& ingress_routes() const {
    return ingress_routes_;
  }
  const std::map<ObjectKey, std::shared_ptr<const k8s::TLSCertificateDelegation>>& delegations()
      const {
    return delegations_;
  }
  const CacheConfig& config() const { return config_; }

 private:
  bool InsertService(k8s::Service service);
  bool InsertSecret(k8s::Secret secret);
  bool InsertIngress(k8s::Ingress ingress);
  bool InsertIngressRoute(k8s::IngressRoute route);
  bool InsertDelegation(k8s::TLSCertificateDelegation delegation);
  bool RemoveIngress(const ObjectKey& key);
  bool RemoveIngressRoute(const ObjectKey& key);

  bool ServiceReferenced(const ObjectKey& key) const;
  bool SecretReferenced(const ObjectKey& key) const;
  void CountReferences(const References& refs, int delta);
  // Drops held secrets (and invalid markers) that nothing references any more.
  void PruneSecrets();

  CacheConfig config_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Service>> services_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Secret>> secrets_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Ingress>> ingresses_;
  std::map<ObjectKey, std::shared_ptr<const k8s::IngressRoute>> ingress_routes_;
  std::map<ObjectKey, std::shared_ptr<const k8s::TLSCertificateDelegation>> delegations_;

  // Reference counts from the stored Ingresses and IngressRoutes.
  std::map<ObjectKey, int> service_refs_;
  std::map<ObjectKey, std::map<std::string, int>> tls_secret_refs_;  // secret → from ns → count
  std::map<ObjectKey, int> ca_secret_refs_;
  // Referenced secrets that were offered but failed validation: not wanted again until changed.
  std::set<ObjectKey> invalid_secrets_;
};

}  // namespace contour::dag

#endif  // CONTOUR_DAG_CACHE_H_
