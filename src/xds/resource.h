// One Envoy resource as the xDS server holds it: serialized once, when its version is made, and
// shared by every stream that sends it.
#ifndef CONTOUR_XDS_RESOURCE_H_
#define CONTOUR_XDS_RESOURCE_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/btree_map.h"
#include "google/protobuf/message.h"

namespace contour::xds {

// In make-before-break order: on an ADS stream changes are sent in this order.
enum class ResourceType { kCluster = 0, kEndpoint, kListener, kRoute, kSecret };
inline constexpr int kResourceTypeCount = 5;
inline constexpr std::array<ResourceType, kResourceTypeCount> kAllResourceTypes = {
    ResourceType::kCluster, ResourceType::kEndpoint, ResourceType::kListener, ResourceType::kRoute,
    ResourceType::kSecret};

std::string_view TypeUrl(ResourceType type);
std::string_view ShortTypeName(ResourceType type);  // "cds", "eds", "lds", "rds", "sds"
std::optional<ResourceType> TypeFromUrl(std::string_view type_url);

// LDS and CDS responses carry the whole state in state-of-the-world xDS; absence means removal.
bool IsFullStateType(ResourceType type);

struct Resource {
  std::string name;
  std::string version;    // a stable hash of the serialized resource (delta xDS versions)
  std::string any_bytes;  // the serialized google.protobuf.Any that wraps the resource
};
using ResourcePtr = std::shared_ptr<const Resource>;

// Sorted by name, so responses are deterministic.
using ResourceMap = absl::btree_map<std::string, ResourcePtr>;

// Serializes `message` (deterministically) inside an Any, once.
ResourcePtr MakeResource(std::string name, const google::protobuf::Message& message);

}  // namespace contour::xds

#endif  // CONTOUR_XDS_RESOURCE_H_
