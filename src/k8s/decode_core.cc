// core/v1 kinds: Service, Endpoints, Secret. Defaults are the API server's, since objects read
// from files never went through it.
#include "absl/strings/str_cat.h"
#include "k8s/base64.h"
#include "k8s/decode_kinds.h"

namespace contour::k8s::internal {
namespace {

using nlohmann::json;

// A port number that must be present and in range.
void ReadRequiredPort(const json& object, FieldReader& reader, int64_t& out) {
  if (FieldReader::Find(object, "port") == nullptr) return reader.Required("port");
  if (reader.ReadInt(object, "port", out)) CheckPortRange(reader, "port", out);
}

void DecodeServicePort(const json& item, FieldReader& reader, ServicePort& out) {
  reader.ReadString(item, "name", out.name);
  reader.ReadString(item, "protocol", out.protocol);
  ReadRequiredPort(item, reader, out.port);
  if (FieldReader::Find(item, "targetPort") == nullptr) {
    out.target_port.int_value = out.port;  // the API server defaults targetPort to port
  } else {
    reader.ReadIntOrString(item, "targetPort", out.target_port);
  }
}

void DecodeAddress(const json& item, FieldReader& reader, EndpointAddress& out) {
  reader.ReadString(item, "ip", out.ip);
}

void DecodeEndpointPort(const json& item, FieldReader& reader, EndpointPort& out) {
  reader.ReadString(item, "name", out.name);
  ReadRequiredPort(item, reader, out.port);
  reader.ReadString(item, "protocol", out.protocol);
}

void DecodeSubset(const json& item, FieldReader& reader, EndpointSubset& out) {
  reader.ReadList(item, "addresses", out.addresses, DecodeAddress);
  reader.ReadList(item, "notReadyAddresses", out.not_ready_addresses, DecodeAddress);
  reader.ReadList(item, "ports", out.ports, DecodeEndpointPort);
}

}  // namespace

void DecodeService(const json& object, FieldReader& reader, Service& out) {
  DecodeMetadata(object, reader, out.metadata);
  out.type = "ClusterIP";
  const json* spec = reader.ObjectField(object, "spec");
  if (spec == nullptr) return;
  FieldReader::Scope scope(reader, "spec");
  reader.ReadString(*spec, "type", out.type);
  if (out.type.empty()) out.type = "ClusterIP";
  reader.ReadString(*spec, "externalName", out.external_name);
  reader.ReadList(*spec, "ports", out.ports, DecodeServicePort);
}

void DecodeEndpoints(const json& object, FieldReader& reader, Endpoints& out) {
  DecodeMetadata(object, reader, out.metadata);
  reader.ReadList(object, "subsets", out.subsets, DecodeSubset);
}

void DecodeSecret(const json& object, FieldReader& reader, Secret& out) {
  DecodeMetadata(object, reader, out.metadata);
  reader.ReadString(object, "type", out.type);
  if (out.type.empty()) out.type = "Opaque";
  if (const json* data = reader.ObjectField(object, "data")) {
    FieldReader::Scope scope(reader, "data");
    for (const auto& [key, value] : data->items()) {
      if (value.is_null()) {
        out.data.insert_or_assign(key, std::string());
        continue;
      }
      if (!value.is_string()) {
        reader.Error(key, absl::StrCat("expected a base64 string, got ", value.type_name()));
        continue;
      }
      std::optional<std::string> bytes = DecodeStdBase64(value.get_ref<const std::string&>());
      if (!bytes.has_value()) {
        reader.Error(key, "invalid base64");
        continue;
      }
      out.data.insert_or_assign(key, *std::move(bytes));
    }
  }
  // stringData is write-only sugar: the API server merges it over data.
  reader.ReadStringMap(object, "stringData", out.data);
}

}  // namespace contour::k8s::internal
