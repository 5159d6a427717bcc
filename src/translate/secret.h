// SDS: the TLS certificates of secure virtual hosts.
#ifndef CONTOUR_TRANSLATE_SECRET_H_
#define CONTOUR_TRANSLATE_SECRET_H_

#include <vector>

#include "dag/dag.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"

namespace contour::translate {

envoy::extensions::transport_sockets::tls::v3::Secret Secret(const dag::Secret& secret);

// One per distinct secret that a secure virtual host references, sorted by name.
std::vector<envoy::extensions::transport_sockets::tls::v3::Secret> Secrets(const dag::Dag& dag);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_SECRET_H_
