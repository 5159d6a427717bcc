#include "server/contour_server.h"

#include "server/offline_pipeline.h"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

// The first build follows the initial load at once; this only bounds a wedged start.
constexpr absl::Duration kFirstBuildTimeout = absl::Minutes(5);

}  // namespace

absl::StatusOr<std::unique_ptr<ContourServer>> ContourServer::Start(
    const config::ServeConfig& config) {
  if (config.manifest_paths.empty()) {
    return absl::InvalidArgumentError(
        "no source of objects: give --manifests FILE|DIR (watching the Kubernetes API is not "
        "available yet)");
  }
  std::unique_ptr<ContourServer> server(new ContourServer());
  server->xds_ = std::make_unique<xds::XdsServer>();
  server->publisher_ = std::make_unique<XdsPublisher>(*server->xds_, TranslateConfigFrom(config));
  controller::EventLoopOptions loop_options;
  loop_options.sources = {ManifestWatcher::kSourceName};
  server->loop_ = std::make_unique<controller::EventLoop>(
      CacheConfigFrom(config), dag::BuilderConfig{config.disable_permit_insecure},
      *server->publisher_, loop_options);
  server->watcher_ = std::make_unique<ManifestWatcher>(config.manifest_paths, *server->loop_);
  server->loop_->SetSecretSupplier(server->watcher_.get());
  server->loop_->Start();
  if (absl::Status status = server->watcher_->Start(); !status.ok()) {
    server->Stop();
    return status;
  }
  if (!server->loop_->WaitForBuilds(1, kFirstBuildTimeout)) {
    server->Stop();
    return absl::DeadlineExceededError("the first build did not happen");
  }
  xds::GrpcServerOptions grpc_options;
  grpc_options.address = config.xds_address;
  grpc_options.port = config.xds_port;
  absl::StatusOr<std::unique_ptr<xds::GrpcServer>> grpc =
      xds::GrpcServer::Start(*server->xds_, grpc_options);
  if (!grpc.ok()) {
    server->Stop();
    return grpc.status();
  }
  server->grpc_ = std::move(*grpc);
  spdlog::info("serving xDS on {}:{}", config.xds_address, server->grpc_->port());
  return server;
}

ContourServer::~ContourServer() { Stop(); }

void ContourServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (watcher_) watcher_->Stop();
  if (loop_) loop_->Stop();
  if (grpc_) grpc_->Shutdown();
}

}  // namespace contour::server
