#include "server/offline_pipeline.h"

#include <map>
#include <string>
#include <variant>

#include "absl/time/clock.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "dag/secret_validation.h"

namespace contour::server {

dag::CacheConfig CacheConfigFrom(const config::ServeConfig& config) {
  dag::CacheConfig cache;
  cache.ingress_class = config.ingress_class_name;
  cache.root_namespaces = config.ingressroute_root_namespaces;
  return cache;
}

translate::TranslateConfig TranslateConfigFrom(const config::ServeConfig& config) {
  translate::TranslateConfig out;
  out.http_address = config.envoy_http_address;
  out.http_port = config.envoy_http_port;
  out.https_address = config.envoy_https_address;
  out.https_port = config.envoy_https_port;
  out.stats_address = config.stats_address;
  out.stats_port = config.stats_port;
  out.http_access_log = config.envoy_http_access_log;
  out.https_access_log = config.envoy_https_access_log;
  out.use_proxy_protocol = config.use_proxy_protocol;
  out.min_tls_version = config.min_tls_version;
  return out;
}

namespace {

// Contour logs TLS and CA secrets that fail validation; other secrets are not its business.
void WarnIfUnusable(const k8s::Secret& secret, std::vector<std::string>& warnings) {
  const bool tls_or_ca =
      secret.type == dag::kSecretTypeTls || secret.data.count(dag::kCaCertKey) > 0;
  if (!tls_or_ca) return;
  absl::Status status = dag::ValidateSecret(secret);
  if (status.ok()) return;
  warnings.push_back("Secret " + secret.metadata.namespace_ + "/" + secret.metadata.name + ": " +
                     std::string(status.message()) + "; ignored");
}

}  // namespace

Rendered Render(const std::vector<k8s::Object>& objects, const config::ServeConfig& config,
                RenderTimings* timings) {
  absl::Time start = absl::Now();
  auto lap = [&](absl::Duration RenderTimings::*phase) {
    const absl::Time now = absl::Now();
    if (timings != nullptr) timings->*phase = now - start;
    start = now;
  };
  dag::KubernetesCache cache(CacheConfigFrom(config));
  Rendered rendered;
  std::map<dag::ObjectKey, const k8s::Secret*> secrets;
  std::vector<const k8s::Endpoints*> endpoints;
  for (const k8s::Object& object : objects) {
    if (const auto* secret = std::get_if<k8s::Secret>(&object)) {
      secrets[{secret->metadata.namespace_, secret->metadata.name}] = secret;
      WarnIfUnusable(*secret, rendered.warnings);
    } else if (const auto* eps = std::get_if<k8s::Endpoints>(&object)) {
      endpoints.push_back(eps);
      continue;  // the cache ignores Endpoints: spare the copy
    }
    cache.Insert(object);
  }
  // The cache keeps no payload of a Secret that nothing referenced when it arrived: hand back
  // the ones that became referenced later.
  for (const dag::ObjectKey& key : cache.SecretsWanted()) {
    auto it = secrets.find(key);
    if (it != secrets.end()) cache.Insert(*it->second);
  }
  lap(&RenderTimings::cache);

  dag::BuilderConfig builder_config;
  builder_config.disable_permit_insecure = config.disable_permit_insecure;
  dag::Dag dag = dag::Build(cache, builder_config);
  lap(&RenderTimings::build);

  rendered.resources = translate::Translate(dag, TranslateConfigFrom(config));
  rendered.endpoints = translate::TranslateEndpoints(endpoints);
  rendered.statuses = std::move(dag.statuses);
  lap(&RenderTimings::translate);
  return rendered;
}

}  // namespace contour::server
