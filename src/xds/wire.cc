#include "xds/wire.h"

#include <cstdint>

namespace contour::xds {
namespace {

// Field numbers of DiscoveryResponse and DeltaDiscoveryResponse (envoy/service/discovery/v3).
constexpr uint32_t kSotwVersionInfo = 1;
constexpr uint32_t kSotwResources = 2;
constexpr uint32_t kSotwTypeUrl = 4;
constexpr uint32_t kSotwNonce = 5;
constexpr uint32_t kDeltaSystemVersionInfo = 1;
constexpr uint32_t kDeltaResources = 2;
constexpr uint32_t kDeltaTypeUrl = 4;
constexpr uint32_t kDeltaNonce = 5;
constexpr uint32_t kDeltaRemovedResources = 6;
// envoy.service.discovery.v3.Resource.
constexpr uint32_t kResourceVersion = 1;
constexpr uint32_t kResourceResource = 2;
constexpr uint32_t kResourceName = 3;

constexpr uint32_t kLengthDelimited = 2;

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

size_t FieldSize(uint32_t field, size_t length) {
  return VarintSize(field << 3 | kLengthDelimited) + VarintSize(length) + length;
}

size_t StringFieldSize(uint32_t field, size_t length) {
  return length == 0 ? 0 : FieldSize(field, length);
}

void AppendField(std::string& out, uint32_t field, std::string_view bytes) {
  AppendVarint(out, field << 3 | kLengthDelimited);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

// Proto3 leaves empty strings off the wire.
void AppendStringField(std::string& out, uint32_t field, std::string_view value) {
  if (!value.empty()) AppendField(out, field, value);
}

size_t DeltaResourceSize(const Resource& resource) {
  return StringFieldSize(kResourceVersion, resource.version.size()) +
         FieldSize(kResourceResource, resource.any_bytes.size()) +
         StringFieldSize(kResourceName, resource.name.size());
}

}  // namespace

std::string EncodeDiscoveryResponse(std::string_view version_info, std::string_view type_url,
                                    std::string_view nonce,
                                    const std::vector<ResourcePtr>& resources) {
  size_t size = FieldSize(kSotwVersionInfo, version_info.size()) +
                FieldSize(kSotwTypeUrl, type_url.size()) + FieldSize(kSotwNonce, nonce.size());
  for (const ResourcePtr& resource : resources) {
    size += FieldSize(kSotwResources, resource->any_bytes.size());
  }
  std::string out;
  out.reserve(size);
  AppendStringField(out, kSotwVersionInfo, version_info);
  for (const ResourcePtr& resource : resources) {
    AppendField(out, kSotwResources, resource->any_bytes);
  }
  AppendStringField(out, kSotwTypeUrl, type_url);
  AppendStringField(out, kSotwNonce, nonce);
  return out;
}

std::string EncodeDeltaDiscoveryResponse(std::string_view system_version_info,
                                         std::string_view type_url, std::string_view nonce,
                                         const std::vector<ResourcePtr>& resources,
                                         const std::vector<std::string>& removed_resources) {
  size_t size = FieldSize(kDeltaSystemVersionInfo, system_version_info.size()) +
                FieldSize(kDeltaTypeUrl, type_url.size()) + FieldSize(kDeltaNonce, nonce.size());
  for (const ResourcePtr& resource : resources) {
    size += FieldSize(kDeltaResources, DeltaResourceSize(*resource));
  }
  for (const std::string& name : removed_resources) {
    size += FieldSize(kDeltaRemovedResources, name.size());
  }
  std::string out;
  out.reserve(size);
  AppendStringField(out, kDeltaSystemVersionInfo, system_version_info);
  for (const ResourcePtr& resource : resources) {
    AppendVarint(out, kDeltaResources << 3 | kLengthDelimited);
    AppendVarint(out, DeltaResourceSize(*resource));
    AppendStringField(out, kResourceVersion, resource->version);
    AppendField(out, kResourceResource, resource->any_bytes);
    AppendStringField(out, kResourceName, resource->name);
  }
  AppendStringField(out, kDeltaTypeUrl, type_url);
  AppendStringField(out, kDeltaNonce, nonce);
  for (const std::string& name : removed_resources) {
    AppendField(out, kDeltaRemovedResources, name);
  }
  return out;
}

}  // namespace contour::xds
