#include "leadership/lock.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "k8s/api_client.h"
#include "nlohmann/json.hpp"

namespace contour::leadership {
namespace {

// This absl's string_view is not std::string_view.
absl::string_view Sv(std::string_view text) { return {text.data(), text.size()}; }

// One class for both kinds: they differ only in where the record sits in the object.
class ObjectLock final : public Lock {
 public:
  enum class Kind { kConfigMap, kLease };

  ObjectLock(k8s::ApiClient& client, Kind kind, std::string namespace_, std::string name,
             std::string identity)
      : client_(client),
        kind_(kind),
        namespace_(std::move(namespace_)),
        name_(std::move(name)),
        identity_(std::move(identity)) {}

  absl::StatusOr<std::optional<LockState>> Get(absl::Duration timeout) override {
    ASSIGN_OR_RETURN(k8s::HttpResponse response, Call("GET", ObjectPath(), "", timeout));
    if (response.status == 404) {
      object_.reset();
      return std::nullopt;
    }
    if (response.status != 200) return HttpError("GET", response);
    return Accept(response);
  }

  absl::StatusOr<LockState> Create(const LeaderElectionRecord& record,
                                   absl::Duration timeout) override {
    nlohmann::json object = {{"apiVersion", ApiVersion()},
                             {"kind", KindName()},
                             {"metadata", {{"namespace", namespace_}, {"name", name_}}}};
    WriteRecord(object, record);
    ASSIGN_OR_RETURN(k8s::HttpResponse response,
                     Call("POST", CollectionPath(), object.dump(), timeout));
    if (response.status == 409) {
      return absl::AlreadyExistsError(absl::StrCat(Describe(), " exists already"));
    }
    if (response.status != 200 && response.status != 201) return HttpError("POST", response);
    return Accept(response);
  }

  absl::StatusOr<LockState> Update(const LeaderElectionRecord& record,
                                   std::string_view resource_version,
                                   absl::Duration timeout) override {
    if (!object_.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("updating ", Describe(), " before reading or creating it"));
    }
    nlohmann::json object = *object_;
    WriteRecord(object, record);
    object["metadata"]["resourceVersion"] = std::string(resource_version);
    ASSIGN_OR_RETURN(k8s::HttpResponse response, Call("PUT", ObjectPath(), object.dump(), timeout));
    if (response.status == 409) {
      return absl::AbortedError(absl::StrCat(Describe(), " was changed by someone else"));
    }
    if (response.status == 404) {
      object_.reset();
      return absl::NotFoundError(absl::StrCat(Describe(), " is gone"));
    }
    if (response.status != 200 && response.status != 201) return HttpError("PUT", response);
    return Accept(response);
  }

  std::string Describe() const override {
    return absl::StrCat(kind_ == Kind::kConfigMap ? "configmaps " : "leases ", namespace_, "/",
                        name_);
  }

  const std::string& identity() const override { return identity_; }

 private:
  std::string ApiVersion() const {
    return kind_ == Kind::kConfigMap ? "v1" : "coordination.k8s.io/v1";
  }
  std::string KindName() const { return kind_ == Kind::kConfigMap ? "ConfigMap" : "Lease"; }

  std::string CollectionPath() const {
    return absl::StrCat(kind_ == Kind::kConfigMap ? "/api/v1" : "/apis/coordination.k8s.io/v1",
                        "/namespaces/", k8s::QueryEscape(namespace_),
                        kind_ == Kind::kConfigMap ? "/configmaps" : "/leases");
  }
  std::string ObjectPath() const {
    return absl::StrCat(CollectionPath(), "/", k8s::QueryEscape(name_));
  }

  absl::StatusOr<k8s::HttpResponse> Call(std::string_view method, const std::string& path,
                                         const std::string& body, absl::Duration timeout) {
    // A call without time left would only wait for nothing.
    if (timeout <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(Sv(method), " ", Describe(), ": no time left"));
    }
    k8s::RequestOptions options;
    options.timeout = timeout;
    absl::StatusOr<k8s::HttpResponse> response = client_.Request(method, path, body, options);
    if (!response.ok()) {
      return absl::Status(response.status().code(), absl::StrCat(Sv(method), " ", Describe(), ": ",
                                                                 response.status().message()));
    }
    return response;
  }

  absl::Status HttpError(std::string_view method, const k8s::HttpResponse& response) const {
    std::string text = absl::StrCat(Sv(method), " ", Describe(), ": HTTP ", response.status);
    if (std::string message = k8s::StatusMessage(response.body); !message.empty()) {
      absl::StrAppend(&text, ": ", message);
    }
    return absl::UnavailableError(text);
  }

  // The object the server returned: its record, kept for the next Update.
  absl::StatusOr<LockState> Accept(const k8s::HttpResponse& response) {
    nlohmann::json object = nlohmann::json::parse(response.body, nullptr, false);
    if (!object.is_object()) {
      return absl::UnavailableError(absl::StrCat(Describe(), ": the server sent no object"));
    }
    LockState state;
    const nlohmann::json& metadata = object.contains("metadata") ? object["metadata"] : object;
    if (metadata.is_object() && metadata.contains("resourceVersion") &&
        metadata["resourceVersion"].is_string()) {
      state.resource_version = metadata["resourceVersion"].get<std::string>();
    }
    if (kind_ == Kind::kConfigMap) {
      const nlohmann::json* annotations = nullptr;
      if (metadata.is_object() && metadata.contains("annotations") &&
          metadata["annotations"].is_object()) {
        annotations = &metadata["annotations"];
      }
      if (annotations != nullptr && annotations->contains(kLeaderAnnotation) &&
          (*annotations)[kLeaderAnnotation].is_string()) {
        state.raw_record = (*annotations)[kLeaderAnnotation].get<std::string>();
        absl::StatusOr<LeaderElectionRecord> record = DecodeConfigMapRecord(state.raw_record);
        if (!record.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              Describe(), ": annotation ", kLeaderAnnotation, ": ", record.status().message()));
        }
        state.record = *std::move(record);
      }
    } else {
      absl::StatusOr<LeaderElectionRecord> record =
          DecodeLeaseSpec(object.contains("spec") ? object["spec"] : nlohmann::json());
      if (!record.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Describe(), ": spec: ", record.status().message()));
      }
      state.record = *std::move(record);
      state.raw_record = EncodeLeaseSpec(state.record);
    }
    object_ = std::move(object);
    return state;
  }

  void WriteRecord(nlohmann::json& object, const LeaderElectionRecord& record) const {
    if (kind_ == Kind::kConfigMap) {
      nlohmann::json& annotations = object["metadata"]["annotations"];
      if (!annotations.is_object()) annotations = nlohmann::json::object();
      annotations[kLeaderAnnotation] = EncodeConfigMapRecord(record);
      return;
    }
    nlohmann::json spec = nlohmann::json::parse(EncodeLeaseSpec(record));
    // A zero time is absent on the server; leave it out rather than send null.
    for (const char* time : {"acquireTime", "renewTime"}) {
      if (spec[time].is_null()) spec.erase(time);
    }
    object["spec"] = std::move(spec);
  }

  k8s::ApiClient& client_;
  const Kind kind_;
  const std::string namespace_;
  const std::string name_;
  const std::string identity_;
  // The object as last read or written: its other fields go back unchanged with the next Update.
  std::optional<nlohmann::json> object_;
};

}  // namespace

std::unique_ptr<Lock> MakeConfigMapLock(k8s::ApiClient& client, std::string namespace_,
                                        std::string name, std::string identity) {
  return std::make_unique<ObjectLock>(client, ObjectLock::Kind::kConfigMap, std::move(namespace_),
                                      std::move(name), std::move(identity));
}

std::unique_ptr<Lock> MakeLeaseLock(k8s::ApiClient& client, std::string namespace_,
                                    std::string name, std::string identity) {
  return std::make_unique<ObjectLock>(client, ObjectLock::Kind::kLease, std::move(namespace_),
                                      std::move(name), std::move(identity));
}

}  // namespace contour::leadership
