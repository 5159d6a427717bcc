// KubernetesCache: the typed store the DAG is built from, with Contour's relevance rules.
// Insert and Remove answer "does the DAG need a rebuild?". Owned by one thread (the event loop);
// not thread-safe by design.
#ifndef CONTOUR_DAG_CACHE_H_
#define CONTOUR_DAG_CACHE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "k8s/objects.h"

namespace contour::dag {

struct CacheConfig {
  // Ingress class to accept; empty means "contour". Objects with no class are always accepted.
  std::string ingress_class;
  // IngressRoute root namespaces; empty means any.
  std::vector<std::string> root_namespaces;
};

// (namespace, name)
using ObjectKey = std::pair<std::string, std::string>;

class KubernetesCache {
 public:
  explicit KubernetesCache(CacheConfig config);

  // Stores the object if it is relevant. Returns true when the DAG must be rebuilt.
  // Endpoints are not the DAG's concern: they are ignored here (return false).
  bool Insert(k8s::Object object);

  // Removes the object of that kind. Returns true when the DAG must be rebuilt.
  bool Remove(const std::string& kind, const std::string& namespace_, const std::string& name);

  // An update: true when either removing the old or inserting the new needs a rebuild.
  bool Update(k8s::Object object);

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
  CacheConfig config_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Service>> services_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Secret>> secrets_;
  std::map<ObjectKey, std::shared_ptr<const k8s::Ingress>> ingresses_;
  std::map<ObjectKey, std::shared_ptr<const k8s::IngressRoute>> ingress_routes_;
  std::map<ObjectKey, std::shared_ptr<const k8s::TLSCertificateDelegation>> delegations_;
};

}  // namespace contour::dag

#endif  // CONTOUR_DAG_CACHE_H_
