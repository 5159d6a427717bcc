// The fake API server's catalog of kinds, its discovery documents, request-path parsing, and
// Kubernetes Status errors.
#ifndef CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_RESOURCES_H_
#define CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_RESOURCES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace contour::testing::fake_apiserver_internal {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::vector<std::string> short_names;
  bool namespaced = true;
  // A custom resource: list items keep their kind and apiVersion (built-in kinds' do not).
  bool crd = false;
  // Served over HTTP and in discovery. (An Ingress version left out of ingress_versions is known
  // to the store but not served.)
  bool served = true;
  bool status_subresource = false;
  // Every version of a kind shares one storage, as in a real server: one stored Ingress is
  // served under whichever version is asked, only its apiVersion rewritten. The versions of
  // Ingress here have the same shape as far as the tests go, so no conversion is done.
  std::string storage;

  std::string api_version() const;  // "v1" or "group/version"
  // "services" or "ingresses.networking.k8s.io", as in a real server's messages.
  std::string qualified() const;
};

// Where a request goes.
struct ResourcePath {
  const ResourceType* type = nullptr;
  std::string namespace_;   // empty: all namespaces (a collection) or a cluster-scoped kind
  std::string name;         // empty: the collection
  std::string subresource;  // "status" or empty
};

class ResourceCatalog {
 public:
  ResourceCatalog(const std::vector<std::string>& ingress_versions, bool ingressroute_status);

  // A served resource by group, version and plural; contour.heptio.com only if `contour`.
  const ResourceType* Find(absl::string_view group, absl::string_view version,
                           absl::string_view plural, bool contour) const;
  // Any known kind, served or not, by apiVersion and kind.
  const ResourceType* FindKind(absl::string_view api_version, absl::string_view kind) const;
  // The storages of contour.heptio.com's kinds.
  std::vector<std::string> ContourStorages() const;
  static bool IsContourGroup(absl::string_view group) { return group == "contour.heptio.com"; }

  // Parses a path (no query) under /api or /apis into a resource; NotFound for anything else.
  absl::StatusOr<ResourcePath> ParsePath(absl::string_view path, bool contour) const;

  // Discovery documents; nullopt for an unknown group or version.
  nlohmann::json ApiVersions(int port) const;
  nlohmann::json ApiGroupList(bool contour) const;
  std::optional<nlohmann::json> ApiGroup(absl::string_view group, bool contour) const;
  std::optional<nlohmann::json> ApiResourceList(absl::string_view group, absl::string_view version,
                                                bool contour) const;

 private:
  struct Group {
    std::string name;
    std::vector<std::string> versions;  // preferred first
  };
  std::vector<Group> ServedGroups(bool contour) const;

  std::vector<std::unique_ptr<ResourceType>> types_;
};

// JSON text; invalid UTF-8 (which request paths and selectors may carry into messages) is
// replaced rather than thrown.
std::string DumpJson(const nlohmann::json& value);

// Errors that carry a Kubernetes Status (HTTP code, reason, details) in an absl::Status.
absl::Status ApiError(int code, absl::string_view reason, absl::string_view message,
                      nlohmann::json details = nlohmann::json::object());
absl::Status NotFoundError(const ResourceType& type, absl::string_view name);
absl::Status AlreadyExistsError(const ResourceType& type, absl::string_view name);
absl::Status ConflictError(const ResourceType& type, absl::string_view name,
                           absl::string_view why = "");
absl::Status BadRequestError(absl::string_view message);
absl::Status ExpiredError(absl::string_view message);
// The Status object for `status` (an ApiError, or any absl::Status mapped by its code).
nlohmann::json StatusJson(const absl::Status& status);
// The HTTP code StatusJson(status) carries.
int HttpCode(const absl::Status& status);
// A Status body for an HTTP code alone (fault injection, 401).
nlohmann::json StatusJsonForCode(int code, absl::string_view message);

}  // namespace contour::testing::fake_apiserver_internal

#endif  // CONTOUR_TESTS_SUPPORT_FAKE_APISERVER_RESOURCES_H_
