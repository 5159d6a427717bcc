#include "dag/ingressroute_route.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "common/go_duration.h"
#include "dag/annotations.h"
#include "dag/ingressroute_status.h"
#include "dag/secret_validation.h"

namespace contour::dag {
namespace {

constexpr char kRetryOn5xx[] = "5xx";

// A user's count as an unsigned 32-bit value: negative is unset (0), too large is clamped.
uint32_t Count(int64_t value) {
  return static_cast<uint32_t>(std::clamp<int64_t>(value, 0, std::numeric_limits<uint32_t>::max()));
}

// The upstream validation of `service` when its port speaks TLS (Contour's
// lookupUpstreamValidation): the CA comes from ca.crt of a secret in the IngressRoute's
// namespace. A missing CA or subject name records the object's status and yields none.
std::optional<UpstreamValidation> Validation(BuildState& state, const k8s::IngressRoute& object,
                                             const k8s::IngressRouteRoute& route,
                                             const k8s::IngressRouteService& service,
                                             const std::string& host) {
  if (!service.validation) return std::nullopt;
  const k8s::UpstreamValidation& wanted = *service.validation;
  const k8s::Secret* ca = state.LookupCaSecret({object.metadata.namespace_, wanted.ca_secret});
  if (ca == nullptr) {
    irstatus::Set(state, object, kStatusInvalid,
                  irstatus::ValidationSecretMissing(route.match, service.name), host);
    return std::nullopt;
  }
  if (wanted.subject_name.empty()) {
    irstatus::Set(state, object, kStatusInvalid,
                  irstatus::ValidationSubjectMissing(route.match, service.name), host);
    return std::nullopt;
  }
  return UpstreamValidation{wanted.ca_secret, ca->data.at(kCaCertKey), wanted.subject_name};
}

}  // namespace

bool MatchesPathPrefix(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (path.empty()) return false;
  std::string with_slash_path(path);
  std::string with_slash_prefix(prefix);
  if (with_slash_prefix.back() != '/') with_slash_prefix += '/';
  if (with_slash_path.back() != '/') with_slash_path += '/';
  return absl::StartsWith(with_slash_path, with_slash_prefix);
}

HealthCheck IngressRouteHealthCheck(const k8s::HealthCheck& check) {
  HealthCheck out;  // carries the defaults
  out.path = check.path;
  if (!check.host.empty()) out.host = check.host;
  out.given_interval_seconds = std::max<int64_t>(check.interval_seconds, 0);
  out.given_timeout_seconds = std::max<int64_t>(check.timeout_seconds, 0);
  out.given_unhealthy_threshold = Count(check.unhealthy_threshold_count);
  out.given_healthy_threshold = Count(check.healthy_threshold_count);
  // Contour replaces only 0; a negative value here would make Envoy reject the cluster, so it
  // gets the default too.
  if (out.given_interval_seconds > 0) out.interval_seconds = out.given_interval_seconds;
  if (out.given_timeout_seconds > 0) out.timeout_seconds = out.given_timeout_seconds;
  if (out.given_unhealthy_threshold > 0) out.unhealthy_threshold = out.given_unhealthy_threshold;
  if (out.given_healthy_threshold > 0) out.healthy_threshold = out.given_healthy_threshold;
  return out;
}

std::optional<RetryPolicy> IngressRouteRetryPolicy(const std::optional<k8s::RetryPolicy>& policy) {
  if (!policy) return std::nullopt;
  RetryPolicy out;
  out.retry_on = kRetryOn5xx;
  out.num_retries = std::max<uint32_t>(1, Count(policy->count));
  absl::StatusOr<absl::Duration> per_try = ParseGoDuration(policy->per_try_timeout);
  if (per_try.ok() && *per_try > absl::ZeroDuration()) out.per_try_timeout = *per_try;
  return out;
}

Timeout IngressRouteTimeout(const std::optional<k8s::TimeoutPolicy>& policy) {
  return policy ? ParseTimeout(policy->request) : Timeout{};
}

std::optional<Route> IngressRouteServicesRoute(BuildState& state, const k8s::IngressRoute& object,
                                               const k8s::IngressRouteRoute& route,
                                               const std::string& host, bool enforce_tls) {
  const bool permit_insecure = route.permit_insecure && !state.config().disable_permit_insecure;
  Route out;
  out.path = route.match;
  out.websocket = route.enable_websockets;
  out.https_redirect = enforce_tls && !permit_insecure;
  out.prefix_rewrite = route.prefix_rewrite;
  out.timeout = IngressRouteTimeout(route.timeout_policy);
  out.retry = IngressRouteRetryPolicy(route.retry_policy);
  for (const k8s::IngressRouteService& service : route.services) {
    if (service.port < 1 || service.port > 65535) {
      irstatus::Set(state, object, kStatusInvalid, irstatus::PortRange(route.match, service.name),
                    host);
      return std::nullopt;
    }
    if (service.weight < 0) {
      irstatus::Set(state, object, kStatusInvalid,
                    irstatus::NegativeWeight(route.match, service.name), host);
      return std::nullopt;
    }
    std::shared_ptr<const Service> upstream = state.services().LookupHttp(
        {object.metadata.namespace_, service.name}, k8s::IntOrString{false, service.port, ""});
    if (upstream == nullptr) {
      // Contour leaves the vhost out of this one.
      irstatus::Set(state, object, kStatusInvalid,
                    irstatus::ServiceMissing(service.name, service.port));
      return std::nullopt;
    }
    Cluster cluster;
    cluster.upstream = upstream;
    cluster.weight = Count(service.weight);
    cluster.load_balancer_strategy = service.strategy;
    if (service.health_check) cluster.health_check = IngressRouteHealthCheck(*service.health_check);
    // Only a TLS upstream can be verified.
    if (upstream->protocol == UpstreamProtocol::kTls) {
      cluster.validation = Validation(state, object, route, service, host);
    }
    out.clusters.push_back(std::move(cluster));
  }
  return out;
}

}  // namespace contour::dag
