// The production ApiClient, over libcurl: HTTP/1.1, TLS from memory (no temporary files),
// bearer tokens that follow a rotating token file, kept-alive connections shared by concurrent
// callers, and watch streams that a stop request ends promptly even while the server is silent.
#ifndef CONTOUR_K8S_CURL_API_CLIENT_H_
#define CONTOUR_K8S_CURL_API_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "k8s/api_client.h"
#include "k8s/curl_token.h"
#include "k8s/rest_config.h"

namespace contour::k8s {

struct CurlApiClientOptions {
  std::string user_agent = "contour-cpp";
  // Up to a connected TLS session; a slower connect is kUnavailable, not kDeadlineExceeded.
  absl::Duration connect_timeout = absl::Seconds(10);
  // Idle handles kept (each keeps its connection alive for the next call); busier moments make
  // more, which are closed when they come back to a full pool.
  size_t max_idle_handles = 8;
  // A response body (Request, or a stream's non-200 answer) larger than this is an error
  // (kUnavailable) instead of an allocation: a broken or hostile server cannot exhaust memory.
  // Lists should be paged well below it.
  size_t max_body_bytes = size_t{512} << 20;
  // The same for one line of a watch stream (one event: an object of at most a few MB).
  size_t max_line_bytes = size_t{64} << 20;
  // Ask for gzip as client-go does; the API server compresses large responses.
  bool accept_gzip = true;
};

class CurlApiClient final : public ApiClient {
 public:
  // Checks `config` (a server URL with an http or https scheme; PEM that parses; a key with a
  // certificate) and libcurl's abilities (TLS from memory), so that a bad configuration fails
  // here rather than on the first request.
  static absl::StatusOr<std::unique_ptr<CurlApiClient>> Create(RestConfig config,
                                                               CurlApiClientOptions options = {});
  ~CurlApiClient() override;
  CurlApiClient(const CurlApiClient&) = delete;
  CurlApiClient& operator=(const CurlApiClient&) = delete;

  absl::StatusOr<HttpResponse> Request(std::string_view method, std::string_view path,
                                       std::string_view body = "",
                                       const RequestOptions& options = {}) override;

  // on_line returning false ends the stream with kCancelled, as a stop request does. Runs on
  // the calling thread; on_line is called from within it.
  absl::StatusOr<HttpResponse> Stream(
      std::string_view path, const RequestOptions& options, std::stop_token stop,
      const std::function<bool(std::string_view line)>& on_line) override;

  const RestConfig& config() const { return config_; }

  struct Counters {
    uint64_t requests = 0;          // Request calls that reached the wire
    uint64_t streams = 0;           // Stream calls that reached the wire
    uint64_t transport_errors = 0;  // refused, reset, TLS, timeout, oversized: no HTTP answer
    uint64_t unauthorized = 0;      // 401 answers (each forces the token file to be re-read)
    uint64_t handles_created = 0;   // easy handles made: stays small when connections are reused
    uint64_t token_file_reads = 0;
  };
  Counters counters() const;

 private:
  struct Exchange;
  struct Endpoint {
    std::string url_base;     // server, or the server with the TLS name as its host
    std::string connect_to;   // CURLOPT_CONNECT_TO entry when the TLS name differs
    std::string host_header;  // "Host: ..." to keep when the URL's host was replaced
  };

  CurlApiClient(RestConfig config, CurlApiClientOptions options, Endpoint endpoint);

  void* TakeHandle();
  void ReturnHandle(void* easy);
  // Everything common to Request and Stream: URL, TLS, authentication, headers, callbacks.
  absl::Status Configure(Exchange& exchange, std::string_view path, absl::Duration timeout,
                         std::string_view accept = "");
  absl::Status TransportError(const Exchange& exchange, int code, absl::Duration timeout);
  void NoteStatus(int status);

  const RestConfig config_;
  const CurlApiClientOptions options_;
  const Endpoint endpoint_;
  BearerTokenSource token_;

  absl::Mutex pool_mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(pool_mu_);  // CURL* easy handles

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> streams_{0};
  std::atomic<uint64_t> transport_errors_{0};
  std::atomic<uint64_t> unauthorized_{0};
  std::atomic<uint64_t> handles_created_{0};
};

}  // namespace contour::k8s

#endif  // CONTOUR_K8S_CURL_API_CLIENT_H_
