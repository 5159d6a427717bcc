// Mutual TLS for the xDS port: Contour's RequireAndVerifyClientCert with a ClientCAs pool, with
// certificates that follow their files (Contour loads them once; rotating them meant a restart).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/openssl_ptr.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "xds/grpc_server.h"

namespace contour::xds {
namespace {

using openssl::BioPtr;
using openssl::KeyPtr;
using openssl::MemoryBio;
using X509Ptr = openssl::CertPtr;

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

absl::StatusOr<X509Ptr> FirstCertificate(const std::string& path, const char* what) {
  absl::StatusOr<std::string> text = ReadFile(path, what);
  if (!text.ok()) return text.status();
  BioPtr bio = MemoryBio(*text);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " holds no PEM certificate: ", OpenSslError()));
  }
  return cert;
}

}  // namespace

absl::Status CheckTlsFiles(const GrpcTlsFiles& files) {
  absl::StatusOr<X509Ptr> ca = FirstCertificate(files.ca_file, "CA file");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<X509Ptr> cert = FirstCertificate(files.cert_file, "certificate file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key_text = ReadFile(files.key_file, "key file");
  if (!key_text.ok()) return key_text.status();
  BioPtr bio = MemoryBio(*key_text);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", files.key_file, " holds no PEM private key: ", OpenSslError()));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", files.key_file, " does not match certificate ", files.cert_file));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(
    const GrpcTlsFiles& files) {
  if (absl::Status status = CheckTlsFiles(files); !status.ok()) return status;
  const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(files.reload_interval));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.ca_file, static_cast<unsigned int>(seconds));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // gRPC's TLS never negotiates below 1.2.
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (credentials == nullptr) return absl::InternalError("cannot make TLS server credentials");
  return credentials;
}

}  // namespace contour::xds
