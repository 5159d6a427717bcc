// TLS contexts: downstream (listener, certificate over SDS) and upstream (cluster).
#ifndef CONTOUR_TRANSLATE_TLS_H_
#define CONTOUR_TRANSLATE_TLS_H_

#include <string>
#include <vector>

#include "dag/dag.h"
#include "envoy/config/core/v3/base.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "translate/translate.h"

namespace contour::translate {

inline constexpr char kTlsTransportSocket[] = "envoy.transport_sockets.tls";

envoy::extensions::transport_sockets::tls::v3::TlsParameters::TlsProtocol TlsProtocol(
    dag::TlsVersion version);

// The certificate is named, not inlined: Envoy fetches it over SDS.
envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext DownstreamTlsContext(
    const std::string& secret_name, dag::TlsVersion min_version,
    const std::vector<std::string>& alpn_protocols, ConfigSourceMode mode);

// Validates the upstream's certificate only when both a CA and a subject name are given.
envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext UpstreamTlsContext(
    const dag::UpstreamValidation* validation, const std::vector<std::string>& alpn_protocols);

// Wraps a TLS context in the `envoy.transport_sockets.tls` transport socket.
envoy::config::core::v3::TransportSocket TlsTransportSocket(
    const google::protobuf::Message& tls_context);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_TLS_H_
