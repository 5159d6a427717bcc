// The operator's view of `contour serve`: /metrics, /healthz and /health on --http-address:port
// (Contour's metrics service), and /debug/dag on --debug-http-address:port. Everything shown is
// read from the components when asked (their stats) or left by the last build (BuildRecorder).
#ifndef CONTOUR_SERVER_HTTP_ENDPOINTS_H_
#define CONTOUR_SERVER_HTTP_ENDPOINTS_H_

#include <memory>

#include "absl/status/status.h"
#include "controller/event_loop.h"
#include "k8s/api_client.h"
#include "k8s/status_writer.h"
#include "leadership/leader_elector.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "server/build_recorder.h"
#include "server/kubernetes_source.h"
#include "xds/server.h"

namespace contour::server {

// What the endpoints read. Null members are absent (no Kubernetes, no election); all must
// outlive the HTTP servers and the registry's collection.
struct ObservedComponents {
  const xds::XdsServer* xds = nullptr;
  const controller::EventLoop* loop = nullptr;
  const BuildRecorder* builds = nullptr;
  const leadership::LeaderElector* elector = nullptr;
  const KubernetesSource* kubernetes = nullptr;
  const k8s::StatusWriter* status_writer = nullptr;
  k8s::ApiClient* api = nullptr;  // /healthz asks the API server for its version
};

// Our metrics beyond Contour's: xDS streams, responses and NACKs by type, served versions,
// leadership, watches and status writes; and the process's.
absl::Status RegisterComponentMetrics(metrics::Registry& registry,
                                      const ObservedComponents& components);

// Contour's /healthz: 200 "OK" when the Kubernetes API answers (always without Kubernetes),
// else 503 "Failed Kubernetes Check: <error>"; with leader election the body says whether this
// instance leads ("OK leader" or "OK follower").
metrics::HttpResponse HealthAnswer(const ObservedComponents& components);

// /debug/dag: the last build as Graphviz DOT, clusters named as Envoy sees them.
metrics::HttpResponse DagAnswer(const ObservedComponents& components);

}  // namespace contour::server

#endif  // CONTOUR_SERVER_HTTP_ENDPOINTS_H_
