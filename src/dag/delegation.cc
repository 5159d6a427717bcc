#include "dag/delegation.h"

#include <algorithm>
#include <vector>

namespace contour::dag {
namespace {

bool TargetsInclude(const std::vector<std::string>& targets, const std::string& to_namespace) {
  if (targets.size() == 1 && targets[0] == "*") return true;
  return std::find(targets.begin(), targets.end(), to_namespace) != targets.end();
}

}  // namespace

ObjectKey SplitSecretName(const std::string& secret_name, const std::string& default_namespace) {
  const size_t slash = secret_name.find('/');
  if (slash == std::string::npos) return {default_namespace, secret_name};
  std::string namespace_ = secret_name.substr(0, slash);
  if (namespace_.empty()) namespace_ = default_namespace;
  return {namespace_, secret_name.substr(slash + 1)};
}

bool DelegationPermitted(const DelegationMap& delegations, const ObjectKey& secret,
                         const std::string& to_namespace) {
  if (secret.first == to_namespace) return true;
  // Only delegations in the secret's namespace can grant it: they are contiguous in the map.
  for (auto it = delegations.lower_bound({secret.first, ""});
       it != delegations.end() && it->first.first == secret.first; ++it) {
    for (const k8s::CertificateDelegation& delegation : it->second->delegations) {
      if (delegation.secret_name == secret.second &&
          TargetsInclude(delegation.target_namespaces, to_namespace)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace contour::dag
