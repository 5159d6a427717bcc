// Discovery responses written straight from the resources' serialized bytes: a response is the
// concatenation of pre-encoded fields, so no resource is serialized again for any stream.
// (Protobuf decoders accept fields in any order, and repeated fields may be split.)
#ifndef CONTOUR_XDS_WIRE_H_
#define CONTOUR_XDS_WIRE_H_

#include <string>
#include <string_view>
#include <vector>

#include "xds/resource.h"

namespace contour::xds {

// envoy.service.discovery.v3.DiscoveryResponse.
std::string EncodeDiscoveryResponse(std::string_view version_info, std::string_view type_url,
                                    std::string_view nonce,
                                    const std::vector<ResourcePtr>& resources);

// envoy.service.discovery.v3.DeltaDiscoveryResponse.
std::string EncodeDeltaDiscoveryResponse(std::string_view system_version_info,
                                         std::string_view type_url, std::string_view nonce,
                                         const std::vector<ResourcePtr>& resources,
                                         const std::vector<std::string>& removed_resources);

}  // namespace contour::xds

#endif  // CONTOUR_XDS_WIRE_H_
