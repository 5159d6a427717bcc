#include "xds/resource.h"

#include <cstdint>

#include "absl/strings/str_format.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace contour::xds {
namespace {

constexpr std::array<std::string_view, kResourceTypeCount> kTypeUrls = {
    "type.googleapis.com/envoy.config.cluster.v3.Cluster",
    "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
    "type.googleapis.com/envoy.config.listener.v3.Listener",
    "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
    "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
};
constexpr std::array<std::string_view, kResourceTypeCount> kShortNames = {"cds", "eds", "lds",
                                                                          "rds", "sds"};

std::string SerializeDeterministically(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// FNV-1a, 64 bits: stable across processes, so delta clients that reconnect to a restarted
// server present versions it recognises.
uint64_t StableHash(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string_view TypeUrl(ResourceType type) { return kTypeUrls[static_cast<int>(type)]; }

std::string_view ShortTypeName(ResourceType type) { return kShortNames[static_cast<int>(type)]; }

std::optional<ResourceType> TypeFromUrl(std::string_view type_url) {
  for (ResourceType type : kAllResourceTypes) {
    if (TypeUrl(type) == type_url) return type;
  }
  return std::nullopt;
}

bool IsFullStateType(ResourceType type) {
  return type == ResourceType::kListener || type == ResourceType::kCluster;
}

ResourcePtr MakeResource(std::string name, const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/" + message.GetDescriptor()->full_name());
  any.set_value(SerializeDeterministically(message));
  auto resource = std::make_shared<Resource>();
  resource->name = std::move(name);
  resource->version = absl::StrFormat("%016x", StableHash(any.value()));
  resource->any_bytes = SerializeDeterministically(any);
  return resource;
}

}  // namespace contour::xds
