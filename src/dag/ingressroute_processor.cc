#include "dag/ingressroute_processor.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "dag/annotations.h"
#include "dag/delegation.h"
#include "dag/ingressroute_route.h"
#include "dag/ingressroute_status.h"

namespace contour::dag {
namespace {

using Visited = std::vector<const k8s::IngressRoute*>;

std::string KeyString(const k8s::IngressRoute& object) {
  return absl::StrCat(object.metadata.namespace_, "/", object.metadata.name);
}

// The delegation path closed by `target`, or nullopt when `target` has not been visited.
std::optional<std::vector<std::string>> CyclePath(const Visited& visited,
                                                  const k8s::IngressRoute& target) {
  const bool seen = std::any_of(visited.begin(), visited.end(), [&](const k8s::IngressRoute* v) {
    return v->metadata.namespace_ == target.metadata.namespace_ &&
           v->metadata.name == target.metadata.name;
  });
  if (!seen) return std::nullopt;
  std::vector<std::string> path;
  for (const k8s::IngressRoute* v : visited) path.push_back(KeyString(*v));
  path.push_back(KeyString(target));
  return path;
}

// Beyond Contour: a delegation tree is bounded, so that no set of objects can exhaust the stack
// (a long chain) or the build's time (delegates that fan out and rejoin are walked per path).
constexpr size_t kMaxDelegationDepth = 64;
constexpr int kMaxDelegationsPerRoot = 10000;

// Walks the routes and tcp proxies reachable from one root, for the root's fqdn.
class DelegationWalker {
 public:
  DelegationWalker(BuildState& state, std::string host) : state_(state), host_(std::move(host)) {}

  // Contour's processRoutes: `prefix` is the match of the route that delegated here ("" at the
  // root). The first invalid route stops the object; routes before it stay programmed.
  void Routes(const k8s::IngressRoute& object, const std::string& prefix, Visited visited,
              bool enforce_tls) {
    visited.push_back(&object);
    for (const k8s::IngressRouteRoute& route : object.routes) {
      if (!route.services.empty() && route.delegate) {
        Invalid(object, irstatus::ServicesAndDelegate(route.match));
        return;
      }
      // Envoy cannot upgrade a connection split across clusters (Contour issue 732).
      if (route.services.size() > 1 && route.enable_websockets) {
        Invalid(object, irstatus::WebsocketsWithManyServices(route.match));
        return;
      }
      if (!route.services.empty()) {
        if (!MatchesPathPrefix(route.match, prefix)) {
          Invalid(object, irstatus::PrefixMismatch(route.match, prefix));
          return;
        }
        std::optional<Route> made =
            IngressRouteServicesRoute(state_, object, route, host_, enforce_tls);
        if (!made) return;
        AddRoute(std::move(*made));
        continue;
      }
      if (!route.delegate) continue;
      const k8s::IngressRoute* target = Target(object, *route.delegate);
      if (target == nullptr) continue;  // a delegate to a missing object is ignored
      if (auto cycle = CyclePath(visited, *target)) {
        Invalid(object, irstatus::RouteCycle(*cycle));
        return;
      }
      if (!WithinLimits(visited)) {
        Invalid(object, irstatus::DelegationTooLarge(kMaxDelegationDepth, kMaxDelegationsPerRoot));
        return;
      }
      Routes(*target, route.match, visited, enforce_tls);
    }
    Valid(object);
  }

  // Contour's processTCPProxy. An object reached by a tcpproxy delegate but without a tcpproxy
  // of its own counts as an empty one (Contour v0.15.3 dereferences null there).
  void TcpProxy(const k8s::IngressRoute& object, Visited visited) {
    visited.push_back(&object);
    if (!object.tcpproxy) return;
    const k8s::TCPProxy& proxy = *object.tcpproxy;
    if (!proxy.services.empty() && proxy.delegate) {
      Invalid(object, irstatus::kTcpProxyServicesAndDelegate);
      return;
    }
    if (!proxy.services.empty()) {
      dag::TcpProxy made;
      for (const k8s::IngressRouteService& service : proxy.services) {
        std::shared_ptr<const Service> upstream = state_.services().LookupTcp(
            {object.metadata.namespace_, service.name}, k8s::IntOrString{false, service.port, ""});
        if (upstream == nullptr) {
          Invalid(object, irstatus::TcpProxyServiceMissing(object.metadata.namespace_, service.name,
                                                           service.port));
          return;
        }
        // Weights are not read for a tcpproxy in v0.15.3: each cluster gets an equal share.
        Cluster cluster;
        cluster.upstream = std::move(upstream);
        cluster.load_balancer_strategy = service.strategy;
        made.clusters.push_back(std::move(cluster));
      }
      state_.HttpsHost(host_).tcp_proxy = std::move(made);
      Valid(object);
      return;
    }
    if (!proxy.delegate) return;
    const k8s::IngressRoute* target = Target(object, *proxy.delegate);
    if (target != nullptr) {
      if (auto cycle = CyclePath(visited, *target)) {
        Invalid(object, irstatus::TcpProxyCycle(*cycle));
        return;
      }
      if (!WithinLimits(visited)) {
        Invalid(object, irstatus::DelegationTooLarge(kMaxDelegationDepth, kMaxDelegationsPerRoot));
        return;
      }
      TcpProxy(*target, visited);
    }
    Valid(object);
  }

 private:
  // Counts one more delegation followed from this root.
  bool WithinLimits(const Visited& visited) {
    return visited.size() < kMaxDelegationDepth && ++delegations_ <= kMaxDelegationsPerRoot;
  }

  // The delegate's object (namespace defaulting to the delegating object's), no longer orphaned;
  // null when it does not exist.
  const k8s::IngressRoute* Target(const k8s::IngressRoute& object, const k8s::Delegate& delegate) {
    ObjectKey key{delegate.namespace_.empty() ? object.metadata.namespace_ : delegate.namespace_,
                  delegate.name};
    auto found = state_.cache().ingress_routes().find(key);
    if (found == state_.cache().ingress_routes().end()) return nullptr;
    state_.ClearOrphaned(key);
    return found->second.get();
  }

  // Port 80 gets the route as made; port 443 always forwards.
  void AddRoute(Route route) {
    const std::string key = VirtualHost::RouteKey(route.match, route.path);
    state_.HttpHost(host_).routes[key] = route;
    route.https_redirect = false;
    state_.HttpsHost(host_).host.routes[key] = std::move(route);
  }

  void Invalid(const k8s::IngressRoute& object, std::string description) {
    irstatus::Set(state_, object, kStatusInvalid, std::move(description), host_);
  }
  void Valid(const k8s::IngressRoute& object) {
    irstatus::Set(state_, object, kStatusValid, irstatus::kValid, host_);
  }

  BuildState& state_;
  const std::string host_;
  int delegations_ = 0;
};

bool RootAllowed(const BuildState& state, const k8s::IngressRoute& root) {
  const std::vector<std::string>& allowed = state.cache().config().root_namespaces;
  return allowed.empty() ||
         std::find(allowed.begin(), allowed.end(), root.metadata.namespace_) != allowed.end();
}

// Contour's validIngressRoutes: the roots whose fqdn no other root uses, in namespace/name
// order. The others are marked invalid; objects without a virtualhost are marked orphaned.
std::vector<const k8s::IngressRoute*> UniqueRoots(BuildState& state) {
  std::map<std::string, std::vector<const k8s::IngressRoute*>> by_fqdn;
  for (const auto& [key, object] : state.cache().ingress_routes()) {
    if (object->virtualhost) {
      by_fqdn[object->virtualhost->fqdn].push_back(object.get());
    } else {
      state.SetOrphaned(key);
    }
  }
  std::vector<const k8s::IngressRoute*> roots;
  for (const auto& [fqdn, users] : by_fqdn) {
    if (users.size() == 1) {
      roots.push_back(users.front());
      continue;
    }
    std::vector<std::string> names;
    for (const k8s::IngressRoute* user : users) names.push_back(KeyString(*user));
    std::sort(names.begin(), names.end());
    for (const k8s::IngressRoute* user : users) {
      irstatus::Set(state, *user, kStatusInvalid, irstatus::FqdnConflict(fqdn, names), fqdn);
    }
  }
  std::sort(roots.begin(), roots.end(), [](const k8s::IngressRoute* a, const k8s::IngressRoute* b) {
    return std::tie(a->metadata.namespace_, a->metadata.name) <
           std::tie(b->metadata.namespace_, b->metadata.name);
  });
  return roots;
}

void ProcessRoot(BuildState& state, const k8s::IngressRoute& root) {
  if (!RootAllowed(state, root)) {
    irstatus::Set(state, root, kStatusInvalid, irstatus::kRootNamespace);
    return;
  }
  const std::string& host = root.virtualhost->fqdn;
  if (absl::StripAsciiWhitespace(host).empty()) {
    irstatus::Set(state, root, kStatusInvalid, irstatus::kFqdnMissing);
    return;
  }
  if (host.find('*') != std::string::npos) {
    irstatus::Set(state, root, kStatusInvalid, irstatus::FqdnWildcard(host), host);
    return;
  }

  bool enforce_tls = false;
  bool passthrough = false;
  if (const std::optional<k8s::TLS>& tls = root.virtualhost->tls) {
    const ObjectKey secret_key = SplitSecretName(tls->secret_name, root.metadata.namespace_);
    std::shared_ptr<const Secret> secret = state.LookupTlsSecret(secret_key);
    if (secret != nullptr && state.DelegationPermitted(secret_key, root.metadata.namespace_)) {
      SecureVirtualHost& vhost = state.HttpsHost(host);
      vhost.secret = secret;
      vhost.min_tls_version = ParseTlsVersion(tls->minimum_protocol_version);
      enforce_tls = true;
    }
    passthrough = absl::StripAsciiWhitespace(tls->secret_name).empty() && tls->passthrough;
    // Processing goes on: the routes are still served on port 80.
    if (secret == nullptr && !passthrough) {
      irstatus::Set(state, root, kStatusInvalid, irstatus::TlsSecretMissing(tls->secret_name));
    }
  }

  DelegationWalker walker(state, host);
  if (root.tcpproxy && (passthrough || enforce_tls)) {
    walker.TcpProxy(root, {});
  } else if (!root.routes.empty()) {
    walker.Routes(root, "", {}, enforce_tls);
  }
}

}  // namespace

void AddIngressRouteVirtualHosts(BuildState& state) {
  for (const k8s::IngressRoute* root : UniqueRoots(state)) ProcessRoot(state, *root);
}

}  // namespace contour::dag
