#include "dag/ingressroute_processor.h"

#include <algorithm>
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
  DelegationWalker(BuildState& state, const std::string& host) : state_(state), host_(host) {}

  // Contour's processRoutes: `prefix` is the match of the route that delegated here ("" at the
  // root). The first invalid route stops the object; routes before it stay programmed.
  void Routes(const k8s::IngressRoute& object, const std::string& prefix, bool enforce_tls) {
    visited_.push_back(&object);
    RoutesOf(object, prefix, enforce_tls);
    visited_.pop_back();
  }

  // Contour's processTCPProxy. An object reached by a tcpproxy delegate but without a tcpproxy
  // of its own counts as an empty one (Contour v0.15.3 dereferences null there).
  void TcpProxy(const k8s::IngressRoute& object) {
    visited_.push_back(&object);
    TcpProxyOf(object);
    visited_.pop_back();
  }

 private:
  // Routes and TcpProxy with `object` already the last of visited_.
  void RoutesOf(const k8s::IngressRoute& object, const std::string& prefix, bool enforce_tls) {
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
      if (auto cycle = CyclePath(visited_, *target)) {
        Invalid(object, irstatus::RouteCycle(*cycle));
        return;
      }
      if (!WithinLimits()) {
        Invalid(object, irstatus::DelegationTooLarge(kMaxDelegationDepth, kMaxDelegationsPerRoot));
        return;
      }
      Routes(*target, route.match, enforce_tls);
    }
    Valid(object);
  }

  void TcpProxyOf(const k8s::IngressRoute& object) {
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
      if (auto cycle = CyclePath(visited_, *target)) {
        Invalid(object, irstatus::TcpProxyCycle(*cycle));
        return;
      }
      if (!WithinLimits()) {
        Invalid(object, irstatus::DelegationTooLarge(kMaxDelegationDepth, kMaxDelegationsPerRoot));
        return;
      }
      TcpProxy(*target);
    }
    Valid(object);
  }

  // Counts one more delegation followed from this root.
  bool WithinLimits() {
    return visited_.size() < kMaxDelegationDepth && ++delegations_ <= kMaxDelegationsPerRoot;
  }

  // The delegate's object (namespace defaulting to the delegating object's), no longer orphaned;
  // null when it does not exist.
  const k8s::IngressRoute* Target(const k8s::IngressRoute& object, const k8s::Delegate& delegate) {
    const ObjectKey key{
        delegate.namespace_.empty() ? object.metadata.namespace_ : delegate.namespace_,
        delegate.name};
    auto found = state_.cache().ingress_routes().find(key);
    if (found == state_.cache().ingress_routes().end()) return nullptr;
    state_.MarkDelegated(*found->second);
    return found->second.get();
  }

  // Port 80 gets the route as made; port 443 always forwards. Only a host with TLS (a secret
  // from this root or from an Ingress) has a port-443 vhost by now: one made here would serve
  // nothing and Finish would drop it.
  void AddRoute(Route route) {
    const std::string key = VirtualHost::RouteKey(route.match, route.path);
    if (state_.SecureHostExists(host_)) {
      Route secure = route;
      secure.https_redirect = false;
      state_.HttpsHost(host_).host.routes[key] = std::move(secure);
    }
    state_.HttpHost(host_).routes[key] = std::move(route);
  }

  void Invalid(const k8s::IngressRoute& object, std::string description) {
    irstatus::Set(state_, object, kStatusInvalid, std::move(description), host_);
  }
  void Valid(const k8s::IngressRoute& object) {
    irstatus::Set(state_, object, kStatusValid, irstatus::kValid, host_);
  }

  BuildState& state_;
  const std::string& host_;
  Visited visited_;  // the delegation path from the root to the object being walked
  int delegations_ = 0;
};

bool RootAllowed(const BuildState& state, const k8s::IngressRoute& root) {
  const std::vector<std::string>& allowed = state.cache().config().root_namespaces;
  return allowed.empty() ||
         std::find(allowed.begin(), allowed.end(), root.metadata.namespace_) != allowed.end();
}

// Contour's validIngressRoutes: the roots whose fqdn no other root uses, in namespace/name
// order. The others are marked invalid.
std::vector<const k8s::IngressRoute*> UniqueRoots(BuildState& state) {
  std::vector<const k8s::IngressRoute*> candidates;  // in namespace/name order, as the cache
  for (const auto& [key, object] : state.cache().ingress_routes()) {
    if (object->virtualhost) candidates.push_back(object.get());
  }
  auto fqdn_of = [](const k8s::IngressRoute* route) -> const std::string& {
    return route->virtualhost->fqdn;
  };
  // Grouped by fqdn, each group still in namespace/name order.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const auto* a, const auto* b) { return fqdn_of(a) < fqdn_of(b); });
  std::vector<const k8s::IngressRoute*> roots;
  for (auto first = candidates.begin(); first != candidates.end();) {
    const std::string& fqdn = fqdn_of(*first);
    auto last = std::find_if(first, candidates.end(),
                             [&](const auto* route) { return fqdn_of(route) != fqdn; });
    if (last - first == 1) {
      roots.push_back(*first);
    } else {
      std::vector<std::string> names;
      for (auto user = first; user != last; ++user) names.push_back(KeyString(**user));
      std::sort(names.begin(), names.end());
      for (auto user = first; user != last; ++user) {
        irstatus::Set(state, **user, kStatusInvalid, irstatus::FqdnConflict(fqdn, names), fqdn);
      }
    }
    first = last;
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
    walker.TcpProxy(root);
  } else if (root.routes_given || !root.routes.empty()) {
    walker.Routes(root, "", enforce_tls);
  }
}

}  // namespace

void AddIngressRouteVirtualHosts(BuildState& state) {
  for (const k8s::IngressRoute* root : UniqueRoots(state)) ProcessRoot(state, *root);
}

}  // namespace contour::dag
