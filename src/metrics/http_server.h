// A small HTTP/1.1 server for /metrics, /healthz and the debug endpoints, with the limits of
// Contour's internal/httpsvc: read timeout 10 s, write timeout 5 min, request headers of about
// 2 KiB. Routes are GET (and HEAD) on exact paths; anything else is 404. It never writes to
// stdout or stderr.
#ifndef CONTOUR_METRICS_HTTP_SERVER_H_
#define CONTOUR_METRICS_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace contour::metrics {

class Registry;

struct HttpRequest {
  std::string method;                              // "GET" or "HEAD"
  std::string path;                                // without the query
  std::multimap<std::string, std::string> params;  // the decoded query
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Runs on one of the server's worker threads; routes may be called concurrently. An exception
// that escapes it becomes a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpRoute {
  std::string path;  // matched exactly, e.g. "/metrics"
  HttpHandler handler;
};

struct HttpServerOptions {
  std::string address = "0.0.0.0";  // an IPv4 or IPv6 literal or a host name
  int port = 8000;                  // 0: any free port; see HttpServer::port()
  std::vector<HttpRoute> routes;

  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Minutes(5);
  // Go's http.Server counts the request line and headers against MaxHeaderBytes (Contour: 2 KiB)
  // and allows 4096 bytes more before answering 431; so does this server. Independently,
  // httplib 0.11 (as built) refuses any one header line over 8 KiB.
  size_t max_header_bytes = 2048;
  // Requests here carry no body; a larger one is refused with 413.
  size_t max_body_bytes = 64 * 1024;
  // An idle keep-alive connection is closed after this long. httplib 0.11 cannot interrupt that
  // wait, so Shutdown may take up to this long when a client holds a connection open.
  absl::Duration keep_alive_timeout = absl::Seconds(1);
  int worker_threads = 4;
};

class HttpServer {
 public:
  // Binds and starts serving on a thread of its own. Errors: InvalidArgument for bad options
  // (no route handler, a path not starting with '/', a path twice, non-positive limits);
  // Unavailable naming address:port when the port cannot be bound (e.g. in use).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options);
  ~HttpServer();  // Shutdown()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port: options.port, or the one chosen when that was 0.
  int port() const { return port_; }

  // Stops accepting, lets requests in flight finish, closes idle connections (within
  // keep_alive_timeout) and joins every thread. Idempotent and safe from any thread but a
  // handler's.
  void Shutdown();

 private:
  explicit HttpServer(HttpServerOptions options);

  const HttpServerOptions options_;
  const std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;  // runs httplib's accept loop, which owns the worker pool
  std::atomic<bool> listen_returned_{false};
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

// A route serving registry.Render() in the Prometheus text format. `registry` must outlive the
// server.
HttpRoute MetricsRoute(const Registry& registry, std::string path = "/metrics");

}  // namespace contour::metrics

#endif  // CONTOUR_METRICS_HTTP_SERVER_H_
