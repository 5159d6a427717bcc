// Which Secrets the cache keeps (Contour v0.15.3 internal/dag/secret.go), with the PEM checked by
// OpenSSL. Stricter than v0.15.3 in one respect, on purpose: v0.15.3 counts an unparsable
// PRIVATE KEY / RSA PRIVATE KEY block as a key (its error check is inverted) and stops at the
// first parsable one; here every key block must parse and there must be exactly one.
#ifndef CONTOUR_DAG_SECRET_VALIDATION_H_
#define CONTOUR_DAG_SECRET_VALIDATION_H_

#include <string_view>

#include "absl/status/status.h"
#include "k8s/objects.h"

namespace contour::dag {

inline constexpr char kSecretTypeTls[] = "kubernetes.io/tls";
inline constexpr char kSecretTypeServiceAccountToken[] = "kubernetes.io/service-account-token";
inline constexpr char kTlsCertKey[] = "tls.crt";
inline constexpr char kTlsPrivateKeyKey[] = "tls.key";
inline constexpr char kCaCertKey[] = "ca.crt";

// OK when the cache may keep the secret: not a service-account token; kubernetes.io/tls or
// carrying ca.crt; tls.crt (if present) all parsable CERTIFICATE blocks; tls.key (if present)
// exactly one parsable PKCS8, PKCS1 or EC key (EC PARAMETERS ignored). ca.crt is not checked
// (as in v0.15.3).
absl::Status ValidateSecret(const k8s::Secret& secret);
inline bool IsValidSecret(const k8s::Secret& secret) { return ValidateSecret(secret).ok(); }

// One or more PEM CERTIFICATE blocks, each a DER X.509 certificate, and nothing else but
// whitespace after the last block.
absl::Status ValidateCertificatePem(std::string_view pem);

// Exactly one private key block: PRIVATE KEY (PKCS8), RSA PRIVATE KEY (PKCS1) or
// EC PRIVATE KEY (SEC1); EC PARAMETERS blocks are allowed beside it.
absl::Status ValidatePrivateKeyPem(std::string_view pem);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_SECRET_VALIDATION_H_
