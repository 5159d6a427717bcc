#include "dag/cache.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "dag/delegation.h"
#include "dag/ingress_class.h"
#include "dag/references.h"
#include "dag/secret_validation.h"

namespace contour::dag {
namespace {

ObjectKey KeyOf(const k8s::ObjectMeta& metadata) { return {metadata.namespace_, metadata.name}; }

template <typename T>
const T* Find(const std::map<ObjectKey, std::shared_ptr<const T>>& objects, const ObjectKey& key) {
  auto it = objects.find(key);
  return it == objects.end() ? nullptr : it->second.get();
}

// Equal but for what changes on every write without changing meaning.
template <typename T>
bool SameContent(const T& stored, T incoming) {
  incoming.metadata.resource_version = stored.metadata.resource_version;
  if constexpr (std::is_same_v<T, k8s::IngressRoute>) incoming.status = stored.status;
  return stored == incoming;
}

void Count(std::map<ObjectKey, int>& counts, const ObjectKey& key, int delta) {
  int& count = counts[key];
  count += delta;
  if (count <= 0) counts.erase(key);
}

}  // namespace

KubernetesCache::KubernetesCache(CacheConfig config) : config_(std::move(config)) {}

bool KubernetesCache::Insert(k8s::Object object) {
  return std::visit(
      [this](auto&& obj) -> bool {
        using T = std::decay_t<decltype(obj)>;
        if constexpr (std::is_same_v<T, k8s::Service>) {
          return InsertService(std::move(obj));
        } else if constexpr (std::is_same_v<T, k8s::Secret>) {
          return InsertSecret(std::move(obj));
        } else if constexpr (std::is_same_v<T, k8s::Ingress>) {
          return InsertIngress(std::move(obj));
        } else if constexpr (std::is_same_v<T, k8s::IngressRoute>) {
          return InsertIngressRoute(std::move(obj));
        } else if constexpr (std::is_same_v<T, k8s::TLSCertificateDelegation>) {
          return InsertDelegation(std::move(obj));
        } else {
          static_assert(std::is_same_v<T, k8s::Endpoints>);
          return false;
        }
      },
      std::move(object));
}

bool KubernetesCache::Update(k8s::Object object) {
  const bool unchanged = std::visit(
      [this](const auto& obj) -> bool {
        using T = std::decay_t<decltype(obj)>;
        const ObjectKey key = KeyOf(obj.metadata);
        const T* stored = nullptr;
        if constexpr (std::is_same_v<T, k8s::Service>) {
          stored = Find(services_, key);
        } else if constexpr (std::is_same_v<T, k8s::Secret>) {
          stored = Find(secrets_, key);
        } else if constexpr (std::is_same_v<T, k8s::Ingress>) {
          stored = Find(ingresses_, key);
        } else if constexpr (std::is_same_v<T, k8s::IngressRoute>) {
          stored = Find(ingress_routes_, key);
        } else if constexpr (std::is_same_v<T, k8s::TLSCertificateDelegation>) {
          stored = Find(delegations_, key);
        }
        return stored != nullptr && SameContent(*stored, obj);
      },
      object);
  if (unchanged) {
    // Keep the newest status an IngressRoute carries (the status writer compares with it), at
    // no rebuild.
    if (auto* route = std::get_if<k8s::IngressRoute>(&object)) {
      const ObjectKey key = KeyOf(route->metadata);
      ingress_routes_[key] = std::make_shared<const k8s::IngressRoute>(std::move(*route));
    }
    return false;
  }
  return Insert(std::move(object));
}

bool KubernetesCache::Remove(const std::string& kind, const std::string& namespace_,
                             const std::string& name) {
  const ObjectKey key{namespace_, name};
  if (kind == "Service") return services_.erase(key) > 0 && ServiceReferenced(key);
  if (kind == "Secret") {
    invalid_secrets_.erase(key);
    return secrets_.erase(key) > 0;
  }
  if (kind == "Ingress") return RemoveIngress(key);
  if (kind == "IngressRoute") return RemoveIngressRoute(key);
  if (kind == "TLSCertificateDelegation") {
    if (delegations_.erase(key) == 0) return false;
    PruneSecrets();
    return true;
  }
  return false;  // Endpoints and anything else are not the DAG's concern
}

std::vector<ObjectKey> KubernetesCache::SecretsWanted() const {
  std::set<ObjectKey> candidates;
  for (const auto& [key, from] : tls_secret_refs_) candidates.insert(key);
  for (const auto& [key, count] : ca_secret_refs_) candidates.insert(key);
  std::vector<ObjectKey> wanted;
  for (const ObjectKey& key : candidates) {
    if (!secrets_.contains(key) && !invalid_secrets_.contains(key) && SecretReferenced(key)) {
      wanted.push_back(key);
    }
  }
  return wanted;
}

bool KubernetesCache::InsertService(k8s::Service service) {
  const ObjectKey key = KeyOf(service.metadata);
  services_[key] = std::make_shared<const k8s::Service>(std::move(service));
  return ServiceReferenced(key);
}

bool KubernetesCache::InsertSecret(k8s::Secret secret) {
  const ObjectKey key = KeyOf(secret.metadata);
  const bool was_held = secrets_.erase(key) > 0;
  invalid_secrets_.erase(key);
  if (!SecretReferenced(key)) return was_held;  // keep nothing for an unreferenced secret
  if (!IsValidSecret(secret)) {
    invalid_secrets_.insert(key);
    return was_held;
  }
  secrets_[key] = std::make_shared<const k8s::Secret>(std::move(secret));
  return true;
}

bool KubernetesCache::InsertIngress(k8s::Ingress ingress) {
  const ObjectKey key = KeyOf(ingress.metadata);
  if (!IngressClassAccepted(IngressClassOf(ingress), config_.ingress_class)) {
    return RemoveIngress(key);  // its class may have changed away from ours
  }
  if (const k8s::Ingress* old = Find(ingresses_, key)) CountReferences(ReferencesOf(*old), -1);
  CountReferences(ReferencesOf(ingress), +1);
  ingresses_[key] = std::make_shared<const k8s::Ingress>(std::move(ingress));
  PruneSecrets();
  return true;
}

bool KubernetesCache::InsertIngressRoute(k8s::IngressRoute route) {
  const ObjectKey key = KeyOf(route.metadata);
  if (!IngressClassAccepted(IngressClassOf(route), config_.ingress_class)) {
    return RemoveIngressRoute(key);
  }
  if (const k8s::IngressRoute* old = Find(ingress_routes_, key)) {
    CountReferences(ReferencesOf(*old), -1);
  }
  CountReferences(ReferencesOf(route), +1);
  ingress_routes_[key] = std::make_shared<const k8s::IngressRoute>(std::move(route));
  PruneSecrets();
  return true;
}

bool KubernetesCache::InsertDelegation(k8s::TLSCertificateDelegation delegation) {
  const ObjectKey key = KeyOf(delegation.metadata);
  delegations_[key] = std::make_shared<const k8s::TLSCertificateDelegation>(std::move(delegation));
  PruneSecrets();  // a replaced delegation may grant less than before
  return true;
}

bool KubernetesCache::RemoveIngress(const ObjectKey& key) {
  auto it = ingresses_.find(key);
  if (it == ingresses_.end()) return false;
  CountReferences(ReferencesOf(*it->second), -1);
  ingresses_.erase(it);
  PruneSecrets();
  return true;
}

bool KubernetesCache::RemoveIngressRoute(const ObjectKey& key) {
  auto it = ingress_routes_.find(key);
  if (it == ingress_routes_.end()) return false;
  CountReferences(ReferencesOf(*it->second), -1);
  ingress_routes_.erase(it);
  PruneSecrets();
  return true;
}

bool KubernetesCache::ServiceReferenced(const ObjectKey& key) const {
  return service_refs_.contains(key);
}

bool KubernetesCache::SecretReferenced(const ObjectKey& key) const {
  // Contour watches Secrets only in the root namespaces when they are set (contour.md §3).
  const std::vector<std::string>& roots = config_.root_namespaces;
  if (!roots.empty() && std::find(roots.begin(), roots.end(), key.first) == roots.end()) {
    return false;
  }
  // A cross-namespace reference counts whether or not a delegation permits it: the builder
  // decides, and must tell "not delegated" (Contour: served without TLS, status valid) from
  // "missing" (status invalid).
  return ca_secret_refs_.contains(key) || tls_secret_refs_.contains(key);
}

void KubernetesCache::CountReferences(const References& refs, int delta) {
  for (const ObjectKey& service : refs.services) Count(service_refs_, service, delta);
  for (const ObjectKey& ca : refs.ca_secrets) Count(ca_secret_refs_, ca, delta);
  for (const SecretRequest& request : refs.tls_secrets) {
    std::map<std::string, int>& from = tls_secret_refs_[request.secret];
    int& count = from[request.from_namespace];
    count += delta;
    if (count <= 0) from.erase(request.from_namespace);
    if (from.empty()) tls_secret_refs_.erase(request.secret);
  }
}

void KubernetesCache::PruneSecrets() {
  std::erase_if(secrets_, [this](const auto& entry) { return !SecretReferenced(entry.first); });
  std::erase_if(invalid_secrets_, [this](const ObjectKey& key) { return !SecretReferenced(key); });
}

}  // namespace contour::dag
