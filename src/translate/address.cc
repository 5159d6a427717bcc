#include "translate/address.h"

namespace contour::translate {

envoy::config::core::v3::Address SocketAddress(const std::string& address, uint32_t port) {
  envoy::config::core::v3::Address out;
  auto* socket = out.mutable_socket_address();
  socket->set_protocol(envoy::config::core::v3::SocketAddress::TCP);
  socket->set_address(address);
  socket->set_port_value(port);
  if (address == "::") socket->set_ipv4_compat(true);
  return out;
}

}  // namespace contour::translate
