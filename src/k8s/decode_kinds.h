// The decoder of each kind: fills a typed object from its JSON, recording every problem (wrong
// types, missing required fields, values the API server would refuse) in the reader. Callers
// keep the object only when the reader stays ok.
#ifndef CONTOUR_K8S_DECODE_KINDS_H_
#define CONTOUR_K8S_DECODE_KINDS_H_

#include "k8s/field_reader.h"
#include "k8s/objects.h"
#include "nlohmann/json.hpp"

namespace contour::k8s::internal {

void DecodeMetadata(const nlohmann::json& object, FieldReader& reader, ObjectMeta& out);

void DecodeService(const nlohmann::json& object, FieldReader& reader, Service& out);
void DecodeEndpoints(const nlohmann::json& object, FieldReader& reader, Endpoints& out);
void DecodeSecret(const nlohmann::json& object, FieldReader& reader, Secret& out);

// The two shapes of backend: v1beta1's serviceName/servicePort and v1's service.{name,port}.
enum class IngressSchema { kV1beta1, kV1 };
void DecodeIngress(const nlohmann::json& object, IngressSchema schema, FieldReader& reader,
                   Ingress& out);

void DecodeIngressRoute(const nlohmann::json& object, FieldReader& reader, IngressRoute& out);
void DecodeTLSCertificateDelegation(const nlohmann::json& object, FieldReader& reader,
                                    TLSCertificateDelegation& out);

// Records an error unless `port` is a valid port number.
void CheckPortRange(FieldReader& reader, std::string_view key, int64_t port);

}  // namespace contour::k8s::internal

#endif  // CONTOUR_K8S_DECODE_KINDS_H_
