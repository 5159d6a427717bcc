// Socket addresses for listeners and endpoints.
#ifndef CONTOUR_TRANSLATE_ADDRESS_H_
#define CONTOUR_TRANSLATE_ADDRESS_H_

#include <cstdint>
#include <string>

#include "envoy/config/core/v3/address.pb.h"

namespace contour::translate {

// A TCP address; "::" also accepts IPv4 (ipv4_compat), as Contour does.
envoy::config::core::v3::Address SocketAddress(const std::string& address, uint32_t port);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_ADDRESS_H_
