#include "dag/build_state.h"

#include <utility>

#include "dag/delegation.h"
#include "dag/secret_validation.h"

namespace contour::dag {
namespace {

const std::string* DataOf(const k8s::Secret& secret, const char* key) {
  auto it = secret.data.find(key);
  return it == secret.data.end() ? nullptr : &it->second;
}

}  // namespace

BuildState::BuildState(const KubernetesCache& cache, const BuilderConfig& config)
    : cache_(cache), config_(config), services_(cache.services()) {}

std::shared_ptr<const Secret> BuildState::LookupTlsSecret(const ObjectKey& key) {
  if (auto made = tls_secrets_.find(key); made != tls_secrets_.end()) return made->second;
  auto found = cache_.secrets().find(key);
  if (found == cache_.secrets().end()) return nullptr;
  const k8s::Secret& source = *found->second;
  const std::string* cert = DataOf(source, kTlsCertKey);
  const std::string* private_key = DataOf(source, kTlsPrivateKeyKey);
  if (source.type != kSecretTypeTls || cert == nullptr || cert->empty() || private_key == nullptr ||
      private_key->empty()) {
    return nullptr;
  }
  auto secret = std::make_shared<const Secret>(
      Secret{source.metadata.namespace_, source.metadata.name, *cert, *private_key});
  tls_secrets_[key] = secret;
  return secret;
}

const k8s::Secret* BuildState::LookupCaSecret(const ObjectKey& key) const {
  auto found = cache_.secrets().find(key);
  if (found == cache_.secrets().end()) return nullptr;
  const std::string* ca = DataOf(*found->second, kCaCertKey);
  return ca != nullptr && !ca->empty() ? found->second.get() : nullptr;
}

bool BuildState::DelegationPermitted(const ObjectKey& secret,
                                     const std::string& to_namespace) const {
  return dag::DelegationPermitted(cache_.delegations(), secret, to_namespace);
}

VirtualHost& BuildState::HttpHost(const std::string& name) {
  auto [it, inserted] = dag_.http_hosts.try_emplace(name);
  if (inserted) it->second.name = name;
  return it->second;
}

SecureVirtualHost& BuildState::HttpsHost(const std::string& name) {
  auto [it, inserted] = dag_.https_hosts.try_emplace(name);
  if (inserted) it->second.host.name = name;
  return it->second;
}

bool BuildState::SecureHostExists(const std::string& name) const {
  return name != "*" && dag_.https_hosts.contains(name);
}

void BuildState::SetStatus(Status status) {
  ObjectKey key{status.namespace_, status.name};
  statuses_.try_emplace(std::move(key), std::move(status));
}

Dag BuildState::Finish() && {
  std::erase_if(dag_.http_hosts, [](const auto& entry) { return entry.second.routes.empty(); });
  std::erase_if(dag_.https_hosts, [](const auto& entry) {
    return entry.second.secret == nullptr && !entry.second.tcp_proxy.has_value();
  });
  for (const auto& [key, route] : cache_.ingress_routes()) {
    if (route->virtualhost || delegated_.contains(route.get())) continue;
    Status status;
    status.namespace_ = key.first;
    status.name = key.second;
    status.current_status = kStatusOrphaned;
    status.description =
        "this IngressRoute is not part of a delegation chain from a root IngressRoute";
    SetStatus(std::move(status));
  }
  dag_.statuses.clear();
  dag_.statuses.reserve(statuses_.size());
  for (auto& [key, status] : statuses_) {
    if (auto route = cache_.ingress_routes().find(key); route != cache_.ingress_routes().end()) {
      status.observed = route->second->status;
    }
    dag_.statuses.push_back(std::move(status));
  }
  return std::move(dag_);
}

}  // namespace contour::dag
