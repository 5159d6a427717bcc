// Certificates for TLS tests, made in memory with OpenSSL (EC P-256 keys, SHA-256 signatures).
#ifndef CONTOUR_TESTS_SUPPORT_TEST_CERTS_H_
#define CONTOUR_TESTS_SUPPORT_TEST_CERTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace contour::testing {

// A CA and two leaves it signed, all PEM. Keys are PKCS#8 ("BEGIN PRIVATE KEY").
struct TestCerts {
  std::string ca_pem;
  std::string ca_key_pem;
  // CN=localhost, SAN IP:127.0.0.1 and DNS:localhost, extended key usage serverAuth.
  std::string server_cert_pem;
  std::string server_key_pem;
  // CN=contour-test, extended key usage clientAuth.
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Every call makes a new CA (valid from an hour ago for a day), so certificates from two calls
// do not verify against each other.
absl::StatusOr<TestCerts> MakeTestCerts();

// Another CA with its own leaves: its client certificate is the "signed by the wrong CA" one for
// tests of a server that trusts MakeTestCerts()'s CA. (The same as calling MakeTestCerts() again;
// the name says why a test wants it.)
absl::StatusOr<TestCerts> MakeUnrelatedCerts();

}  // namespace contour::testing

#endif  // CONTOUR_TESTS_SUPPORT_TEST_CERTS_H_
