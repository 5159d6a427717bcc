// The whole pipeline run once over a set of objects: cache → DAG → Envoy resources. Used by
// `contour translate`, the golden tests, the fuzzer and the benchmarks.
#ifndef CONTOUR_SERVER_OFFLINE_PIPELINE_H_
#define CONTOUR_SERVER_OFFLINE_PIPELINE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "config/serve_config.h"
#include "dag/cache.h"
#include "dag/dag.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "k8s/objects.h"
#include "translate/translate.h"

namespace contour::server {

struct Rendered {
  translate::Resources resources;
  std::vector<envoy::config::endpoint::v3::ClusterLoadAssignment> endpoints;
  std::vector<dag::Status> statuses;
  // Objects left out for reasons the user should hear of (e.g. a TLS secret with bad PEM).
  std::vector<std::string> warnings;
};

// The configuration each stage takes, derived from the one validated ServeConfig.
dag::CacheConfig CacheConfigFrom(const config::ServeConfig& config);
translate::TranslateConfig TranslateConfigFrom(const config::ServeConfig& config);

// Where a Render's time went, for the benchmarks.
struct RenderTimings {
  absl::Duration cache;      // inserting every object into the KubernetesCache
  absl::Duration build;      // dag::Build
  absl::Duration translate;  // translate::Translate and TranslateEndpoints
};

Rendered Render(const std::vector<k8s::Object>& objects, const config::ServeConfig& config,
                RenderTimings* timings = nullptr);

}  // namespace contour::server

#endif  // CONTOUR_SERVER_OFFLINE_PIPELINE_H_
