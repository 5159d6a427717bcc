#include "translate/tls.h"

#include <array>

#include "translate/config_source.h"
#include "translate/proto_util.h"

namespace contour::translate {
namespace {

namespace tls = envoy::extensions::transport_sockets::tls::v3;

// Contour's cipher list (internal/envoy/auth.go); ignored when TLS 1.3 is negotiated.
constexpr std::array<const char*, 8> kCipherSuites = {
    "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]",
    "[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
};

}  // namespace

tls::TlsParameters::TlsProtocol TlsProtocol(dag::TlsVersion version) {
  switch (version) {
    case dag::TlsVersion::k1_3:
      return tls::TlsParameters::TLSv1_3;
    case dag::TlsVersion::k1_2:
      return tls::TlsParameters::TLSv1_2;
    case dag::TlsVersion::k1_1:
      break;
  }
  return tls::TlsParameters::TLSv1_1;
}

tls::DownstreamTlsContext DownstreamTlsContext(const std::string& secret_name,
                                               dag::TlsVersion min_version,
                                               const std::vector<std::string>& alpn_protocols,
                                               ConfigSourceMode mode) {
  tls::DownstreamTlsContext context;
  auto* common = context.mutable_common_tls_context();
  auto* params = common->mutable_tls_params();
  params->set_tls_minimum_protocol_version(TlsProtocol(min_version));
  params->set_tls_maximum_protocol_version(tls::TlsParameters::TLSv1_3);
  for (const char* cipher : kCipherSuites) params->add_cipher_suites(cipher);
  auto* sds = common->add_tls_certificate_sds_secret_configs();
  sds->set_name(secret_name);
  *sds->mutable_sds_config() = ConfigSource(mode);
  for (const auto& protocol : alpn_protocols) common->add_alpn_protocols(protocol);
  return context;
}

tls::UpstreamTlsContext UpstreamTlsContext(const dag::UpstreamValidation* validation,
                                           const std::vector<std::string>& alpn_protocols) {
  tls::UpstreamTlsContext context;
  auto* common = context.mutable_common_tls_context();
  for (const auto& protocol : alpn_protocols) common->add_alpn_protocols(protocol);
  if (validation != nullptr && !validation->ca_certificate.empty() &&
      !validation->subject_name.empty()) {
    auto* vc = common->mutable_validation_context();
    vc->mutable_trusted_ca()->set_inline_bytes(validation->ca_certificate);
    auto* san = vc->add_match_typed_subject_alt_names();
    san->set_san_type(tls::SubjectAltNameMatcher::DNS);
    san->mutable_matcher()->set_exact(validation->subject_name);
  }
  return context;
}

envoy::config::core::v3::TransportSocket TlsTransportSocket(
    const google::protobuf::Message& tls_context) {
  envoy::config::core::v3::TransportSocket socket;
  socket.set_name(kTlsTransportSocket);
  *socket.mutable_typed_config() = PackAny(tls_context);
  return socket;
}

}  // namespace contour::translate
