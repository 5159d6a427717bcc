#include "k8s/decode.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "k8s/decode_kinds.h"
#include "k8s/field_reader.h"
#include "k8s/json_size.h"
#include "k8s/yaml_to_json.h"

namespace contour::k8s {
namespace {

using nlohmann::json;

// Names quoted back in messages are cut short: a 10 MB name must not become a 10 MB message.
constexpr size_t kMaxQuotedLength = 253;

std::string Clip(std::string_view text) {
  if (text.size() <= kMaxQuotedLength) return std::string(text);
  return std::string(text.substr(0, kMaxQuotedLength)) + "...";
}

const std::string* StringField(const json& object, std::string_view key) {
  const json* value = FieldReader::Find(object, key);
  return value != nullptr && value->is_string() ? &value->get_ref<const std::string&>() : nullptr;
}

// Who an issue is about, read leniently so that even a broken object is named.
struct Identity {
  std::string kind;
  std::string namespace_;
  std::string name;
};

Identity IdentityOf(const json& object) {
  Identity identity;
  if (const std::string* kind = StringField(object, "kind")) identity.kind = Clip(*kind);
  if (const json* metadata = FieldReader::Find(object, "metadata")) {
    if (const std::string* name = StringField(*metadata, "name")) identity.name = Clip(*name);
    if (const std::string* ns = StringField(*metadata, "namespace")) {
      identity.namespace_ = Clip(*ns);
    }
  }
  if (!identity.name.empty() && identity.namespace_.empty()) identity.namespace_ = "default";
  return identity;
}

struct Decoded {
  std::optional<Object> object;
  std::vector<FieldError> errors;         // the object is malformed
  std::optional<FieldError> unsupported;  // a kind or version contour does not read
};

template <typename T, typename Decode>
Decoded DecodeAs(const json& object, FieldReader& reader, Decode decode) {
  T typed;
  decode(object, reader, typed);
  if (!reader.ok()) return Decoded{std::nullopt, std::move(reader.errors())};
  return Decoded{Object(std::move(typed))};
}

Decoded UnsupportedVersion(const std::string& api_version, const std::string& kind) {
  return Decoded{
      std::nullopt,
      {},
      FieldError{"apiVersion", absl::StrCat("\"", Clip(api_version),
                                            "\" is not supported for kind ", kind, ", skipped")}};
}

Decoded DecodeOne(const json& object) {
  FieldReader reader;
  if (!object.is_object()) {
    reader.Error("", absl::StrCat("expected an object, got ", object.type_name()));
    return Decoded{std::nullopt, std::move(reader.errors())};
  }
  std::string api_version;
  std::string kind;
  if (reader.ReadString(object, "apiVersion", api_version) && api_version.empty()) {
    reader.Required("apiVersion");
  }
  if (reader.ReadString(object, "kind", kind) && kind.empty()) reader.Required("kind");
  if (!reader.ok()) return Decoded{std::nullopt, std::move(reader.errors())};

  using internal::IngressSchema;
  if (kind == "Service" || kind == "Endpoints" || kind == "Secret") {
    if (api_version != "v1") return UnsupportedVersion(api_version, kind);
    if (kind == "Service") return DecodeAs<Service>(object, reader, internal::DecodeService);
    if (kind == "Endpoints") return DecodeAs<Endpoints>(object, reader, internal::DecodeEndpoints);
    return DecodeAs<Secret>(object, reader, internal::DecodeSecret);
  }
  if (kind == "Ingress") {
    IngressSchema schema;
    if (api_version == "extensions/v1beta1" || api_version == "networking.k8s.io/v1beta1") {
      schema = IngressSchema::kV1beta1;
    } else if (api_version == "networking.k8s.io/v1") {
      schema = IngressSchema::kV1;
    } else {
      return UnsupportedVersion(api_version, kind);
    }
    return DecodeAs<Ingress>(object, reader, [&](const json& o, FieldReader& r, Ingress& ingress) {
      ingress.api_version = api_version;
      internal::DecodeIngress(o, schema, r, ingress);
    });
  }
  if (kind == "IngressRoute" || kind == "TLSCertificateDelegation") {
    if (api_version != "contour.heptio.com/v1beta1") return UnsupportedVersion(api_version, kind);
    if (kind == "IngressRoute") {
      return DecodeAs<IngressRoute>(object, reader, internal::DecodeIngressRoute);
    }
    return DecodeAs<TLSCertificateDelegation>(object, reader,
                                              internal::DecodeTLSCertificateDelegation);
  }
  return Decoded{std::nullopt,
                 {},
                 FieldError{"kind", absl::StrCat("unsupported kind \"", Clip(kind), "\" (",
                                                 Clip(api_version), "), skipped")}};
}

bool IsList(const json& value) {
  const std::string* kind = StringField(value, "kind");
  return kind != nullptr && kind->ends_with("List") && value.contains("items");
}

std::string JoinField(std::string_view prefix, std::string_view field) {
  if (prefix.empty()) return std::string(field);
  if (field.empty()) return std::string(prefix);
  std::string joined(prefix);
  joined.push_back('.');
  joined.append(field);
  return joined;
}

// Decodes the documents of one input into a DecodeResult.
class ManifestDecoder {
 public:
  explicit ManifestDecoder(std::string_view source) : source_(source) {}

  // `check_size`: whether objects might exceed the API server's limit and must be measured.
  void AddDocument(const json& value, int document, bool check_size) {
    if (value.is_null()) return;
    if (!IsList(value)) return AddObject(value, document, "", check_size);
    const json& items = value["items"];
    if (items.is_null()) return;
    if (!items.is_array()) {
      Identity identity = IdentityOf(value);
      return AddIssue(
          result_.errors, document, identity,
          FieldError{"items", absl::StrCat("expected an array, got ", items.type_name())});
    }
    result_.objects.reserve(result_.objects.size() + items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      AddObject(items[i], document, absl::StrCat("items[", i, "]"), check_size);
    }
  }

  void AddDocumentError(int document, std::string message) {
    AddIssue(result_.errors, document, Identity{}, FieldError{"", std::move(message)});
  }

  DecodeResult Finish() && { return std::move(result_); }

 private:
  void AddObject(const json& value, int document, std::string_view prefix, bool check_size) {
    if (check_size && EstimateJsonSize(value, kMaxObjectBytes) > kMaxObjectBytes) {
      return AddIssue(result_.errors, document, IdentityOf(value),
                      FieldError{std::string(prefix),
                                 absl::StrCat("object is larger than the API server's limit of ",
                                              kMaxObjectBytes, " bytes (3 MiB)")});
    }
    Decoded decoded = DecodeOne(value);
    if (decoded.object.has_value()) {
      result_.objects.push_back(*std::move(decoded.object));
      return;
    }
    Identity identity = IdentityOf(value);
    if (decoded.unsupported.has_value()) {
      decoded.unsupported->field = JoinField(prefix, decoded.unsupported->field);
      return AddIssue(result_.warnings, document, identity, *std::move(decoded.unsupported));
    }
    for (FieldError& error : decoded.errors) {
      error.field = JoinField(prefix, error.field);
      AddIssue(result_.errors, document, identity, std::move(error));
    }
  }

  void AddIssue(std::vector<DecodeIssue>& issues, int document, const Identity& identity,
                FieldError error) {
    issues.push_back(DecodeIssue{std::string(source_), document, identity.kind, identity.namespace_,
                                 identity.name, std::move(error.field), std::move(error.message)});
  }

  std::string_view source_;
  DecodeResult result_;
};

bool LooksLikeJson(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

std::string NestingMessage() {
  return absl::StrCat("document is nested deeper than ", kMaxNestingDepth, " levels");
}

}  // namespace

std::string DecodeIssue::ToString() const {
  std::vector<std::string> parts;
  if (!source.empty()) parts.push_back(source);
  if (document >= 0) parts.push_back(absl::StrCat("document ", document));
  std::string object = kind;
  if (!name.empty()) {
    if (!object.empty()) object.push_back(' ');
    absl::StrAppend(&object, namespace_.empty() ? "" : namespace_ + "/", name);
  }
  if (!object.empty()) parts.push_back(std::move(object));
  if (!field.empty()) parts.push_back(field);
  parts.push_back(message);
  return absl::StrJoin(parts, ": ");
}

DecodeResult DecodeManifests(std::string_view text, std::string_view source) {
  ManifestDecoder decoder(source);
  // JSON is parsed as JSON (much faster); what fails to parse is tried as YAML, which also
  // accepts YAML flow mappings that look like JSON.
  if (LooksLikeJson(text)) {
    if (JsonTextDepth(text) > kMaxNestingDepth) {
      decoder.AddDocumentError(0, NestingMessage());
      return std::move(decoder).Finish();
    }
    std::optional<json> parsed;
    try {
      json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      if (!value.is_discarded()) parsed = std::move(value);
    } catch (const std::exception&) {
      // Not JSON after all; YAML reports the problem.
    }
    if (parsed.has_value()) {
      decoder.AddDocument(*parsed, 0, text.size() > kMaxObjectBytes);
      return std::move(decoder).Finish();
    }
  }
  std::vector<YamlDocument> documents = SplitYamlDocuments(text);
  for (size_t i = 0; i < documents.size(); ++i) {
    int index = static_cast<int>(i);
    absl::StatusOr<json> value = YamlToJson(documents[i]);
    if (!value.ok()) {
      decoder.AddDocumentError(index, std::string(value.status().message()));
      continue;
    }
    // Aliases can make a small document large, so YAML is always measured.
    decoder.AddDocument(*value, index, /*check_size=*/true);
  }
  return std::move(decoder).Finish();
}

absl::StatusOr<Object> DecodeObject(const json& json) {
  Decoded decoded = DecodeOne(json);
  if (decoded.object.has_value()) return *std::move(decoded.object);
  Identity identity = IdentityOf(json);
  auto describe = [&identity](FieldError error) {
    return DecodeIssue{"",          -1,           identity.kind, identity.namespace_, identity.name,
                       error.field, error.message}
        .ToString();
  };
  if (decoded.unsupported.has_value()) {
    return absl::NotFoundError(describe(*std::move(decoded.unsupported)));
  }
  std::vector<std::string> messages;
  for (FieldError& error : decoded.errors) messages.push_back(describe(std::move(error)));
  return absl::InvalidArgumentError(absl::StrJoin(messages, "; "));
}

}  // namespace contour::k8s
