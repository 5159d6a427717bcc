// The composition root of `contour serve`: builds, wires and owns every component (sources,
// event loop, publisher, xDS server) from one validated ServeConfig, and stops them in order.
#ifndef CONTOUR_SERVER_CONTOUR_SERVER_H_
#define CONTOUR_SERVER_CONTOUR_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "config/serve_config.h"
#include "controller/event_loop.h"
#include "server/manifest_watcher.h"
#include "server/xds_publisher.h"
#include "xds/grpc_server.h"
#include "xds/server.h"

namespace contour::server {

class ContourServer {
 public:
  // Loads the sources, waits for the first build, then opens the xDS port: a client never sees
  // a partial configuration.
  static absl::StatusOr<std::unique_ptr<ContourServer>> Start(const config::ServeConfig& config);
  ~ContourServer();

  int xds_port() const { return grpc_->port(); }
  const xds::XdsServer& xds() const { return *xds_; }
  const controller::EventLoop& loop() const { return *loop_; }

  // Stops watching, closes every xDS stream cleanly and stops serving. Idempotent.
  void Stop();

 private:
  ContourServer() = default;

  std::unique_ptr<xds::XdsServer> xds_;
  std::unique_ptr<XdsPublisher> publisher_;
  std::unique_ptr<controller::EventLoop> loop_;
  std::unique_ptr<ManifestWatcher> watcher_;
  std::unique_ptr<xds::GrpcServer> grpc_;
  bool stopped_ = false;
};

}  // namespace contour::server

#endif  // CONTOUR_SERVER_CONTOUR_SERVER_H_
