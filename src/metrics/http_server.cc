#include "metrics/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <set>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "metrics/registry.h"
#include "metrics/text_format.h"

namespace contour::metrics {
namespace {

// Go's http.Server reads up to MaxHeaderBytes plus this much before it answers 431.
constexpr size_t kGoHeaderSlackBytes = 4096;
constexpr char kPlainText[] = "text/plain; charset=utf-8";

std::string HostPort(const std::string& address, int port) {
  if (address.find(':') != std::string::npos) return absl::StrCat("[", address, "]:", port);
  return absl::StrCat(address, ":", port);
}

// The request line and headers as they came on the wire, CRLFs included.
size_t HeaderBytes(const httplib::Request& req) {
  size_t bytes = req.method.size() + 1 + req.target.size() + 1 + req.version.size() + 2;
  for (const auto& [name, value] : req.headers) bytes += name.size() + 2 + value.size() + 2;
  return bytes;
}

// httplib matches routes as std::regex; ours are exact paths.
std::string EscapeRegex(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// (seconds, microseconds) as httplib takes timeouts.
std::pair<time_t, time_t> SecondsAndMicros(absl::Duration d) {
  const int64_t micros = absl::ToInt64Microseconds(d);
  return {static_cast<time_t>(micros / 1000000), static_cast<time_t>(micros % 1000000)};
}

absl::Status Validate(const HttpServerOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", options.port, " out of range"));
  }
  if (options.address.empty()) return absl::InvalidArgumentError("empty listen address");
  if (options.read_timeout <= absl::ZeroDuration() ||
      options.write_timeout <= absl::ZeroDuration() ||
      options.keep_alive_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  if (options.max_header_bytes == 0 || options.worker_threads <= 0) {
    return absl::InvalidArgumentError("max_header_bytes and worker_threads must be positive");
  }
  std::set<std::string_view> paths;
  for (const HttpRoute& route : options.routes) {
    if (route.path.empty() || route.path.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("route path \"", route.path, "\" does not start with '/'"));
    }
    if (!route.handler) {
      return absl::InvalidArgumentError(absl::StrCat("route ", route.path, " has no handler"));
    }
    if (!paths.insert(route.path).second) {
      return absl::InvalidArgumentError(absl::StrCat("route ", route.path, " given twice"));
    }
  }
  return absl::OkStatus();
}

HttpResponse CallHandler(const HttpHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (...) {  // nothing may escape into httplib's worker
    return HttpResponse{500, kPlainText, "internal server error\n"};
  }
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {}

HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options) {
  if (absl::Status status = Validate(options); !status.ok()) return status;
  auto server = std::unique_ptr<HttpServer>(new HttpServer(std::move(options)));
  const HttpServerOptions& o = server->options_;
  httplib::Server& s = *server->server_;

  const auto [read_s, read_us] = SecondsAndMicros(o.read_timeout);
  const auto [write_s, write_us] = SecondsAndMicros(o.write_timeout);
  s.set_read_timeout(read_s, read_us);
  s.set_write_timeout(write_s, write_us);
  // httplib counts keep-alive in whole seconds.
  const int64_t keep_alive_s =
      absl::ToInt64Seconds(absl::Ceil(o.keep_alive_timeout, absl::Seconds(1)));
  s.set_keep_alive_timeout(static_cast<time_t>(std::max<int64_t>(1, keep_alive_s)));
  s.set_payload_max_length(o.max_body_bytes);
  const size_t workers = static_cast<size_t>(o.worker_threads);
  s.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  // httplib's default also sets SO_REUSEPORT, which would let a second server share the port
  // silently; SO_REUSEADDR alone (what Go sets) still allows a quick restart.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  const size_t header_limit = o.max_header_bytes + kGoHeaderSlackBytes;
  s.set_pre_routing_handler([header_limit](const httplib::Request& req, httplib::Response& res) {
    if (HeaderBytes(req) <= header_limit) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 431;
    res.set_content("431 Request Header Fields Too Large\n", kPlainText);
    return httplib::Server::HandlerResponse::Handled;
  });
  for (const HttpRoute& route : o.routes) {
    s.Get(EscapeRegex(route.path),
          [handler = &route.handler](const httplib::Request& req, httplib::Response& res) {
            HttpRequest request{req.method, req.path, {req.params.begin(), req.params.end()}};
            HttpResponse response = CallHandler(*handler, request);
            res.status = response.status;
            res.set_content(response.body, response.content_type);
          });
  }
  // Unknown paths get Go's 404 text; our own error bodies are left alone.
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404) {
          res.set_content("404 page not found\n", kPlainText);
        } else {
          res.set_content(absl::StrCat(res.status, "\n"), kPlainText);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  // A backstop for exceptions thrown inside httplib itself (e.g. out of memory).
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("internal server error\n", kPlainText);
  });

  errno = 0;
  int port = o.port;
  bool bound = false;
  if (o.port == 0) {
    port = s.bind_to_any_port(o.address);
    bound = port > 0;
  } else {
    bound = s.bind_to_port(o.address, o.port);
  }
  if (!bound) {
    const int error = errno;
    return absl::UnavailableError(absl::StrCat("cannot listen on ", HostPort(o.address, o.port),
                                               error != 0 ? ": " : "",
                                               error != 0 ? std::strerror(error) : ""));
  }
  server->port_ = port;

  HttpServer* raw = server.get();
  server->thread_ = std::thread([raw] {
    raw->server_->listen_after_bind();
    raw->listen_returned_.store(true);
  });
  // httplib's stop() does nothing until the accept loop has marked itself running, and 0.11 has
  // no readiness signal: wait for that here (microseconds), so that Shutdown cannot be missed.
  while (!s.is_running() && !raw->listen_returned_.load()) absl::SleepFor(absl::Microseconds(50));
  return server;
}

void HttpServer::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  server_->stop();
  if (thread_.joinable()) thread_.join();  // the accept loop joins the worker pool on its way out
}

HttpRoute MetricsRoute(const Registry& registry, std::string path) {
  return HttpRoute{
      std::move(path), [&registry](const HttpRequest&) {
        return HttpResponse{200, std::string(kPrometheusTextContentType), registry.Render()};
      }};
}

}  // namespace contour::metrics
