// The certificates `contour certgen` makes (Contour's internal/certgen): a CA named "Project
// Contour" and, signed by it, one certificate for contour (the xDS server) and one for Envoy (its
// client), so that the two can authenticate each other with mutual TLS. Made in memory with
// OpenSSL; everything leaves as PEM.
#ifndef CONTOUR_CERTGEN_CERTIFICATES_H_
#define CONTOUR_CERTGEN_CERTIFICATES_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/openssl_ptr.h"

namespace contour::certgen {

using KeyPtr = openssl::KeyPtr;
using CertPtr = openssl::CertPtr;

constexpr char kCaCommonName[] = "Project Contour";
constexpr char kContourService[] = "contour";
constexpr char kEnvoyService[] = "envoy";

struct CertificateOptions {
  // The namespace contour and Envoy run in: it is part of the services' DNS names. A DNS-1123
  // label.
  std::string namespace_ = "heptio-contour";
  // The moment the certificates are made; notBefore is `skew` earlier so that a node whose clock
  // is a little behind still accepts them.
  absl::Time now = absl::Now();
  absl::Duration skew = absl::Hours(1);
  absl::Duration lifetime = absl::Hours(24 * 365);
  int rsa_bits = 2048;
};

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;  // PKCS#1 ("BEGIN RSA PRIVATE KEY"), as Contour writes it
};

// The CA's private key is not kept: nothing needs to sign with it later, and a key that is never
// written cannot leak.
struct GeneratedCertificates {
  std::string ca_cert_pem;
  KeyPair contour;
  KeyPair envoy;
};

// The DNS names a Service is reached by from inside the cluster: `service`, `service.ns`,
// `service.ns.svc` and `service.ns.svc.cluster.local`.
std::vector<std::string> ServiceDnsNames(std::string_view service, std::string_view namespace_);

// A fresh CA and the two leaves. Errors (kInvalidArgument for a bad namespace or key size;
// kInternal carrying OpenSSL's error string otherwise) leave nothing behind.
absl::StatusOr<GeneratedCertificates> GenerateCertificates(const CertificateOptions& options);

// PEM in, OpenSSL objects out (the first certificate or key in `pem`); errors carry OpenSSL's
// message. For callers that inspect or use what GenerateCertificates made.
absl::StatusOr<CertPtr> ParseCertificatePem(std::string_view pem);
absl::StatusOr<KeyPtr> ParsePrivateKeyPem(std::string_view pem);

}  // namespace contour::certgen

#endif  // CONTOUR_CERTGEN_CERTIFICATES_H_
