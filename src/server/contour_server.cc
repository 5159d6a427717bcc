#include "server/contour_server.h"

#include "common/status_macros.h"
#include "k8s/curl_api_client.h"
#include "k8s/rest_config.h"
#include "server/offline_pipeline.h"
#include "spdlog/spdlog.h"

namespace contour::server {
namespace {

// The first build follows the initial load at once; this only bounds a wedged start.
constexpr absl::Duration kFirstBuildTimeout = absl::Minutes(5);

}  // namespace

absl::StatusOr<std::unique_ptr<ContourServer>> ContourServer::Start(
    const config::ServeConfig& config) {
  std::unique_ptr<ContourServer> server(new ContourServer());
  server->xds_ = std::make_unique<xds::XdsServer>();
  absl::Status started = config.manifest_paths.empty() ? server->StartKubernetes(config)
                                                       : server->StartManifests(config);
  if (!started.ok()) {
    server->Stop();
    return started;
  }
  return server;
}

absl::Status ContourServer::StartManifests(const config::ServeConfig& config) {
  publisher_ = std::make_unique<XdsPublisher>(*xds_, TranslateConfigFrom(config));
  controller::EventLoopOptions loop_options;
  loop_options.sources = {ManifestWatcher::kSourceName};
  loop_ = std::make_unique<controller::EventLoop>(
      CacheConfigFrom(config), dag::BuilderConfig{config.disable_permit_insecure}, *publisher_,
      loop_options);
  watcher_ = std::make_unique<ManifestWatcher>(config.manifest_paths, *loop_);
  loop_->SetSecretSupplier(watcher_.get());
  loop_->Start();
  RETURN_IF_ERROR(watcher_->Start());
  if (!loop_->WaitForBuilds(1, kFirstBuildTimeout)) {
    return absl::DeadlineExceededError("the first build did not happen");
  }
  return OpenXdsPort(config);
}

absl::Status ContourServer::StartKubernetes(const config::ServeConfig& config) {
  absl::StatusOr<k8s::RestConfig> rest =
      k8s::ResolveRestConfig(config.in_cluster, config.kubeconfig, config.kube_context);
  if (!rest.ok()) return absl::InvalidArgumentError(rest.status().message());
  spdlog::info("talking to the Kubernetes API at {} ({})", rest->server, rest->source);
  ASSIGN_OR_RETURN(api_, k8s::CurlApiClient::Create(*std::move(rest)));

  k8s::StatusWriterOptions writer_options;
  writer_options.qps = config.kubernetes_client_qps;
  writer_options.burst = config.kubernetes_client_burst;
  status_writer_ = std::make_unique<k8s::StatusWriter>(*api_, writer_options);
  publisher_ =
      std::make_unique<XdsPublisher>(*xds_, TranslateConfigFrom(config), status_writer_.get());
  controller::EventLoopOptions loop_options;
  loop_options.sources = {KubernetesSource::kSourceName};
  loop_ = std::make_unique<controller::EventLoop>(
      CacheConfigFrom(config), dag::BuilderConfig{config.disable_permit_insecure}, *publisher_,
      loop_options);
  KubernetesSourceOptions source_options;
  source_options.secret_namespaces = config.ingressroute_root_namespaces;
  kubernetes_ = std::make_unique<KubernetesSource>(*api_, *loop_, source_options);
  loop_->SetSecretSupplier(kubernetes_.get());
  status_writer_->Start();
  loop_->Start();
  kubernetes_->Start();
  // Nothing is served before every kind has been listed and built once.
  opener_ = std::jthread([this, config](std::stop_token stop) {
    while (!loop_->WaitForBuilds(1, absl::Milliseconds(100))) {
      if (stop.stop_requested()) return;
    }
    if (absl::Status status = OpenXdsPort(config); !status.ok()) {
      spdlog::critical("cannot serve xDS: {}", std::string(status.message()));
    }
  });
  return absl::OkStatus();
}

absl::Status ContourServer::OpenXdsPort(const config::ServeConfig& config) {
  xds::GrpcServerOptions grpc_options;
  grpc_options.address = config.xds_address;
  grpc_options.port = config.xds_port;
  ASSIGN_OR_RETURN(std::unique_ptr<xds::GrpcServer> grpc,
                   xds::GrpcServer::Start(*xds_, grpc_options));
  const int port = grpc->port();
  {
    absl::MutexLock lock(&grpc_mu_);
    grpc_ = std::move(grpc);
  }
  spdlog::info("serving xDS on {}:{}", config.xds_address, port);
  return absl::OkStatus();
}

int ContourServer::xds_port() const {
  absl::MutexLock lock(&grpc_mu_);
  return grpc_ == nullptr ? 0 : grpc_->port();
}

bool ContourServer::WaitForServing(absl::Duration timeout) const {
  absl::MutexLock lock(&grpc_mu_);
  auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(grpc_mu_) { return grpc_ != nullptr; };
  return grpc_mu_.AwaitWithTimeout(absl::Condition(&open), timeout);
}

ContourServer::~ContourServer() { Stop(); }

void ContourServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  opener_.request_stop();
  if (opener_.joinable()) opener_.join();
  if (kubernetes_) kubernetes_->Stop();
  if (watcher_) watcher_->Stop();
  if (loop_) loop_->Stop();
  if (status_writer_) status_writer_->Stop();
  std::unique_ptr<xds::GrpcServer> grpc;
  {
    absl::MutexLock lock(&grpc_mu_);
    grpc = std::move(grpc_);
  }
  if (grpc) grpc->Shutdown();
}

}  // namespace contour::server
