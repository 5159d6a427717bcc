// A fake Kubernetes API server on loopback for tests: the real wire protocol (JSON over HTTP/1.1,
// plain or TLS; lists with paging; chunked watches with one event per line; resourceVersions,
// bookmarks, 410 Gone after compaction; merge patch and the status subresource; discovery good
// enough for kubectl), and faults a client must survive (cut streams, stalls, restarts, error
// answers, corrupt JSON).
//
// Served kinds: v1 Service, Endpoints, Secret, ConfigMap, Namespace; Ingress in every version of
// `ingress_versions` (one stored object, its apiVersion rewritten); contour.heptio.com/v1beta1
// IngressRoute and TLSCertificateDelegation; coordination.k8s.io/v1 Lease. Services, Namespaces
// and Ingresses have a status subresource, as on a real server; IngressRoutes only with
// `ingressroute_status_subresource` (Contour's CRDs of that time had none).
//
// Not modelled: admission (namespaces need not exist), finalizers and graceful deletion (DELETE
// removes at once), defaulting and validation of kinds, server-side apply, deletecollection,
// protobuf and CBOR bodies (415, so `kubectl create namespace X` fails; `kubectl create -f`
// works), Table output (kubectl falls back to its own columns). A strategic merge patch is
// applied as a JSON merge patch (lists are replaced, not merged by key).
#ifndef CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_H_
#define CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_certs.h"

namespace contour::testing {

namespace fake_apiserver_internal {
class HttpServer;
class HttpConnection;
struct HttpRequest;
class ObjectStore;
class ResourceCatalog;
class ServerState;
}  // namespace fake_apiserver_internal

struct FakeApiServerOptions {
  bool tls = false;                  // https with MakeTestCerts(); else plain http
  bool require_client_cert = false;  // TLS: the handshake demands a client cert signed by the CA
  // Non-empty: requests need "Authorization: Bearer <token>" or a verified client certificate,
  // else 401. (/healthz, /livez and /readyz stay open, as on a real server.)
  std::string token;
  int port = 0;  // 0: any free port on 127.0.0.1
  std::vector<std::string> ingress_versions = {"networking.k8s.io/v1", "networking.k8s.io/v1beta1",
                                               "extensions/v1beta1"};
  bool contour_crds = true;  // contour.heptio.com/v1beta1 is served
  bool ingressroute_status_subresource = false;
  absl::Duration bookmark_interval = absl::ZeroDuration();  // 0: bookmarks only on SendBookmarks()
  // Request bodies are recorded up to this many bytes (a benchmark loading 500 MB over HTTP must
  // not keep a copy of it).
  size_t max_recorded_body = 16 * 1024;
};

// Every method may be called from any thread, except that Restart() must not run concurrently
// with another Restart() or the destructor.
class FakeApiServer {
 public:
  static absl::StatusOr<std::unique_ptr<FakeApiServer>> Start(FakeApiServerOptions options = {});
  ~FakeApiServer();  // closes everything, joins every thread
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  int port() const;
  std::string url() const;         // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT"
  const TestCerts& certs() const;  // meaningful with tls
  const FakeApiServerOptions& options() const { return options_; }
  // Kubeconfig YAML: one cluster (server; certificate-authority-data with tls), one user (the
  // token if any; the client certificate and key with `with_client_cert`), one current context
  // (namespace "default").
  std::string Kubeconfig(bool with_client_cert = false) const;

  // The store, directly, with the bookkeeping a write through the API gets: the one global
  // resourceVersion is bumped, uid/creationTimestamp/generation are set, watch events go out.
  // Objects carry apiVersion and kind (any Ingress version names the one stored Ingress).
  // Unlike an HTTP write, the object is stored as given (its .status too, status subresource or
  // not). A write that changes nothing is a no-op (no new resourceVersion), as on a real server.
  absl::StatusOr<nlohmann::json> Create(nlohmann::json object);  // kAlreadyExists if present
  // Create or replace, unconditionally (a metadata.resourceVersion in `object` is ignored).
  absl::StatusOr<nlohmann::json> Update(nlohmann::json object);
  absl::Status Delete(std::string_view api_version, std::string_view kind,
                      std::string_view namespace_, std::string_view name);  // kNotFound if absent
  std::optional<nlohmann::json> Get(std::string_view api_version, std::string_view kind,
                                    std::string_view namespace_, std::string_view name) const;
  // Every object of the kind, sorted by namespace/name, with apiVersion and kind.
  std::vector<nlohmann::json> List(std::string_view api_version, std::string_view kind) const;
  uint64_t resource_version() const;
  // Installs or uninstalls contour.heptio.com at runtime, as creating or deleting the CRDs would:
  // discovery and requests follow; uninstalling deletes every IngressRoute and
  // TLSCertificateDelegation (DELETED events) and then ends the watches on them.
  void SetContourCrds(bool served);

  // Faults.
  // Forgets history up to now: a watch, a list at an exact resourceVersion, or a continue token
  // from an older resourceVersion gets 410 Gone (reason "Expired").
  void Compact();
  // Cuts every open watch: with `mid_event` after writing part of one event line (the next
  // pending event, or a made-up one), then the TCP connection is closed (no terminating chunk).
  // Returns once those watches are closed.
  void CutWatches(bool mid_event);
  // While stalled no response bytes are written: new requests hang (after being recorded, before
  // being applied), watches go quiet and their events queue up. Connections stay open.
  void SetStalled(bool stalled);
  // The next `count` requests whose path (with its query) contains `path_substring` are answered
  // `status` with a Status body (429 and 503 also with "Retry-After: 1"). Rules queue up.
  void FailRequests(int status, int count, std::string path_substring = "");
  // The next `count` watch event lines or list bodies on matching paths are invalid JSON (cut
  // in half). A corrupted watch event is not sent again on that stream.
  void CorruptNext(int count, std::string path_substring = "");
  // Closes the listener and every connection, then listens again on the same port. Without
  // `keep_state` every object and all history are gone; resourceVersion keeps counting up from
  // where it was, so watches and continue tokens from before get 410.
  absl::Status Restart(bool keep_state);
  // Every open watch that asked for bookmarks gets a BOOKMARK at the current resourceVersion.
  void SendBookmarks();

  // Observations.
  struct RequestRecord {
    std::string method;
    std::string path;  // with its query, as sent
    std::string content_type;
    std::string body;  // up to options.max_recorded_body bytes
    bool body_truncated = false;
  };
  std::vector<RequestRecord> Requests() const;
  void ClearRequests();
  // Waits (on a condition) until at least `n` requests have been recorded since the start or
  // the last ClearRequests(). A request is recorded as soon as it has been read, before it is
  // served (so also while stalled).
  bool WaitForRequests(size_t n, absl::Duration timeout) const;
  size_t open_watches() const;
  // Waits (on a condition, not polling) until exactly `n` watches are open.
  bool WaitForOpenWatches(size_t n, absl::Duration timeout) const;

 private:
  explicit FakeApiServer(FakeApiServerOptions options);
  // Makes the TLS context (with fresh certificates) if asked, and starts listening.
  absl::Status Listen();
  // Serves one request on `conn`; false when the connection must close.
  bool Handle(fake_apiserver_internal::HttpConnection& conn,
              fake_apiserver_internal::HttpRequest& request);

  const FakeApiServerOptions options_;
  TestCerts certs_;
  int port_ = 0;
  std::unique_ptr<fake_apiserver_internal::ResourceCatalog> catalog_;
  std::unique_ptr<fake_apiserver_internal::ObjectStore> store_;
  std::unique_ptr<fake_apiserver_internal::ServerState> state_;
  std::unique_ptr<fake_apiserver_internal::HttpServer> http_;  // last: stopped first
};

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_H_
