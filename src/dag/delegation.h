// TLS certificate delegation (Contour's splitSecret and delegationPermitted), shared by the cache
// (is a secret referenced?) and the builder's processors (may this object use that secret?).
#ifndef CONTOUR_DAG_DELEGATION_H_
#define CONTOUR_DAG_DELEGATION_H_

#include <map>
#include <memory>
#include <string>

#include "dag/cache.h"
#include "k8s/objects.h"

namespace contour::dag {

using DelegationMap = std::map<ObjectKey, std::shared_ptr<const k8s::TLSCertificateDelegation>>;

// "name" → (default_namespace, name); "ns/name" → (ns, name); "/name" → (default_namespace, name).
// Only the first '/' splits, as Go's strings.SplitN(s, "/", 2).
ObjectKey SplitSecretName(const std::string& secret_name, const std::string& default_namespace);

// True when an object in `to_namespace` may use `secret`: the same namespace, or a
// TLSCertificateDelegation in the secret's own namespace lists the secret with `to_namespace`
// among its targets ("*" counts only as the sole target).
bool DelegationPermitted(const DelegationMap& delegations, const ObjectKey& secret,
                         const std::string& to_namespace);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_DELEGATION_H_
