#include "tests/support/fake_apiserver_api.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "k8s/yaml_to_json.h"

namespace contour::testing::fake_apiserver_internal {

// ---------------------------------------------------------------------------------------------
// ServerState

bool ServerState::contour_crds() const {
  absl::MutexLock lock(&mu_);
  return contour_crds_;
}

void ServerState::set_contour_crds(bool served) {
  absl::MutexLock lock(&mu_);
  contour_crds_ = served;
}

bool ServerState::stalled() const {
  absl::MutexLock lock(&mu_);
  return stalled_;
}

void ServerState::set_stalled(bool stalled) {
  absl::MutexLock lock(&mu_);
  stalled_ = stalled;
}

void ServerState::AddFailure(int status, int count, std::string path_substring) {
  absl::MutexLock lock(&mu_);
  if (count > 0) failures_.push_back({status, count, std::move(path_substring)});
}

std::optional<int> ServerState::TakeFailure(absl::string_view target) {
  absl::MutexLock lock(&mu_);
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (!absl::StrContains(target, it->path_substring)) continue;
    int status = it->status;
    if (--it->count == 0) failures_.erase(it);
    return status;
  }
  return std::nullopt;
}

void ServerState::AddCorruption(int count, std::string path_substring) {
  absl::MutexLock lock(&mu_);
  if (count > 0) corruptions_.push_back({0, count, std::move(path_substring)});
}

bool ServerState::TakeCorruption(absl::string_view target) {
  absl::MutexLock lock(&mu_);
  if (corruptions_.empty()) return false;
  for (auto it = corruptions_.begin(); it != corruptions_.end(); ++it) {
    if (!absl::StrContains(target, it->path_substring)) continue;
    if (--it->count == 0) corruptions_.erase(it);
    return true;
  }
  return false;
}

void ServerState::Record(const HttpRequest& request) {
  FakeApiServer::RequestRecord record;
  record.method = request.method;
  record.path = request.target;
  record.content_type = std::string(request.Header("content-type"));
  record.body_truncated = request.body.size() > max_recorded_body_;
  record.body = request.body.substr(0, max_recorded_body_);
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(record));
}

std::vector<FakeApiServer::RequestRecord> ServerState::Requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void ServerState::ClearRequests() {
  absl::MutexLock lock(&mu_);
  requests_.clear();
}

bool ServerState::WaitForRequests(size_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

// ---------------------------------------------------------------------------------------------
// Writes

namespace {

std::string NowTimestamp() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string NewUid() {
  absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen), lo = absl::Uniform<uint64_t>(gen);
  // A version-4 UUID, as Kubernetes makes them.
  hi = (hi & ~0xf000ULL) | 0x4000ULL;
  lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

std::string RandomSuffix() {
  // Kubernetes' alphabet for generateName: no vowels, no look-alikes.
  static constexpr absl::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  absl::BitGen gen;
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out.push_back(kAlphabet[absl::Uniform<size_t>(gen, 0, kAlphabet.size())]);
  }
  return out;
}

std::string StringField(const nlohmann::json& object, absl::string_view field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string MetadataString(const nlohmann::json& object, absl::string_view field) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  return StringField(*metadata, field);
}

absl::Status InvalidError(const ResourceType& type, absl::string_view name,
                          absl::string_view message) {
  return ApiError(422, "Invalid", absl::StrCat(type.kind, " \"", name, "\" is invalid: ", message),
                  {{"name", name}, {"kind", type.kind}});
}

// Everything but metadata and status: what a generation counts changes of.
nlohmann::json SpecPart(nlohmann::json object) {
  object.erase("metadata");
  object.erase("status");
  return object;
}

// The new state of an existing object for a replace or patch result `candidate`.
nlohmann::json Merge(const ResourceType& type, WriteMode mode, const nlohmann::json& current,
                     nlohmann::json candidate) {
  candidate.erase("apiVersion");
  candidate.erase("kind");
  if (mode == WriteMode::kStatus) {
    nlohmann::json out = current;
    if (candidate.contains("status")) {
      out["status"] = candidate["status"];
    } else {
      out.erase("status");
    }
    return out;
  }
  nlohmann::json out = std::move(candidate);
  if (!out["metadata"].is_object()) out["metadata"] = nlohmann::json::object();
  nlohmann::json& metadata = out["metadata"];
  const nlohmann::json& old = current["metadata"];
  for (const char* field : {"name", "namespace", "uid", "creationTimestamp", "resourceVersion"}) {
    if (old.contains(field)) {
      metadata[field] = old[field];
    } else {
      metadata.erase(field);
    }
  }
  if (mode == WriteMode::kMain && type.status_subresource) {
    if (current.contains("status")) {
      out["status"] = current["status"];
    } else {
      out.erase("status");
    }
  }
  int64_t generation = old.contains("generation") && old["generation"].is_number_integer()
                           ? old["generation"].get<int64_t>()
                           : 1;
  if (SpecPart(out) != SpecPart(current)) ++generation;
  metadata["generation"] = generation;
  return out;
}

absl::StatusOr<std::shared_ptr<const StoredObject>> CommitUpdate(
    ObjectStore& store, const ResourceType& type,
    const std::shared_ptr<const StoredObject>& current, const nlohmann::json& current_json,
    nlohmann::json updated, nlohmann::json* committed) {
  if (updated == current_json) {  // no change: no new resourceVersion, no event
    if (committed != nullptr) *committed = current_json;
    return current;
  }
  return store.Commit(type.storage, current->key, current->resource_version, std::move(updated),
                      /*deletion=*/false, committed);
}

absl::Status CheckTypeMeta(const ResourceType& type, const nlohmann::json& object) {
  std::string api_version = StringField(object, "apiVersion");
  std::string kind = StringField(object, "kind");
  if (!api_version.empty() && api_version != type.api_version()) {
    return BadRequestError(absl::StrCat("the API version in the data (", api_version,
                                        ") does not match the expected API version (",
                                        type.api_version(), ")"));
  }
  if (!kind.empty() && kind != type.kind) {
    return BadRequestError(absl::StrCat("the kind in the data (", kind,
                                        ") does not match the expected kind (", type.kind, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const StoredObject>> CreateObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    nlohmann::json object, WriteMode mode, nlohmann::json* committed) {
  if (!object.is_object()) return BadRequestError("the object must be a JSON object");
  if (mode != WriteMode::kDirect) {
    if (absl::Status status = CheckTypeMeta(type, object); !status.ok()) return status;
  }
  object.erase("apiVersion");
  object.erase("kind");
  nlohmann::json& metadata = object["metadata"];
  if (metadata.is_null()) metadata = nlohmann::json::object();
  if (!metadata.is_object()) return BadRequestError("metadata must be an object");
  std::string ns;
  if (type.namespaced) {
    std::string body_ns = StringField(metadata, "namespace");
    if (!namespace_.empty()) {
      if (!body_ns.empty() && body_ns != namespace_) {
        return BadRequestError(
            "the namespace of the provided object does not match the namespace sent on the "
            "request");
      }
      ns = std::string(namespace_);
    } else {
      ns = body_ns.empty() ? "default" : body_ns;
    }
    metadata["namespace"] = ns;
  } else {
    metadata.erase("namespace");
  }
  std::string name = StringField(metadata, "name");
  if (name.empty()) {
    std::string generate = StringField(metadata, "generateName");
    if (generate.empty()) {
      return InvalidError(type, "",
                          "metadata.name: Required value: name or generateName is "
                          "required");
    }
    name = generate + RandomSuffix();
    metadata["name"] = name;
  }
  if (absl::StrContains(name, "/") || name == "." || name == "..") {
    return InvalidError(type, name, "metadata.name: Invalid value: may not contain '/'");
  }
  metadata["uid"] = NewUid();
  metadata["creationTimestamp"] = NowTimestamp();
  metadata["generation"] = 1;
  metadata.erase("resourceVersion");
  if (mode == WriteMode::kMain && type.status_subresource) object.erase("status");
  absl::StatusOr<std::shared_ptr<const StoredObject>> stored = store.Commit(
      type.storage, StoreKey(ns, name), 0, std::move(object), /*deletion=*/false, committed);
  if (absl::IsAborted(stored.status())) return AlreadyExistsError(type, name);
  return stored;
}

absl::StatusOr<std::shared_ptr<const StoredObject>> ReplaceObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    absl::string_view name, nlohmann::json object, WriteMode mode, bool create_if_absent,
    nlohmann::json* committed) {
  if (!object.is_object()) return BadRequestError("the object must be a JSON object");
  if (mode != WriteMode::kDirect) {
    if (absl::Status status = CheckTypeMeta(type, object); !status.ok()) return status;
  }
  if (object.contains("metadata") && !object["metadata"].is_object()) {
    return BadRequestError("metadata must be an object");
  }
  std::string body_name = MetadataString(object, "name");
  if (!body_name.empty() && body_name != name) {
    return BadRequestError(absl::StrCat("the name of the object (", body_name,
                                        ") does not match the name on the URL (", name, ")"));
  }
  std::string body_ns = MetadataString(object, "namespace");
  if (type.namespaced && !body_ns.empty() && body_ns != namespace_) {
    return BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  std::string precondition =
      mode == WriteMode::kDirect ? "" : MetadataString(object, "resourceVersion");
  const std::string key = StoreKey(type.namespaced ? namespace_ : "", name);
  for (;;) {
    std::shared_ptr<const StoredObject> current = store.Latest(type.storage, key);
    if (current == nullptr) {
      if (!create_if_absent) return NotFoundError(type, name);
      nlohmann::json fresh = object;
      fresh["metadata"]["name"] = std::string(name);
      absl::StatusOr<std::shared_ptr<const StoredObject>> created =
          CreateObject(store, type, namespace_, std::move(fresh), mode, committed);
      if (created.ok() || !absl::IsAlreadyExists(created.status())) return created;
      continue;  // created meanwhile: replace it
    }
    if (!precondition.empty() && precondition != absl::StrCat(current->resource_version)) {
      return ConflictError(type, name);
    }
    nlohmann::json current_json = current->Parse();
    absl::StatusOr<std::shared_ptr<const StoredObject>> result = CommitUpdate(
        store, type, current, current_json, Merge(type, mode, current_json, object), committed);
    if (!absl::IsAborted(result.status())) return result;
  }
}

namespace {

absl::StatusOr<std::shared_ptr<const StoredObject>> PatchObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    absl::string_view name, absl::string_view content_type, absl::string_view body,
    WriteMode mode) {
  enum class Kind { kMerge, kJson } kind;
  absl::string_view media = content_type.substr(0, content_type.find(';'));
  media = absl::StripAsciiWhitespace(media);
  if (media == "application/merge-patch+json") {
    kind = Kind::kMerge;
  } else if (media == "application/json-patch+json") {
    kind = Kind::kJson;
  } else if (media == "application/strategic-merge-patch+json" && !type.crd) {
    // Approximated by a merge patch: lists are replaced, not merged by key.
    kind = Kind::kMerge;
  } else {
    return ApiError(415, "UnsupportedMediaType",
                    absl::StrCat("the body of the request was in an unknown format - accepted "
                                 "media types include: application/json-patch+json, "
                                 "application/merge-patch+json",
                                 type.crd ? "" : ", application/strategic-merge-patch+json"));
  }
  nlohmann::json patch = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (patch.is_discarded()) return BadRequestError("the patch is not valid JSON");
  if (kind == Kind::kJson && !patch.is_array()) {
    return BadRequestError("a JSON patch must be an array of operations");
  }
  const std::string key = StoreKey(type.namespaced ? namespace_ : "", name);
  for (;;) {
    std::shared_ptr<const StoredObject> current = store.Latest(type.storage, key);
    if (current == nullptr) return NotFoundError(type, name);
    nlohmann::json current_json = current->Parse();
    nlohmann::json patched = current_json;
    patched["apiVersion"] = type.api_version();
    patched["kind"] = type.kind;
    if (kind == Kind::kMerge) {
      patched.merge_patch(patch);
    } else {
      try {
        patched = patched.patch(patch);
      } catch (const nlohmann::json::exception& e) {
        return InvalidError(type, name, e.what());
      }
    }
    if (!patched.is_object() || !patched["metadata"].is_object()) {
      return InvalidError(type, name, "the patch removes the object's metadata");
    }
    // A resourceVersion the patch sets is a precondition, as on a real server.
    std::string precondition = MetadataString(patched, "resourceVersion");
    if (!precondition.empty() && precondition != absl::StrCat(current->resource_version)) {
      return ConflictError(type, name);
    }
    absl::StatusOr<std::shared_ptr<const StoredObject>> result =
        CommitUpdate(store, type, current, current_json,
                     Merge(type, mode, current_json, std::move(patched)), nullptr);
    if (!absl::IsAborted(result.status())) return result;
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const StoredObject>> DeleteObject(
    ObjectStore& store, const ResourceType& type, absl::string_view namespace_,
    absl::string_view name, absl::string_view precondition_uid,
    absl::string_view precondition_resource_version) {
  const std::string key = StoreKey(type.namespaced ? namespace_ : "", name);
  for (;;) {
    std::shared_ptr<const StoredObject> current = store.Latest(type.storage, key);
    if (current == nullptr) return NotFoundError(type, name);
    nlohmann::json last = current->Parse();
    std::string uid = MetadataString(last, "uid");
    if (!precondition_uid.empty() && precondition_uid != uid) {
      return ConflictError(type, name,
                           absl::StrCat("Precondition failed: UID in precondition: ",
                                        precondition_uid, ", UID in object meta: ", uid));
    }
    std::string rv = absl::StrCat(current->resource_version);
    if (!precondition_resource_version.empty() && precondition_resource_version != rv) {
      return ConflictError(
          type, name,
          absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                       precondition_resource_version, ", ResourceVersion in object meta: ", rv));
    }
    absl::StatusOr<std::shared_ptr<const StoredObject>> result =
        store.Commit(type.storage, key, current->resource_version, std::move(last),
                     /*deletion=*/true);
    if (!absl::IsAborted(result.status())) return result;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

namespace {

constexpr size_t kWatchChunkBytes = 256 * 1024;

bool Respond(HttpConnection& conn, const HttpRequest& request, int code, absl::string_view body,
             absl::string_view content_type = "application/json",
             absl::string_view extra_headers = "") {
  std::string head =
      ResponseHead(code, content_type, body.size(), request.keep_alive, extra_headers);
  if (body.size() < 64 * 1024) {
    if (!conn.WriteAll(absl::StrCat(head, body))) return false;
  } else if (!conn.WriteAll(head) || !conn.WriteAll(body)) {
    return false;
  }
  return request.keep_alive;
}

bool RespondJson(HttpConnection& conn, const HttpRequest& request, int code,
                 const nlohmann::json& body) {
  return Respond(conn, request, code, DumpJson(body));
}

bool RespondError(HttpConnection& conn, const HttpRequest& request, const absl::Status& status) {
  return RespondJson(conn, request, HttpCode(status), StatusJson(status));
}

// Go's strconv.ParseBool, which Kubernetes uses for query flags.
std::optional<bool> ParseBool(absl::string_view text) {
  for (absl::string_view yes : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (text == yes) return true;
  }
  for (absl::string_view no : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (text == no) return false;
  }
  return std::nullopt;
}

absl::StatusOr<bool> BoolParam(const HttpRequest& request, absl::string_view name) {
  std::optional<std::string> value = request.Query(name);
  if (!value.has_value() || value->empty()) return false;
  std::optional<bool> parsed = ParseBool(*value);
  if (!parsed.has_value()) {
    return BadRequestError(absl::StrCat("invalid value for ", name, ": ", *value));
  }
  return *parsed;
}

absl::StatusOr<uint64_t> ResourceVersionParam(absl::string_view text) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return BadRequestError(
        absl::StrCat("resourceVersion: Invalid value: \"", text, "\": must be an integer"));
  }
  return value;
}

absl::StatusOr<ObjectFilter> MakeFilter(const HttpRequest& request, const ResourcePath& path) {
  ObjectFilter filter;
  filter.namespace_ = path.namespace_;
  absl::StatusOr<LabelSelector> labels =
      LabelSelector::Parse(request.Query("labelSelector").value_or(""));
  if (!labels.ok()) return labels.status();
  filter.labels = *std::move(labels);
  std::string fields = request.Query("fieldSelector").value_or("");
  // A watch on one object's path is a watch of the collection with a name selector.
  if (!path.name.empty()) {
    fields = fields.empty() ? absl::StrCat("metadata.name=", path.name)
                            : absl::StrCat(fields, ",metadata.name=", path.name);
  }
  absl::StatusOr<FieldSelector> selector =
      FieldSelector::Parse(fields, path.type->kind == "Secret");
  if (!selector.ok()) return selector.status();
  filter.fields = *std::move(selector);
  return filter;
}

std::string ContinueToken(uint64_t resource_version, absl::string_view start) {
  nlohmann::json token = {
      {"v", "meta.k8s.io/v1"}, {"rv", resource_version}, {"start", std::string(start)}};
  return absl::WebSafeBase64Escape(DumpJson(token));
}

absl::Status ParseContinueToken(absl::string_view text, uint64_t* resource_version,
                                std::string* start) {
  std::string decoded;
  nlohmann::json token;
  if (absl::WebSafeBase64Unescape(text, &decoded)) {
    token = nlohmann::json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  }
  if (!token.is_object() || !token.contains("v") || token["v"] != "meta.k8s.io/v1" ||
      !token.contains("rv") || !token["rv"].is_number_unsigned() || !token.contains("start") ||
      !token["start"].is_string()) {
    return BadRequestError("continue key is not valid: incorrect encoded start resourceVersion");
  }
  *resource_version = token["rv"].get<uint64_t>();
  *start = token["start"].get<std::string>();
  return absl::OkStatus();
}

// Waits while the server is stalled; false when the connection closed meanwhile.
bool WaitWhileStalled(const ApiContext& ctx, HttpConnection& conn) {
  while (ctx.state.stalled()) {
    if (conn.Wait(absl::InfiniteFuture()) == HttpConnection::WaitResult::kClosed) return false;
  }
  return true;
}

// "Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" (or
// as=PartialObjectMetadata): objects as metadata only, as client-go's metadata informers ask.
bool WantsMetadataOnly(const HttpRequest& request) {
  return absl::StrContains(request.Header("accept"), "as=PartialObjectMetadata");
}

bool ServeList(const ApiContext& ctx, HttpConnection& conn, const HttpRequest& request,
               const ResourcePath& path) {
  const ResourceType& type = *path.type;
  absl::StatusOr<ObjectFilter> filter = MakeFilter(request, path);
  if (!filter.ok()) return RespondError(conn, request, filter.status());
  int64_t limit = 0;
  if (std::optional<std::string> text = request.Query("limit"); text && !text->empty()) {
    if (!absl::SimpleAtoi(*text, &limit)) {
      return RespondError(conn, request, BadRequestError("limit must be an integer"));
    }
  }
  std::string rv_param = request.Query("resourceVersion").value_or("");
  std::string match = request.Query("resourceVersionMatch").value_or("");
  std::string continue_param = request.Query("continue").value_or("");
  uint64_t at = 0;
  std::string start;
  bool continuing = !continue_param.empty();
  if (continuing) {
    if (!rv_param.empty() && rv_param != "0") {
      return RespondError(conn, request,
                          BadRequestError("specifying resource version is not "
                                          "allowed when using continue"));
    }
    if (absl::Status status = ParseContinueToken(continue_param, &at, &start); !status.ok()) {
      return RespondError(conn, request, status);
    }
    if (at == 0) at = 1;  // a token always names a snapshot
  } else if (!rv_param.empty() && rv_param != "0") {
    absl::StatusOr<uint64_t> requested = ResourceVersionParam(rv_param);
    if (!requested.ok()) return RespondError(conn, request, requested.status());
    uint64_t current = ctx.store.resource_version();
    if (*requested > current) {
      return RespondError(conn, request,
                          ApiError(504, "Timeout",
                                   absl::StrCat("Too large resource version: ", *requested,
                                                ", current: ", current)));
    }
    if (match == "Exact") at = *requested;
  } else if (!match.empty() && rv_param.empty()) {
    return RespondError(conn, request,
                        BadRequestError("resourceVersionMatch is forbidden unless "
                                        "resourceVersion is provided"));
  }
  absl::StatusOr<ObjectStore::Page> page =
      ctx.store.List(type.storage, *filter, start, at, limit > 0 ? static_cast<size_t>(limit) : 0);
  if (!page.ok()) {
    if (continuing && absl::IsOutOfRange(page.status())) {
      return RespondError(
          conn, request,
          ExpiredError("The provided continue parameter is too old to display a consistent "
                       "list result. You can start a new list without the continue parameter."));
    }
    return RespondError(conn, request, page.status());
  }
  nlohmann::json metadata = {{"resourceVersion", absl::StrCat(page->resource_version)}};
  if (!page->next_key.empty()) {
    metadata["continue"] = ContinueToken(page->resource_version, page->next_key);
  }
  // The body is sent from the stored texts themselves, not joined into one string first.
  const bool metadata_only = WantsMetadataOnly(request);
  std::string prefix =
      metadata_only
          ? absl::StrCat(R"({"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1",)",
                         "\"metadata\":", DumpJson(metadata), ",\"items\":[")
          : absl::StrCat("{\"kind\":\"", type.kind, "List\",\"apiVersion\":\"", type.api_version(),
                         "\",\"metadata\":", DumpJson(metadata), ",\"items\":[");
  // A real server leaves kind and apiVersion out of built-in kinds' items, not out of custom
  // resources'; for those every item starts with this, followed by its body after the '{'.
  const std::string type_meta =
      absl::StrCat("{\"apiVersion\":\"", type.api_version(), "\",\"kind\":\"", type.kind, "\"");
  std::vector<absl::string_view> pieces;
  pieces.reserve(page->items.size() * 3 + 4);
  pieces.push_back(prefix);
  for (size_t i = 0; i < page->items.size(); ++i) {
    absl::string_view body = page->items[i]->body;
    if (i > 0) pieces.push_back(",");
    if (metadata_only) {
      pieces.push_back(page->items[i]->metadata_only);
    } else if (!type.crd) {
      pieces.push_back(body);
    } else if (body.size() > 2) {
      pieces.push_back(type_meta);
      pieces.push_back(",");
      pieces.push_back(body.substr(1));
    } else {
      pieces.push_back(type_meta);
      pieces.push_back("}");
    }
  }
  pieces.push_back("]}");
  size_t size = 0;
  for (absl::string_view piece : pieces) size += piece.size();
  if (ctx.state.TakeCorruption(request.target)) {
    // Invalid JSON: the first half only.
    size_t keep = size / 2;
    size = keep;
    for (absl::string_view& piece : pieces) {
      piece = piece.substr(0, std::min(piece.size(), keep));
      keep -= piece.size();
    }
  }
  std::string head = ResponseHead(200, "application/json", size, request.keep_alive);
  pieces.insert(pieces.begin(), head);
  if (!conn.WriteAllV(pieces)) return false;
  return request.keep_alive;
}

std::string EventLine(absl::string_view event, absl::string_view object) {
  return absl::StrCat("{\"type\":\"", event, "\",\"object\":", object, "}\n");
}

// The line for `item` on a watch of `type` with `filter`, or nullopt when the watch does not
// see it. An object that stops matching the filter is DELETED for the watch; one that starts
// matching is ADDED.
std::optional<std::string> LineFor(const WatchItem& item, const ResourceType& type,
                                   const ObjectFilter& filter, bool metadata_only) {
  if (item.object == nullptr) {
    nlohmann::json bookmark = {
        {"kind", type.kind},
        {"apiVersion", type.api_version()},
        {"metadata", {{"resourceVersion", absl::StrCat(item.bookmark_resource_version)}}}};
    return EventLine("BOOKMARK", DumpJson(bookmark));
  }
  absl::string_view event;
  bool now = filter.Matches(*item.object);
  if (item.object->deleted) {
    if (!now) return std::nullopt;
    event = "DELETED";
  } else {
    bool before = item.previous != nullptr && filter.Matches(*item.previous);
    if (now) {
      event = before ? "MODIFIED" : "ADDED";
    } else if (before) {
      event = "DELETED";
    } else {
      return std::nullopt;
    }
  }
  return EventLine(event, metadata_only ? item.object->metadata_only
                                        : item.object->WithTypeMeta(type.api_version(), type.kind));
}

bool ServeWatch(const ApiContext& ctx, HttpConnection& conn, const HttpRequest& request,
                const ResourcePath& path) {
  const bool metadata_only = WantsMetadataOnly(request);
  const ResourceType& type = *path.type;
  absl::StatusOr<ObjectFilter> filter = MakeFilter(request, path);
  if (!filter.ok()) return RespondError(conn, request, filter.status());
  absl::StatusOr<bool> bookmarks = BoolParam(request, "allowWatchBookmarks");
  if (!bookmarks.ok()) return RespondError(conn, request, bookmarks.status());
  int64_t timeout_seconds = 0;
  if (std::optional<std::string> text = request.Query("timeoutSeconds"); text && !text->empty()) {
    if (!absl::SimpleAtoi(*text, &timeout_seconds)) {
      return RespondError(conn, request, BadRequestError("timeoutSeconds must be an integer"));
    }
  }
  std::optional<uint64_t> from;
  std::string rv_param = request.Query("resourceVersion").value_or("");
  if (!rv_param.empty() && rv_param != "0") {
    absl::StatusOr<uint64_t> parsed = ResourceVersionParam(rv_param);
    if (!parsed.ok()) return RespondError(conn, request, parsed.status());
    from = *parsed;
  }

  std::vector<WatchItem> replay;
  absl::StatusOr<uint64_t> id =
      ctx.store.StartWatch(type.storage, from, *bookmarks, conn.wake_fd(), &replay);
  if (!id.ok()) {
    // As a real server: the watch is accepted, then an ERROR event says why it ends.
    std::string line = EventLine("ERROR", DumpJson(StatusJson(id.status())));
    if (!conn.WriteAll(
            absl::StrCat(ChunkedResponseHead(200, "application/json"), Chunk(line), kLastChunk))) {
      return false;
    }
    return request.keep_alive;
  }
  absl::Cleanup stop = [&] { ctx.store.StopWatch(*id); };
  // The response head is bytes too: it waits for the first moment the server is not stalled.
  bool head_written = false;
  auto write_head = [&]() {
    if (head_written) return true;
    head_written = true;
    return conn.WriteAll(ChunkedResponseHead(200, "application/json"));
  };

  std::deque<WatchItem> pending(std::make_move_iterator(replay.begin()),
                                std::make_move_iterator(replay.end()));
  replay.clear();
  const absl::Time deadline =
      timeout_seconds > 0 ? absl::Now() + absl::Seconds(timeout_seconds) : absl::InfiniteFuture();
  const absl::Duration interval = ctx.options.bookmark_interval;
  absl::Time next_bookmark =
      interval > absl::ZeroDuration() ? absl::Now() + interval : absl::InfiniteFuture();
  for (;;) {
    bool stalled = ctx.state.stalled();
    bool bookmark_due = !stalled && absl::Now() >= next_bookmark;
    if (bookmark_due) next_bookmark = absl::Now() + interval;
    ObjectStore::WatchBatch batch = ctx.store.TakeWatchItems(*id, !stalled, bookmark_due);
    for (WatchItem& item : batch.items) pending.push_back(std::move(item));
    if (batch.cut) {
      if (batch.mid_event && !stalled) {
        std::optional<std::string> line;
        for (const WatchItem& item : pending) {
          if ((line = LineFor(item, type, *filter, metadata_only))) break;
        }
        if (!line.has_value()) {
          // Nothing pending: a made-up event, cut all the same.
          line = EventLine(
              "MODIFIED", absl::StrCat("{\"apiVersion\":\"", type.api_version(), "\",\"kind\":\"",
                                       type.kind, "\",\"metadata\":{\"name\":\"cut-mid-event\"}}"));
        }
        if (write_head()) {
          conn.WriteAll(Chunk(absl::string_view(*line).substr(0, line->size() / 2)));
        }
      }
      return false;  // the connection is closed with no terminating chunk
    }
    if (!stalled) {
      if (!write_head()) return false;
      std::string out;
      for (const WatchItem& item : pending) {
        std::optional<std::string> line = LineFor(item, type, *filter, metadata_only);
        if (!line.has_value()) continue;
        if (ctx.state.TakeCorruption(request.target)) {
          line->resize(line->size() / 2);
          line->push_back('\n');
        }
        out += *line;
        if (out.size() >= kWatchChunkBytes) {
          if (!conn.WriteAll(Chunk(out))) return false;
          out.clear();
        }
      }
      pending.clear();
      if (!out.empty() && !conn.WriteAll(Chunk(out))) return false;
      if (batch.end || absl::Now() >= deadline) {
        if (!conn.WriteAll(kLastChunk)) return false;
        return request.keep_alive;
      }
    }
    absl::Time wake_at = stalled ? absl::InfiniteFuture() : std::min(deadline, next_bookmark);
    if (conn.Wait(wake_at) == HttpConnection::WaitResult::kClosed) return false;
  }
}

absl::StatusOr<nlohmann::json> DecodeBody(const HttpRequest& request) {
  absl::string_view content_type = request.Header("content-type");
  if (absl::StrContains(content_type, "protobuf") || absl::StrContains(content_type, "cbor")) {
    // Clients that try a binary encoding first fall back to JSON on 415.
    return ApiError(415, "UnsupportedMediaType",
                    absl::StrCat("the body of the request was in an unknown format - accepted "
                                 "media types include: application/json, application/yaml"));
  }
  nlohmann::json body;
  if (absl::StrContains(content_type, "yaml")) {
    absl::StatusOr<nlohmann::json> parsed = k8s::YamlToJson({request.body, 0});
    if (!parsed.ok()) return BadRequestError(parsed.status().message());
    body = *std::move(parsed);
  } else {
    body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  }
  if (body.is_discarded() || !body.is_object()) {
    return BadRequestError(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml");
  }
  return body;
}

bool RespondObject(HttpConnection& conn, const HttpRequest& request, int code,
                   const ResourceType& type,
                   const absl::StatusOr<std::shared_ptr<const StoredObject>>& result) {
  if (!result.ok()) return RespondError(conn, request, result.status());
  return Respond(conn, request, code,
                 WantsMetadataOnly(request)
                     ? (*result)->metadata_only
                     : (*result)->WithTypeMeta(type.api_version(), type.kind));
}

bool ServeResource(const ApiContext& ctx, HttpConnection& conn, HttpRequest& request) {
  absl::StatusOr<ResourcePath> parsed =
      ctx.catalog.ParsePath(request.path, ctx.state.contour_crds());
  if (!parsed.ok()) return RespondError(conn, request, parsed.status());
  const ResourcePath& path = *parsed;
  const ResourceType& type = *path.type;
  const std::string& method = request.method;
  auto not_allowed = [&]() {
    return RespondError(conn, request,
                        ApiError(405, "MethodNotAllowed",
                                 "the server does not allow this method on the requested "
                                 "resource"));
  };
  absl::StatusOr<bool> watch = BoolParam(request, "watch");
  if (!watch.ok()) return RespondError(conn, request, watch.status());

  if (path.name.empty()) {
    if (method == "GET") {
      return *watch ? ServeWatch(ctx, conn, request, path) : ServeList(ctx, conn, request, path);
    }
    if (method == "POST") {
      if (type.namespaced && path.namespace_.empty()) return not_allowed();
      absl::StatusOr<nlohmann::json> body = DecodeBody(request);
      if (!body.ok()) return RespondError(conn, request, body.status());
      return RespondObject(
          conn, request, 201, type,
          CreateObject(ctx.store, type, path.namespace_, *std::move(body), WriteMode::kMain));
    }
    return not_allowed();
  }

  const WriteMode mode = path.subresource == "status" ? WriteMode::kStatus : WriteMode::kMain;
  const std::string key = StoreKey(path.namespace_, path.name);
  if (method == "GET") {
    if (*watch && path.subresource.empty()) return ServeWatch(ctx, conn, request, path);
    std::shared_ptr<const StoredObject> current = ctx.store.Latest(type.storage, key);
    if (current == nullptr) return RespondError(conn, request, NotFoundError(type, path.name));
    return RespondObject(conn, request, 200, type, current);
  }
  if (method == "PUT") {
    absl::StatusOr<nlohmann::json> body = DecodeBody(request);
    if (!body.ok()) return RespondError(conn, request, body.status());
    return RespondObject(conn, request, 200, type,
                         ReplaceObject(ctx.store, type, path.namespace_, path.name,
                                       *std::move(body), mode, /*create_if_absent=*/false));
  }
  if (method == "PATCH") {
    return RespondObject(conn, request, 200, type,
                         PatchObject(ctx.store, type, path.namespace_, path.name,
                                     request.Header("content-type"), request.body, mode));
  }
  if (method == "DELETE" && path.subresource.empty()) {
    std::string uid, resource_version;
    if (!request.body.empty()) {
      nlohmann::json options = nlohmann::json::parse(request.body, nullptr, false);
      if (options.is_discarded() || !options.is_object()) {
        return RespondError(conn, request, BadRequestError("malformed DeleteOptions"));
      }
      if (options.contains("preconditions") && options["preconditions"].is_object()) {
        uid = StringField(options["preconditions"], "uid");
        resource_version = StringField(options["preconditions"], "resourceVersion");
      }
    }
    absl::StatusOr<std::shared_ptr<const StoredObject>> deleted =
        DeleteObject(ctx.store, type, path.namespace_, path.name, uid, resource_version);
    if (!deleted.ok() || type.crd) return RespondObject(conn, request, 200, type, deleted);
    nlohmann::json details = {{"name", path.name}, {"kind", type.plural}};
    if (!type.group.empty()) details["group"] = type.group;
    nlohmann::json last = (*deleted)->Parse();
    details["uid"] = MetadataString(last, "uid");
    return RespondJson(conn, request, 200,
                       {{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", nlohmann::json::object()},
                        {"status", "Success"},
                        {"details", details}});
  }
  return not_allowed();
}

bool Authenticated(const ApiContext& ctx, const HttpRequest& request) {
  if (ctx.options.token.empty() && !ctx.options.require_client_cert) return true;
  if (request.client_cert_verified) return true;
  if (ctx.options.token.empty()) return false;
  absl::string_view authorization = request.Header("authorization");
  if (authorization.size() < 7 || !absl::EqualsIgnoreCase(authorization.substr(0, 7), "Bearer ")) {
    return false;
  }
  return absl::StripAsciiWhitespace(authorization.substr(7)) == ctx.options.token;
}

}  // namespace

bool ServeRequest(const ApiContext& ctx, HttpConnection& conn, HttpRequest& request) {
  if (!WaitWhileStalled(ctx, conn)) return false;
  absl::string_view path = request.path;
  if (path.size() > 1) absl::ConsumeSuffix(&path, "/");
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    return Respond(conn, request, 200, "ok", "text/plain; charset=utf-8");
  }
  if (!Authenticated(ctx, request)) {
    return RespondJson(conn, request, 401, StatusJsonForCode(401, "Unauthorized"));
  }
  if (std::optional<int> code = ctx.state.TakeFailure(request.target)) {
    absl::string_view message = *code == 429   ? "Too many requests, please try again later."
                                : *code >= 500 ? "Internal error occurred: injected fault"
                                               : "injected fault";
    return Respond(conn, request, *code, DumpJson(StatusJsonForCode(*code, message)),
                   "application/json", *code == 429 || *code == 503 ? "Retry-After: 1\r\n" : "");
  }
  bool contour = ctx.state.contour_crds();
  bool get = request.method == "GET";
  if (path == "/version") {
    if (!get) return RespondError(conn, request, ApiError(405, "MethodNotAllowed", "GET only"));
    return RespondJson(conn, request, 200,
                       {{"major", "1"},
                        {"minor", "20"},
                        {"gitVersion", "v1.20.2-fake"},
                        {"gitCommit", "0000000000000000000000000000000000000000"},
                        {"gitTreeState", "clean"},
                        {"buildDate", "2021-01-13T13:20:00Z"},
                        {"goVersion", "go1.15.5"},
                        {"compiler", "gc"},
                        {"platform", "linux/amd64"}});
  }
  std::optional<nlohmann::json> discovery;
  if (path == "/api") {
    discovery = ctx.catalog.ApiVersions(ctx.port);
  } else if (path == "/apis") {
    discovery = ctx.catalog.ApiGroupList(contour);
  } else if (path == "/api/v1") {
    discovery = ctx.catalog.ApiResourceList("", "v1", contour);
  } else if (absl::StartsWith(path, "/apis/")) {
    std::vector<absl::string_view> parts = absl::StrSplit(path.substr(6), '/');
    if (parts.size() == 1) discovery = ctx.catalog.ApiGroup(parts[0], contour);
    if (parts.size() == 2) discovery = ctx.catalog.ApiResourceList(parts[0], parts[1], contour);
    if (parts.size() <= 2 && !discovery.has_value()) {
      return RespondError(conn, request, ApiError(404, "NotFound", "404 page not found"));
    }
  }
  if (discovery.has_value()) {
    if (!get) return RespondError(conn, request, ApiError(405, "MethodNotAllowed", "GET only"));
    return RespondJson(conn, request, 200, *discovery);
  }
  return ServeResource(ctx, conn, request);
}

}  // namespace contour::testing::fake_apiserver_internal
