// The composition root of `contour serve`: builds, wires and owns every component (sources,
// event loop, publisher, xDS server) from one validated ServeConfig, and stops them in order.
#ifndef CONTOUR_SERVER_CONTOUR_SERVER_H_
#define CONTOUR_SERVER_CONTOUR_SERVER_H_

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "config/serve_config.h"
#include "controller/event_loop.h"
#include "k8s/api_client.h"
#include "k8s/status_writer.h"
#include "leadership/clock.h"
#include "leadership/leader_elector.h"
#include "leadership/lock.h"
#include "metrics/http_server.h"
#include "metrics/registry.h"
#include "server/build_recorder.h"
#include "server/kubernetes_source.h"
#include "server/manifest_watcher.h"
#include "server/xds_publisher.h"
#include "xds/grpc_server.h"
#include "xds/server.h"

namespace contour::server {

class ContourServer {
 public:
  // Objects come from manifest files when the config names any, else from the Kubernetes API.
  // The xDS port opens only after the first build, so a client never sees a partial
  // configuration: with manifests Start returns with it open (or an error); with Kubernetes it
  // returns at once and the port opens once every watched kind has been listed, which may wait
  // for an API server that is down.
  static absl::StatusOr<std::unique_ptr<ContourServer>> Start(const config::ServeConfig& config);
  ~ContourServer();

  // 0 until the xDS port is open.
  int xds_port() const;
  // The ports of /metrics and /healthz, and of /debug/dag (chosen when the config says 0).
  int http_port() const { return http_ == nullptr ? 0 : http_->port(); }
  int debug_http_port() const { return debug_http_ == nullptr ? 0 : debug_http_->port(); }
  const metrics::Registry& registry() const { return registry_; }
  // Test hook, never sleeps: true once the xDS port is open.
  bool WaitForServing(absl::Duration timeout) const;
  const xds::XdsServer& xds() const { return *xds_; }
  const controller::EventLoop& loop() const { return *loop_; }
  // Null without Kubernetes.
  const KubernetesSource* kubernetes() const { return kubernetes_.get(); }
  const k8s::StatusWriter* status_writer() const { return status_writer_.get(); }

  // Stops watching, closes every xDS stream cleanly and stops serving. Idempotent.
  void Stop();

 private:
  ContourServer() = default;

  absl::Status StartManifests(const config::ServeConfig& config);
  absl::Status StartKubernetes(const config::ServeConfig& config);
  absl::Status StartElection(const config::ServeConfig& config);
  absl::Status OpenXdsPort(const config::ServeConfig& config);
  absl::Status StartHttp(const config::ServeConfig& config);
  // Opens or closes the xDS port as the first build and the leadership now say.
  void UpdateServing();
  void CloseXdsPort();

  // First in, last out: the HTTP servers read everything below through it.
  metrics::Registry registry_;
  std::unique_ptr<BuildRecorder> recorder_;
  std::unique_ptr<xds::XdsServer> xds_;
  std::unique_ptr<k8s::ApiClient> api_;
  std::unique_ptr<k8s::StatusWriter> status_writer_;
  std::unique_ptr<XdsPublisher> publisher_;
  std::unique_ptr<controller::EventLoop> loop_;
  std::unique_ptr<ManifestWatcher> watcher_;
  std::unique_ptr<KubernetesSource> kubernetes_;
  std::unique_ptr<leadership::Lock> lock_;
  std::unique_ptr<leadership::LeaderElector> elector_;
  leadership::RealClock clock_;
  std::jthread opener_;  // Kubernetes: opens the xDS port after the first build
  std::jthread elector_thread_;

  config::ServeConfig config_;
  // Serializes opening and closing the port (the opener and the elector's thread both may).
  absl::Mutex serving_mu_ ABSL_ACQUIRED_BEFORE(grpc_mu_);
  bool built_ ABSL_GUARDED_BY(serving_mu_) = false;
  // Whether this instance may serve xDS: always without election or with --xds-serve-mode=all.
  bool may_serve_ ABSL_GUARDED_BY(serving_mu_) = true;
  bool stopped_serving_ ABSL_GUARDED_BY(serving_mu_) = false;
  mutable absl::Mutex grpc_mu_;
  std::unique_ptr<xds::GrpcServer> grpc_ ABSL_GUARDED_BY(grpc_mu_);
  // Started after everything they read, stopped before it goes.
  std::unique_ptr<metrics::HttpServer> http_;
  std::unique_ptr<metrics::HttpServer> debug_http_;
  bool stopped_ = false;
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_CONTOUR_SERVER_H_
