// The gRPC server that carries the xDS services: binding (port 0 picks a free port), message
// limits and stream limits in one place.
#ifndef CONTOUR_XDS_GRPC_SERVER_H_
#define CONTOUR_XDS_GRPC_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "xds/server.h"

namespace contour::xds {

// Mutual TLS from files: the serving certificate and key, and the CA that client certificates
// must chain to. The files are read again every `reload_interval`, so rotated certificates are
// used by new handshakes while established streams live on.
struct GrpcTlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  absl::Duration reload_interval = absl::Seconds(10);
};

struct GrpcServerOptions {
  std::string address = "127.0.0.1";
  uint32_t port = 8001;                                  // 0: any free port
  std::optional<GrpcTlsFiles> tls;                       // mutual TLS, TLS 1.2 or newer
  std::shared_ptr<grpc::ServerCredentials> credentials;  // otherwise these; null: plaintext
};

// Checks that the files exist, parse as PEM, and that the key belongs to the certificate, so a
// mistake is a clear error at start-up rather than failed handshakes later.
absl::Status CheckTlsFiles(const GrpcTlsFiles& files);
// Credentials that require and verify a client certificate, reloading the files as they change.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(
    const GrpcTlsFiles& files);

class GrpcServer {
 public:
  // Binds and starts serving `xds`, which must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(XdsServer& xds,
                                                           const GrpcServerOptions& options);
  ~GrpcServer();

  int port() const { return port_; }
  // Closes every stream cleanly, then stops, waiting at most `grace` for calls to end.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  GrpcServer(XdsServer& xds, std::unique_ptr<grpc::CallbackGenericService> service,
             std::unique_ptr<grpc::Server> server, int port)
      : xds_(xds), service_(std::move(service)), server_(std::move(server)), port_(port) {}

  XdsServer& xds_;
  // gRPC ties a generic service to the first server it is registered with, for good; so each
  // server gets its own, handing streams to `xds_`, and a port can close and open again.
  std::unique_ptr<grpc::CallbackGenericService> service_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_;
  bool stopped_ = false;
};

}  // namespace contour::xds

#endif  // CONTOUR_XDS_GRPC_SERVER_H_
