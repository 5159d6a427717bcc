#include "tests/support/test_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/openssl_ptr.h"

namespace contour::testing {
namespace {

using openssl::BioPtr;
using openssl::CertPtr;
using openssl::KeyPtr;

absl::Status OpenSslError(absl::string_view what) {
  unsigned long code = ERR_get_error();
  char text[256] = "no OpenSSL error queued";
  if (code != 0) ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", text));
}

absl::StatusOr<KeyPtr> NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC key generation");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return OpenSslError(absl::StrCat("extension ", value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return OpenSslError("X509_add_ext");
  return absl::OkStatus();
}

struct Extension {
  int nid;
  const char* value;
};

// Makes a certificate for `key` named CN=`common_name`, signed by `issuer_key` (self-signed when
// `issuer` is null).
absl::StatusOr<CertPtr> NewCert(EVP_PKEY* key, const char* common_name, X509* issuer,
                                EVP_PKEY* issuer_key, const std::vector<Extension>& extensions) {
  CertPtr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return OpenSslError("RAND_bytes");
  serial_bytes[0] &= 0x7f;  // a positive serial
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  if (serial == nullptr) return OpenSslError("BN_bin2bn");
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  // Valid from an hour ago so small clock differences between processes do not matter.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("contour-test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) {
    return OpenSslError("X509_set_issuer_name");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("X509_set_pubkey");
  for (const Extension& ext : extensions) {
    absl::Status status = AddExtension(cert.get(), issuer_cert, ext.nid, ext.value);
    if (!status.ok()) return status;
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return cert;
}

absl::StatusOr<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return absl::InternalError("empty PEM output");
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("PEM_write_bio_X509");
  }
  return BioText(bio.get());
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("PEM_write_bio_PrivateKey");
  }
  return BioText(bio.get());
}

#define CERTS_ASSIGN(lhs, expr)                           \
  do {                                                    \
    auto certs_value_ = (expr);                           \
    if (!certs_value_.ok()) return certs_value_.status(); \
    lhs = *std::move(certs_value_);                       \
  } while (false)

}  // namespace

absl::StatusOr<TestCerts> MakeTestCerts() {
  TestCerts out;
  KeyPtr ca_key, server_key, client_key;
  CERTS_ASSIGN(ca_key, NewKey());
  CERTS_ASSIGN(server_key, NewKey());
  CERTS_ASSIGN(client_key, NewKey());

  CertPtr ca;
  CERTS_ASSIGN(ca, NewCert(ca_key.get(), "contour-test-ca", nullptr, ca_key.get(),
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"},
                            {NID_subject_key_identifier, "hash"}}));
  CertPtr server;
  CERTS_ASSIGN(server, NewCert(server_key.get(), "localhost", ca.get(), ca_key.get(),
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                {NID_ext_key_usage, "serverAuth"},
                                {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                {NID_subject_key_identifier, "hash"},
                                {NID_authority_key_identifier, "keyid:always"}}));
  CertPtr client;
  CERTS_ASSIGN(client, NewCert(client_key.get(), "contour-test", ca.get(), ca_key.get(),
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                {NID_ext_key_usage, "clientAuth"},
                                {NID_subject_key_identifier, "hash"},
                                {NID_authority_key_identifier, "keyid:always"}}));

  CERTS_ASSIGN(out.ca_pem, CertPem(ca.get()));
  CERTS_ASSIGN(out.ca_key_pem, KeyPem(ca_key.get()));
  CERTS_ASSIGN(out.server_cert_pem, CertPem(server.get()));
  CERTS_ASSIGN(out.server_key_pem, KeyPem(server_key.get()));
  CERTS_ASSIGN(out.client_cert_pem, CertPem(client.get()));
  CERTS_ASSIGN(out.client_key_pem, KeyPem(client_key.get()));
  return out;
}

absl::StatusOr<TestCerts> MakeUnrelatedCerts() { return MakeTestCerts(); }

}  // namespace contour::testing
