#include "server/contour_server.h"

#include "common/status_macros.h"
#include "k8s/curl_api_client.h"
#include "k8s/rest_config.h"
#include "leadership/identity.h"
#include "server/http_endpoints.h"
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
  absl::StatusOr<std::unique_ptr<BuildRecorder>> recorder =
      BuildRecorder::Create(server->registry_);
  if (!recorder.ok()) return recorder.status();
  server->recorder_ = *std::move(recorder);
  absl::Status started = config.manifest_paths.empty() ? server->StartKubernetes(config)
                                                       : server->StartManifests(config);
  if (!started.ok()) {
    server->Stop();
    return started;
  }
  return server;
}

absl::Status ContourServer::StartManifests(const config::ServeConfig& config) {
  if (config.leader_election.enabled) {
    spdlog::warn("leader election needs the Kubernetes API: with --manifests it is off");
  }
  publisher_ = std::make_unique<XdsPublisher>(*xds_, TranslateConfigFrom(config));
  publisher_->SetRecorder(recorder_.get());
  controller::EventLoopOptions loop_options;
  loop_options.sources = {ManifestWatcher::kSourceName};
  loop_ = std::make_unique<controller::EventLoop>(
      CacheConfigFrom(config), dag::BuilderConfig{config.disable_permit_insecure}, *publisher_,
      loop_options);
  watcher_ = std::make_unique<ManifestWatcher>(config.manifest_paths, *loop_);
  loop_->SetSecretSupplier(watcher_.get());
  // Listening before anything is served: an instance always has its HTTP ports while it lives.
  RETURN_IF_ERROR(StartHttp(config));
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
  publisher_->SetRecorder(recorder_.get());
  controller::EventLoopOptions loop_options;
  loop_options.sources = {KubernetesSource::kSourceName};
  loop_ = std::make_unique<controller::EventLoop>(
      CacheConfigFrom(config), dag::BuilderConfig{config.disable_permit_insecure}, *publisher_,
      loop_options);
  KubernetesSourceOptions source_options;
  source_options.secret_namespaces = config.ingressroute_root_namespaces;
  kubernetes_ = std::make_unique<KubernetesSource>(*api_, *loop_, source_options);
  loop_->SetSecretSupplier(kubernetes_.get());
  config_ = config;
  if (config.leader_election.enabled) RETURN_IF_ERROR(StartElection(config));
  RETURN_IF_ERROR(StartHttp(config));
  status_writer_->Start();
  loop_->Start();
  kubernetes_->Start();
  // Nothing is served before every kind has been listed and built once.
  opener_ = std::jthread([this](std::stop_token stop) {
    while (!loop_->WaitForBuilds(1, absl::Milliseconds(100))) {
      if (stop.stop_requested()) return;
    }
    {
      absl::MutexLock lock(&serving_mu_);
      built_ = true;
    }
    UpdateServing();
  });
  return absl::OkStatus();
}

absl::Status ContourServer::StartElection(const config::ServeConfig& config) {
  const config::LeaderElectionConfig& election = config.leader_election;
  const std::string identity = leadership::IdentityFromEnvironment();
  lock_ = election.lock == "leases"
              ? leadership::MakeLeaseLock(*api_, election.namespace_, election.name, identity)
              : leadership::MakeConfigMapLock(*api_, election.namespace_, election.name, identity);
  leadership::ElectorConfig elector_config;
  elector_config.lease_duration = election.lease_duration;
  elector_config.renew_deadline = election.renew_deadline;
  elector_config.retry_period = election.retry_period;
  leadership::LeaderCallbacks callbacks;
  callbacks.on_started_leading = [this] {
    spdlog::info("leading: writing IngressRoute status{}",
                 config_.xds_serve_mode == "all" ? "" : " and serving xDS");
    {
      absl::MutexLock lock(&serving_mu_);
      may_serve_ = true;
    }
    status_writer_->SetWriting(true);  // writes what the latest build wants
    UpdateServing();
  };
  callbacks.on_stopped_leading = [this] {
    // Before anything else: another may take the lock as soon as this returns.
    status_writer_->SetWriting(false);
    {
      absl::MutexLock lock(&serving_mu_);
      may_serve_ = config_.xds_serve_mode == "all";
    }
    UpdateServing();
    spdlog::warn("not leading: IngressRoute status writes stopped{}",
                 config_.xds_serve_mode == "all" ? "" : ", xDS port closed");
  };
  ASSIGN_OR_RETURN(elector_, leadership::LeaderElector::Create(*lock_, clock_, elector_config,
                                                               std::move(callbacks)));
  status_writer_->SetWriting(false);
  {
    absl::MutexLock lock(&serving_mu_);
    may_serve_ = config.xds_serve_mode == "all";
  }
  spdlog::info("leader election on {} as {} ({}s lease, {}s renew deadline, {}s retry)",
               lock_->Describe(), identity, absl::ToDoubleSeconds(election.lease_duration),
               absl::ToDoubleSeconds(election.renew_deadline),
               absl::ToDoubleSeconds(election.retry_period));
  elector_thread_ = std::jthread([this](std::stop_token stop) { elector_->Run(stop); });
  return absl::OkStatus();
}

void ContourServer::UpdateServing() {
  absl::MutexLock lock(&serving_mu_);
  const bool want = built_ && may_serve_ && !stopped_serving_;
  bool open = false;
  {
    absl::MutexLock grpc_lock(&grpc_mu_);
    open = grpc_ != nullptr;
  }
  if (want && !open) {
    if (absl::Status status = OpenXdsPort(config_); !status.ok()) {
      spdlog::critical("cannot serve xDS: {}", std::string(status.message()));
    }
  } else if (!want && open) {
    CloseXdsPort();
  }
}

void ContourServer::CloseXdsPort() {
  std::unique_ptr<xds::GrpcServer> grpc;
  {
    absl::MutexLock lock(&grpc_mu_);
    grpc = std::move(grpc_);
  }
  if (grpc == nullptr) return;
  grpc->Shutdown(absl::Milliseconds(500));  // streams end with UNAVAILABLE at once
  spdlog::info("xDS port closed");
}

absl::Status ContourServer::OpenXdsPort(const config::ServeConfig& config) {
  xds_->ReopenStreams();
  xds::GrpcServerOptions grpc_options;
  grpc_options.address = config.xds_address;
  grpc_options.port = config.xds_port;
  // As Contour: --insecure serves plaintext even when the files are given.
  const bool tls = !config.insecure && !config.ca_file.empty();
  if (tls) {
    grpc_options.tls = xds::GrpcTlsFiles{config.ca_file, config.cert_file, config.key_file,
                                         config.tls_reload_interval};
  }
  xds_->WithholdSecretsFromUnauthenticatedPeers(tls);
  ASSIGN_OR_RETURN(std::unique_ptr<xds::GrpcServer> grpc,
                   xds::GrpcServer::Start(*xds_, grpc_options));
  const int port = grpc->port();
  {
    absl::MutexLock lock(&grpc_mu_);
    grpc_ = std::move(grpc);
  }
  spdlog::info("serving xDS on {}:{}{}", config.xds_address, port,
               tls ? " (mutual TLS)" : " (plaintext: --insecure)");
  return absl::OkStatus();
}

absl::Status ContourServer::StartHttp(const config::ServeConfig& config) {
  ObservedComponents components;
  components.xds = xds_.get();
  components.loop = loop_.get();
  components.builds = recorder_.get();
  components.elector = elector_.get();
  components.kubernetes = kubernetes_.get();
  components.status_writer = status_writer_.get();
  components.api = api_.get();
  RETURN_IF_ERROR(RegisterComponentMetrics(registry_, components));

  metrics::HttpServerOptions http;
  http.address = config.http_address;
  http.port = static_cast<int>(config.http_port);
  http.routes.push_back(metrics::MetricsRoute(registry_));
  for (const char* path : {"/healthz", "/health"}) {
    http.routes.push_back(
        {path, [components](const metrics::HttpRequest&) { return HealthAnswer(components); }});
  }
  ASSIGN_OR_RETURN(http_, metrics::HttpServer::Start(std::move(http)));
  spdlog::info("serving /metrics and /healthz on {}:{}", config.http_address, http_->port());

  metrics::HttpServerOptions debug;
  debug.address = config.debug_http_address;
  debug.port = static_cast<int>(config.debug_http_port);
  debug.routes.push_back(
      {"/debug/dag", [components](const metrics::HttpRequest&) { return DagAnswer(components); }});
  ASSIGN_OR_RETURN(debug_http_, metrics::HttpServer::Start(std::move(debug)));
  spdlog::info("serving /debug/dag on {}:{}", config.debug_http_address, debug_http_->port());
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
  if (debug_http_) debug_http_->Shutdown();
  if (http_) http_->Shutdown();
  opener_.request_stop();
  if (opener_.joinable()) opener_.join();
  {
    absl::MutexLock lock(&serving_mu_);
    stopped_serving_ = true;
  }
  // Stops leading (port closed, status writes off) and releases the lock, so that another
  // instance takes over within about one retry period.
  elector_thread_.request_stop();
  if (elector_thread_.joinable()) elector_thread_.join();
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
