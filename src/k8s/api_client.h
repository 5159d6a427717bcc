// The seam to the Kubernetes API server: plain HTTP requests and streamed (watch) responses,
// with authentication and TLS already configured. One real implementation (curl_api_client.h)
// and fakes in tests. Everything above it (reflectors, the status writer, leader election) speaks
// the API's paths and JSON.
#ifndef CONTOUR_K8S_API_CLIENT_H_
#define CONTOUR_K8S_API_CLIENT_H_

#include <functional>
#include <stop_token>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace contour::k8s {

struct HttpResponse {
  int status = 0;           // HTTP status code
  std::string body;         // the whole body (for a stream: only when status is not 200)
  std::string retry_after;  // the Retry-After header, if any (429, 503)
};

struct RequestOptions {
  // The whole exchange must finish within this; exceeded → kDeadlineExceeded.
  absl::Duration timeout = absl::Seconds(30);
  // Content-Type of the body, e.g. "application/merge-patch+json"; "application/json" if empty.
  std::string content_type;
  // The Accept header; "application/json" if empty. E.g. metadata-only lists and watches:
  // "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1".
  std::string accept;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // One request. `path` starts with '/' and may carry a query ("/api/v1/services?limit=500").
  // Transport failures (refused, reset, TLS, timeout) are errors (kUnavailable, or
  // kDeadlineExceeded on timeout); any HTTP status is a response. Thread-safe.
  virtual absl::StatusOr<HttpResponse> Request(std::string_view method, std::string_view path,
                                               std::string_view body = "",
                                               const RequestOptions& options = {}) = 0;

  // A GET whose 200 body is handed over one line at a time, as it arrives ('\n' removed; a
  // final line without '\n' is not delivered: it was cut). Returns when the server ends the
  // response (the response, with an empty body), when on_line returns false or `stop` is
  // requested (kCancelled), after options.timeout (kDeadlineExceeded), or on a transport
  // error. A status other than 200 is returned as a response with its body and no line
  // delivered. `stop` is honoured within about 100 ms even while the server sends nothing.
  // Thread-safe.
  virtual absl::StatusOr<HttpResponse> Stream(
      std::string_view path, const RequestOptions& options, std::stop_token stop,
      const std::function<bool(std::string_view line)>& on_line) = 0;
};

// Percent-encodes a path segment or query parameter value (RFC 3986 unreserved characters
// pass).
std::string QueryEscape(std::string_view value);

// The message of a Kubernetes Status body ("" if it is not one), for errors.
std::string StatusMessage(std::string_view body);

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_API_CLIENT_H_
