// Ingress in every version contour meets: extensions/v1beta1 and networking.k8s.io/v1beta1
// (serviceName/servicePort) and networking.k8s.io/v1 (service.name, service.port.number|name).
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "k8s/decode_kinds.h"

namespace contour::k8s::internal {
namespace {

using nlohmann::json;

void DecodeBackendV1beta1(const json& backend, FieldReader& reader, IngressBackend& out) {
  if (reader.ReadString(backend, "serviceName", out.service_name) && out.service_name.empty()) {
    reader.Required("serviceName");
  }
  if (FieldReader::Find(backend, "servicePort") == nullptr) {
    reader.Required("servicePort");
  } else if (reader.ReadIntOrString(backend, "servicePort", out.service_port) &&
             !out.service_port.is_string) {
    CheckPortRange(reader, "servicePort", out.service_port.int_value);
  }
}

void DecodeServicePortV1(const json& port, FieldReader& reader, IntOrString& out) {
  int64_t number = 0;
  std::string name;
  bool number_ok = reader.ReadInt(port, "number", number);
  bool name_ok = reader.ReadString(port, "name", name);
  if (!number_ok || !name_ok) return;
  if (number != 0 && !name.empty()) {
    return reader.Error("", "only one of number and name may be set");
  }
  if (!name.empty()) {
    out.is_string = true;
    out.string_value = std::move(name);
    return;
  }
  if (number == 0) return reader.Required("");
  CheckPortRange(reader, "number", number);
  out.int_value = number;
}

void DecodeBackendV1(const json& backend, FieldReader& reader, IngressBackend& out) {
  const json* service = reader.ObjectField(backend, "service");
  if (service == nullptr) {
    if (FieldReader::Find(backend, "service") == nullptr) reader.Required("service");
    return;
  }
  FieldReader::Scope scope(reader, "service");
  if (reader.ReadString(*service, "name", out.service_name) && out.service_name.empty()) {
    reader.Required("name");
  }
  const json* port = reader.ObjectField(*service, "port");
  if (port == nullptr) {
    if (FieldReader::Find(*service, "port") == nullptr) reader.Required("port");
    return;
  }
  FieldReader::Scope port_scope(reader, "port");
  DecodeServicePortV1(*port, reader, out.service_port);
}

// Reads object[key] as a backend; absent or null leaves nullopt.
void ReadBackend(const json& object, std::string_view key, IngressSchema schema,
                 FieldReader& reader, std::optional<IngressBackend>& out) {
  const json* backend = reader.ObjectField(object, key);
  if (backend == nullptr) return;
  FieldReader::Scope scope(reader, key);
  IngressBackend& decoded = out.emplace();
  if (schema == IngressSchema::kV1) {
    DecodeBackendV1(*backend, reader, decoded);
  } else {
    DecodeBackendV1beta1(*backend, reader, decoded);
  }
}

}  // namespace

void DecodeIngress(const json& object, IngressSchema schema, FieldReader& reader, Ingress& out) {
  DecodeMetadata(object, reader, out.metadata);
  const json* spec = reader.ObjectField(object, "spec");
  if (spec == nullptr) return;
  FieldReader::Scope scope(reader, "spec");
  if (FieldReader::Find(*spec, "ingressClassName") != nullptr) {
    reader.ReadString(*spec, "ingressClassName", out.ingress_class_name.emplace());
  }
  ReadBackend(*spec, schema == IngressSchema::kV1 ? "defaultBackend" : "backend", schema, reader,
              out.default_backend);
  reader.ReadList(*spec, "tls", out.tls,
                  [](const json& item, FieldReader& reader, IngressTLS& tls) {
                    reader.ReadStringList(item, "hosts", tls.hosts);
                    reader.ReadString(item, "secretName", tls.secret_name);
                  });
  reader.ReadList(*spec, "rules", out.rules,
                  [schema](const json& item, FieldReader& reader, IngressRule& rule) {
                    reader.ReadString(item, "host", rule.host);
                    const json* http = reader.ObjectField(item, "http");
                    if (http == nullptr) return;
                    FieldReader::Scope http_scope(reader, "http");
                    reader.ReadList(
                        *http, "paths", rule.paths,
                        [schema](const json& path_item, FieldReader& reader, IngressPath& path) {
                          reader.ReadString(path_item, "path", path.path);
                          reader.ReadString(path_item, "pathType", path.path_type);
                          std::optional<IngressBackend> backend;
                          ReadBackend(path_item, "backend", schema, reader, backend);
                          if (backend.has_value()) {
                            path.backend = *std::move(backend);
                          } else if (FieldReader::Find(path_item, "backend") == nullptr) {
                            reader.Required("backend");
                          }
                        });
                  });
}

}  // namespace contour::k8s::internal
