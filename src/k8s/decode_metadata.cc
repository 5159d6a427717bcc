// metadata, with the checks the API server applies to names and annotations.
#include "absl/strings/str_cat.h"
#include "k8s/decode_kinds.h"
#include "k8s/names.h"

namespace contour::k8s::internal {
namespace {

// apimachinery's TotalAnnotationSizeLimitB.
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

void CheckName(FieldReader& reader, const std::string& name) {
  if (name.empty()) return reader.Required("name");
  if (name.size() > kMaxDns1123SubdomainLength) {
    return reader.Error(
        "name", absl::StrCat("must be no more than ", kMaxDns1123SubdomainLength, " characters"));
  }
  if (!IsDns1123Subdomain(name)) {
    reader.Error("name", absl::StrCat("\"", name, "\" is not a lowercase RFC 1123 subdomain"));
  }
}

void CheckNamespace(FieldReader& reader, const std::string& namespace_) {
  if (namespace_.size() > kMaxDns1123LabelLength) {
    return reader.Error(
        "namespace", absl::StrCat("must be no more than ", kMaxDns1123LabelLength, " characters"));
  }
  if (!IsDns1123Label(namespace_)) {
    reader.Error("namespace",
                 absl::StrCat("\"", namespace_, "\" is not a lowercase RFC 1123 label"));
  }
}

}  // namespace

void DecodeMetadata(const nlohmann::json& object, FieldReader& reader, ObjectMeta& out) {
  const nlohmann::json* metadata = reader.ObjectField(object, "metadata");
  if (metadata == nullptr) {
    if (FieldReader::Find(object, "metadata") == nullptr) reader.Required("metadata.name");
    return;
  }
  FieldReader::Scope scope(reader, "metadata");
  if (reader.ReadString(*metadata, "name", out.name)) CheckName(reader, out.name);
  if (reader.ReadString(*metadata, "namespace", out.namespace_)) {
    if (out.namespace_.empty()) {
      out.namespace_ = "default";
    } else {
      CheckNamespace(reader, out.namespace_);
    }
  }
  reader.ReadString(*metadata, "resourceVersion", out.resource_version);
  reader.ReadString(*metadata, "uid", out.uid);
  if (reader.ReadStringMap(*metadata, "annotations", out.annotations)) {
    size_t total = 0;
    for (const auto& [key, value] : out.annotations) total += key.size() + value.size();
    if (total > kMaxAnnotationBytes) {
      reader.Error("annotations", absl::StrCat("must have at most ", kMaxAnnotationBytes,
                                               " bytes in total, got ", total));
    }
  }
  reader.ReadStringMap(*metadata, "labels", out.labels);
}

void CheckPortRange(FieldReader& reader, std::string_view key, int64_t port) {
  if (port < 1 || port > 65535) {
    reader.Error(key, absl::StrCat("must be between 1 and 65535, got ", port));
  }
}

}  // namespace contour::k8s::internal
