// The fake API server's REST layer: discovery, authentication, fault injection, and the verbs
// (list, watch, get, create, replace, merge patch, delete, and the status subresource) on top of
// the object store. The direct store API of FakeApiServer shares the write paths.
#ifndef CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_API_H_
#define CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_API_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"
#include "tests/support/fake_apiserver.h"
#include "tests/support/fake_apiserver_http.h"
#include "tests/support/fake_apiserver_resources.h"
#include "tests/support/fake_apiserver_store.h"

namespace contour::testing::fake_apiserver_internal {

// What the tests switch at runtime, and what they observe. Thread-safe.
class ServerState {
 public:
  ServerState(bool contour_crds, size_t max_recorded_body)
      : max_recorded_body_(max_recorded_body), contour_crds_(contour_crds) {}

  bool contour_crds() const;
  void set_contour_crds(bool served);
  bool stalled() const;
  void set_stalled(bool stalled);
  void AddFailure(int status, int count, std::string path_substring);
  // The status to answer a request for `target` with, consuming one from the first matching
  // rule.
  std::optional<int> TakeFailure(absl::string_view target);
  void AddCorruption(int count, std::string path_substring);
  bool TakeCorruption(absl::string_view target);

  void Record(const HttpRequest& request);
  std::vector<FakeApiServer::RequestRecord> Requests() const;
  void ClearRequests();
  bool WaitForRequests(size_t n, absl::Duration timeout) const;

 private:
  struct Rule {
    int status;
    int count;
    std::string path_substring;
  };
  const size_t max_recorded_body_;
  mutable absl::Mutex mu_;
  bool contour_crds_ ABSL_GUARDED_BY(mu_);
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Rule> failures_ ABSL_GUARDED_BY(mu_);
  std::vector<Rule> corruptions_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeApiServer::RequestRecord> requests_ ABSL_GUARDED_BY(mu_);
};

struct ApiContext {
  const FakeApiServerOptions& options;
  const ResourceCatalog& catalog;
  ObjectStore& store;
  ServerState& state;
  int port;
};

// Serves one HTTP request (after it was recorded); false when the connection must close.
bool ServeRequest(const ApiContext& ctx, HttpConnection& conn, HttpRequest& request);

// How a write treats .status.
enum class WriteMode {
  kDirect,  // the test's own store API: the object as given
  kMain,    // the main resource over HTTP: with a status subresource, .status is kept
  kStatus,  // the status subresource: only .status changes
};

// The writes, shared by HTTP and the direct store API. `object` may carry apiVersion and kind.
// With `committed`, the object as stored (without apiVersion and kind) is put there, which spares
// the direct API parsing it back.
absl::StatusOr<std::shared_ptr<const StoredObject>> CreateObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    nlohmann::json object, WriteMode mode, nlohmann::json* committed = nullptr);
// Replaces `name`; a non-empty metadata.resourceVersion in `object` is a precondition. Absent:
// NotFound, or created with `create_if_absent`.
absl::StatusOr<std::shared_ptr<const StoredObject>> ReplaceObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    absl::string_view name, nlohmann::json object, WriteMode mode, bool create_if_absent,
    nlohmann::json* committed = nullptr);
absl::StatusOr<std::shared_ptr<const StoredObject>> DeleteObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    absl::string_view name, absl::string_view precondition_uid = "",
    absl::string_view precondition_resource_version = "");

}  // namespace contour::testing::fake_apiserver_internal

#endif  // CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_API_H_
