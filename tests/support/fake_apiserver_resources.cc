#include "tests/support/fake_apiserver_resources.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace contour::testing::fake_apiserver_internal {
namespace {

constexpr absl::string_view kStatusPayloadUrl = "type.contour.test/k8s.Status";

std::vector<std::string> Verbs() {
  return {"create", "delete", "get", "list", "patch", "update", "watch"};
}

int VersionRank(absl::string_view version) {
  // Kubernetes' priority: GA before beta before alpha.
  if (absl::StrContains(version, "alpha")) return 2;
  if (absl::StrContains(version, "beta")) return 1;
  return 0;
}

}  // namespace

std::string ResourceType::api_version() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ResourceType::qualified() const {
  return group.empty() ? plural : absl::StrCat(plural, ".", group);
}

ResourceCatalog::ResourceCatalog(const std::vector<std::string>& ingress_versions,
                                 bool ingressroute_status) {
  auto add = [this](ResourceType type) {
    types_.push_back(std::make_unique<ResourceType>(std::move(type)));
  };
  add({.group = "",
       .version = "v1",
       .plural = "services",
       .singular = "service",
       .kind = "Service",
       .short_names = {"svc"},
       .status_subresource = true,
       .storage = "services"});
  add({.group = "",
       .version = "v1",
       .plural = "endpoints",
       .singular = "endpoints",
       .kind = "Endpoints",
       .short_names = {"ep"},
       .storage = "endpoints"});
  add({.group = "",
       .version = "v1",
       .plural = "secrets",
       .singular = "secret",
       .kind = "Secret",
       .storage = "secrets"});
  add({.group = "",
       .version = "v1",
       .plural = "configmaps",
       .singular = "configmap",
       .kind = "ConfigMap",
       .short_names = {"cm"},
       .storage = "configmaps"});
  add({.group = "",
       .version = "v1",
       .plural = "namespaces",
       .singular = "namespace",
       .kind = "Namespace",
       .short_names = {"ns"},
       .namespaced = false,
       .status_subresource = true,
       .storage = "namespaces"});
  for (const char* api_version :
       {"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"}) {
    std::pair<std::string, std::string> gv = absl::StrSplit(api_version, '/');
    add({.group = gv.first,
         .version = gv.second,
         .plural = "ingresses",
         .singular = "ingress",
         .kind = "Ingress",
         .short_names = {"ing"},
         .served = std::find(ingress_versions.begin(), ingress_versions.end(), api_version) !=
                   ingress_versions.end(),
         .status_subresource = true,
         .storage = "ingresses"});
  }
  add({.group = "contour.heptio.com",
       .version = "v1beta1",
       .plural = "ingressroutes",
       .singular = "ingressroute",
       .kind = "IngressRoute",
       .crd = true,
       .status_subresource = ingressroute_status,
       .storage = "ingressroutes"});
  add({.group = "contour.heptio.com",
       .version = "v1beta1",
       .plural = "tlscertificatedelegations",
       .singular = "tlscertificatedelegation",
       .kind = "TLSCertificateDelegation",
       .crd = true,
       .storage = "tlscertificatedelegations"});
  add({.group = "coordination.k8s.io",
       .version = "v1",
       .plural = "leases",
       .singular = "lease",
       .kind = "Lease",
       .storage = "leases"});
}

const ResourceType* ResourceCatalog::Find(absl::string_view group, absl::string_view version,
                                          absl::string_view plural, bool contour) const {
  if (IsContourGroup(group) && !contour) return nullptr;
  for (const auto& type : types_) {
    if (type->served && type->group == group && type->version == version &&
        type->plural == plural) {
      return type.get();
    }
  }
  return nullptr;
}

const ResourceType* ResourceCatalog::FindKind(absl::string_view api_version,
                                              absl::string_view kind) const {
  for (const auto& type : types_) {
    if (type->api_version() == api_version && type->kind == kind) return type.get();
  }
  return nullptr;
}

std::vector<std::string> ResourceCatalog::ContourStorages() const {
  std::vector<std::string> out;
  for (const auto& type : types_) {
    if (IsContourGroup(type->group)) out.push_back(type->storage);
  }
  return out;
}

absl::StatusOr<ResourcePath> ResourceCatalog::ParsePath(absl::string_view path,
                                                        bool contour) const {
  const absl::Status not_found =
      ApiError(404, "NotFound", "the server could not find the requested resource");
  absl::string_view group, version, rest;
  if (absl::ConsumePrefix(&path, "/api/")) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(path, absl::MaxSplits('/', 1));
    version = parts.first;
    rest = parts.second;
  } else if (absl::ConsumePrefix(&path, "/apis/")) {
    std::vector<absl::string_view> parts = absl::StrSplit(path, absl::MaxSplits('/', 2));
    if (parts.size() < 3) return not_found;
    group = parts[0];
    version = parts[1];
    rest = parts[2];
  } else {
    return not_found;
  }
  // (A missing part is a null view, which splits into no segments at all.)
  std::vector<absl::string_view> segments = absl::StrSplit(rest, '/');
  if (segments.empty() || version.empty()) return not_found;
  for (absl::string_view segment : segments) {
    if (segment.empty()) return not_found;
  }
  ResourcePath out;
  // /namespaces/{ns}/{resource}[/{name}[/{subresource}]] for a namespaced resource.
  if (segments.size() >= 3 && segments[0] == "namespaces") {
    const ResourceType* type = Find(group, version, segments[2], contour);
    if (type != nullptr && type->namespaced) {
      if (segments.size() > 5) return not_found;
      out.type = type;
      out.namespace_ = std::string(segments[1]);
      if (segments.size() >= 4) out.name = std::string(segments[3]);
      if (segments.size() == 5) out.subresource = std::string(segments[4]);
    }
  }
  // /{resource}[/{name}[/{subresource}]]: every namespace of a namespaced resource's collection,
  // or a cluster-scoped resource.
  if (out.type == nullptr) {
    const ResourceType* type = Find(group, version, segments[0], contour);
    if (type == nullptr || segments.size() > 3) return not_found;
    if (type->namespaced && segments.size() > 1) return not_found;
    out.type = type;
    if (segments.size() >= 2) out.name = std::string(segments[1]);
    if (segments.size() == 3) out.subresource = std::string(segments[2]);
  }
  if (!out.subresource.empty() && (out.subresource != "status" || !out.type->status_subresource)) {
    return not_found;
  }
  return out;
}

std::vector<ResourceCatalog::Group> ResourceCatalog::ServedGroups(bool contour) const {
  std::vector<Group> groups;
  for (const auto& type : types_) {
    if (type->group.empty() || !type->served) continue;
    if (IsContourGroup(type->group) && !contour) continue;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.name == type->group; });
    if (it == groups.end()) {
      groups.push_back({type->group, {}});
      it = groups.end() - 1;
    }
    if (std::find(it->versions.begin(), it->versions.end(), type->version) == it->versions.end()) {
      it->versions.push_back(type->version);
    }
  }
  for (Group& group : groups) {
    std::stable_sort(
        group.versions.begin(), group.versions.end(),
        [](const std::string& a, const std::string& b) { return VersionRank(a) < VersionRank(b); });
  }
  // Built-in groups first (extensions leads, as on a real server), then custom resources.
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    auto rank = [](const Group& g) {
      return g.name == "extensions" ? 0 : IsContourGroup(g.name) ? 2 : 1;
    };
    return rank(a) < rank(b);
  });
  return groups;
}

nlohmann::json ResourceCatalog::ApiVersions(int port) const {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", absl::StrCat("127.0.0.1:", port)}}}}};
}

namespace {

nlohmann::json GroupJson(absl::string_view name, const std::vector<std::string>& versions) {
  nlohmann::json out = {{"name", name}, {"versions", nlohmann::json::array()}};
  for (const std::string& version : versions) {
    out["versions"].push_back(
        {{"groupVersion", absl::StrCat(name, "/", version)}, {"version", version}});
  }
  out["preferredVersion"] = out["versions"][0];
  return out;
}

}  // namespace

nlohmann::json ResourceCatalog::ApiGroupList(bool contour) const {
  nlohmann::json out = {
      {"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", nlohmann::json::array()}};
  for (const Group& group : ServedGroups(contour)) {
    out["groups"].push_back(GroupJson(group.name, group.versions));
  }
  return out;
}

std::optional<nlohmann::json> ResourceCatalog::ApiGroup(absl::string_view name,
                                                        bool contour) const {
  for (const Group& group : ServedGroups(contour)) {
    if (group.name != name) continue;
    nlohmann::json out = GroupJson(group.name, group.versions);
    out["kind"] = "APIGroup";
    out["apiVersion"] = "v1";
    return out;
  }
  return std::nullopt;
}

std::optional<nlohmann::json> ResourceCatalog::ApiResourceList(absl::string_view group,
                                                               absl::string_view version,
                                                               bool contour) const {
  if (IsContourGroup(group) && !contour) return std::nullopt;
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& type : types_) {
    if (!type->served || type->group != group || type->version != version) continue;
    nlohmann::json resource = {{"name", type->plural},
                               {"singularName", type->singular},
                               {"namespaced", type->namespaced},
                               {"kind", type->kind},
                               {"verbs", Verbs()}};
    if (!type->short_names.empty()) resource["shortNames"] = type->short_names;
    resources.push_back(std::move(resource));
    if (type->status_subresource) {
      resources.push_back({{"name", absl::StrCat(type->plural, "/status")},
                           {"singularName", ""},
                           {"namespaced", type->namespaced},
                           {"kind", type->kind},
                           {"verbs", {"get", "patch", "update"}}});
    }
  }
  if (resources.empty()) return std::nullopt;
  return nlohmann::json{
      {"kind", "APIResourceList"},
      {"apiVersion", "v1"},
      {"groupVersion", group.empty() ? std::string(version) : absl::StrCat(group, "/", version)},
      {"resources", std::move(resources)}};
}

// ---------------------------------------------------------------------------------------------
// Errors

namespace {

absl::StatusCode CodeFor(int http) {
  switch (http) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 415:
      return absl::StatusCode::kUnimplemented;
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::pair<int, absl::string_view> HttpFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return {400, "BadRequest"};
    case absl::StatusCode::kUnauthenticated:
      return {401, "Unauthorized"};
    case absl::StatusCode::kPermissionDenied:
      return {403, "Forbidden"};
    case absl::StatusCode::kNotFound:
      return {404, "NotFound"};
    case absl::StatusCode::kAlreadyExists:
      return {409, "AlreadyExists"};
    case absl::StatusCode::kAborted:
      return {409, "Conflict"};
    case absl::StatusCode::kOutOfRange:
      return {410, "Expired"};
    case absl::StatusCode::kUnimplemented:
      return {405, "MethodNotAllowed"};
    case absl::StatusCode::kResourceExhausted:
      return {429, "TooManyRequests"};
    case absl::StatusCode::kUnavailable:
      return {503, "ServiceUnavailable"};
    case absl::StatusCode::kDeadlineExceeded:
      return {504, "Timeout"};
    default:
      return {500, "InternalError"};
  }
}

absl::string_view ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "BadRequest";
  }
}

nlohmann::json DetailsFor(const ResourceType& type, absl::string_view name) {
  nlohmann::json details = {{"name", name}, {"kind", type.plural}};
  if (!type.group.empty()) details["group"] = type.group;
  return details;
}

}  // namespace

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status ApiError(int code, absl::string_view reason, absl::string_view message,
                      nlohmann::json details) {
  absl::Status status(reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists : CodeFor(code),
                      message);
  nlohmann::json payload = {{"code", code}, {"reason", reason}, {"details", std::move(details)}};
  status.SetPayload(kStatusPayloadUrl, absl::Cord(DumpJson(payload)));
  return status;
}

absl::Status NotFoundError(const ResourceType& type, absl::string_view name) {
  return ApiError(404, "NotFound", absl::StrCat(type.qualified(), " \"", name, "\" not found"),
                  DetailsFor(type, name));
}

absl::Status AlreadyExistsError(const ResourceType& type, absl::string_view name) {
  return ApiError(409, "AlreadyExists",
                  absl::StrCat(type.qualified(), " \"", name, "\" already exists"),
                  DetailsFor(type, name));
}

absl::Status ConflictError(const ResourceType& type, absl::string_view name,
                           absl::string_view why) {
  return ApiError(
      409, "Conflict",
      absl::StrCat("Operation cannot be fulfilled on ", type.qualified(), " \"", name, "\": ",
                   why.empty() ? "the object has been modified; please apply your "
                                 "changes to the latest version and try again"
                               : why),
      DetailsFor(type, name));
}

absl::Status BadRequestError(absl::string_view message) {
  return ApiError(400, "BadRequest", message);
}

absl::Status ExpiredError(absl::string_view message) { return ApiError(410, "Expired", message); }

nlohmann::json StatusJson(const absl::Status& status) {
  int code;
  std::string reason;
  nlohmann::json details = nlohmann::json::object();
  if (absl::optional<absl::Cord> payload = status.GetPayload(kStatusPayloadUrl)) {
    nlohmann::json parsed = nlohmann::json::parse(std::string(*payload), nullptr, false);
    code = parsed.value("code", 500);
    reason = parsed.value("reason", "InternalError");
    if (parsed.contains("details")) details = parsed["details"];
  } else {
    auto [http, why] = HttpFor(status.code());
    code = http;
    reason = std::string(why);
  }
  nlohmann::json out = {{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", nlohmann::json::object()},
                        {"status", "Failure"},
                        {"message", std::string(status.message())},
                        {"reason", reason},
                        {"code", code}};
  if (!details.empty()) out["details"] = std::move(details);
  return out;
}

int HttpCode(const absl::Status& status) { return StatusJson(status)["code"].get<int>(); }

nlohmann::json StatusJsonForCode(int code, absl::string_view message) {
  return StatusJson(ApiError(code, ReasonForCode(code), message));
}

}  // namespace contour::testing::fake_apiserver_internal
