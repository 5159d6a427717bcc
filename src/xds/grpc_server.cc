#include "xds/grpc_server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace contour::xds {
namespace {

// Requests are small (names), but an EDS subscription to 10,000 clusters is ~0.5 MB: allow
// well beyond that. Responses have no limit on this side (gRPC's default for sending).
constexpr int kMaxReceiveMessageBytes = 64 << 20;
// As Contour: streams are cheap here, one per Envoy and type.
constexpr int kMaxConcurrentStreams = 1 << 20;

class StreamsTo : public grpc::CallbackGenericService {
 public:
  explicit StreamsTo(XdsServer& xds) : xds_(xds) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return xds_.CreateReactor(context);
  }

 private:
  XdsServer& xds_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(XdsServer& xds,
                                                              const GrpcServerOptions& options) {
  grpc::ServerBuilder builder;
  int port = 0;
  const std::string address = options.address.find(':') != std::string::npos
                                  ? absl::StrCat("[", options.address, "]:", options.port)
                                  : absl::StrCat(options.address, ":", options.port);
  std::shared_ptr<grpc::ServerCredentials> credentials = options.credentials;
  if (options.tls.has_value()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
        MutualTlsCredentials(*options.tls);
    if (!tls.ok()) return tls.status();
    credentials = *std::move(tls);
  }
  if (credentials == nullptr) credentials = grpc::InsecureServerCredentials();
  builder.AddListeningPort(address, credentials, &port);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  // Envoy may ping to keep its stream alive through idle periods.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  auto service = std::make_unique<StreamsTo>(xds);
  builder.RegisterCallbackGenericService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for xDS on ", address));
  }
  return std::unique_ptr<GrpcServer>(
      new GrpcServer(xds, std::move(service), std::move(server), port));
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Shutdown(absl::Duration grace) {
  if (stopped_) return;
  stopped_ = true;
  xds_.CloseAllStreams();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

}  // namespace contour::xds
