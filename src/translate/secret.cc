#include "translate/secret.h"

#include <map>
#include <string>

#include "translate/names.h"

namespace contour::translate {

namespace tls = envoy::extensions::transport_sockets::tls::v3;

tls::Secret Secret(const dag::Secret& secret) {
  tls::Secret out;
  out.set_name(SecretName(secret));
  auto* certificate = out.mutable_tls_certificate();
  certificate->mutable_certificate_chain()->set_inline_bytes(secret.certificate_chain);
  certificate->mutable_private_key()->set_inline_bytes(secret.private_key);
  return out;
}

std::vector<tls::Secret> Secrets(const dag::Dag& dag) {
  std::map<std::string, tls::Secret> by_name;
  for (const auto& [name, vhost] : dag.https_hosts) {
    if (!vhost.secret) continue;
    std::string secret_name = SecretName(*vhost.secret);
    if (by_name.count(secret_name) == 0) by_name.emplace(secret_name, Secret(*vhost.secret));
  }
  std::vector<tls::Secret> secrets;
  secrets.reserve(by_name.size());
  for (auto& [name, secret] : by_name) secrets.push_back(std::move(secret));
  return secrets;
}

}  // namespace contour::translate
