#include "cli/resource_printer.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "yaml-cpp/yaml.h"

namespace contour::cli {
namespace {

template <typename Message>
absl::Status AppendAll(const std::vector<Message>& messages, nlohmann::json& into) {
  into = nlohmann::json::array();
  for (const Message& message : messages) {
    absl::StatusOr<nlohmann::json> json = ProtoToJson(message);
    if (!json.ok()) return json.status();
    into.push_back(*std::move(json));
  }
  return absl::OkStatus();
}

void EmitYaml(const nlohmann::json& value, YAML::Emitter& out) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        EmitYaml(item, out);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) EmitYaml(item, out);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      // Quote strings so that "true", "80" or "null" stay strings when read back.
      out << YAML::DoubleQuoted << value.get_ref<const std::string&>();
      break;
    }
    case nlohmann::json::value_t::boolean:
      out << value.get<bool>();
      break;
    case nlohmann::json::value_t::number_integer:
      out << value.get<int64_t>();
      break;
    case nlohmann::json::value_t::number_unsigned:
      out << value.get<uint64_t>();
      break;
    case nlohmann::json::value_t::number_float:
      out << value.get<double>();
      break;
    default:
      out << YAML::Null;
      break;
  }
}

nlohmann::json StatusToJson(const dag::Status& status) {
  return nlohmann::json{{"kind", status.kind},
                        {"namespace", status.namespace_},
                        {"name", status.name},
                        {"currentStatus", status.current_status},
                        {"description", status.description},
                        {"vhost", status.vhost}};
}

}  // namespace

absl::StatusOr<nlohmann::json> ProtoToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  // protobuf 3.21 has its own Status type.
  const auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("printing ", message.GetTypeName(),
                                            " as JSON: ", std::string(status.message())));
  }
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return absl::InternalError("protobuf printed invalid JSON");
  return json;
}

absl::StatusOr<nlohmann::json> RenderedToJson(const server::Rendered& rendered,
                                              const PrintOptions& options) {
  nlohmann::json document = nlohmann::json::object();
  auto wanted = [&](const char* type) { return options.type == "all" || options.type == type; };
  absl::Status status;
  if (wanted("listeners"))
    status.Update(AppendAll(rendered.resources.listeners, document["listeners"]));
  if (wanted("routes")) status.Update(AppendAll(rendered.resources.routes, document["routes"]));
  if (wanted("clusters"))
    status.Update(AppendAll(rendered.resources.clusters, document["clusters"]));
  if (wanted("endpoints")) status.Update(AppendAll(rendered.endpoints, document["endpoints"]));
  if (wanted("secrets")) status.Update(AppendAll(rendered.resources.secrets, document["secrets"]));
  if (!status.ok()) return status;
  if (options.statuses) {
    nlohmann::json& statuses = document["statuses"] = nlohmann::json::array();
    for (const dag::Status& s : rendered.statuses) statuses.push_back(StatusToJson(s));
  }
  return document;
}

std::string JsonToYaml(const nlohmann::json& document) {
  YAML::Emitter out;
  out.SetIndent(2);
  EmitYaml(document, out);
  return std::string(out.c_str()) + "\n";
}

}  // namespace contour::cli
