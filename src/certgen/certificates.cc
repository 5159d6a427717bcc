#include "certgen/certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <climits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "k8s/names.h"

namespace contour::certgen {
namespace {

using openssl::BignumPtr;
using openssl::BioPtr;
using openssl::ExtensionPtr;

// Drains OpenSSL's thread-local error queue into one message, so that a later, unrelated
// failure does not report these errors as its own.
absl::Status OpenSslError(absl::string_view what) {
  std::vector<std::string> errors;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    errors.emplace_back(text);
  }
  if (errors.empty()) errors.emplace_back("no OpenSSL error queued");
  return absl::InternalError(absl::StrCat(what, ": ", absl::StrJoin(errors, "; ")));
}

absl::StatusOr<KeyPtr> NewRsaKey(int bits) {
  KeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (key == nullptr) return OpenSslError("generating an RSA key");
  return key;
}

// 128 random bits: unique without coordination between runs (RFC 5280 allows up to 20 octets).
absl::Status SetRandomSerial(X509* cert) {
  BignumPtr serial(BN_new());
  if (serial == nullptr) return OpenSslError("BN_new");
  do {
    if (BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return OpenSslError("generating a serial number");
    }
  } while (BN_is_zero(serial.get()));  // a serial must be positive
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting the serial number");
  }
  return absl::OkStatus();
}

// `value` uses the openssl.cnf syntax ("critical,CA:TRUE"); `issuer` is the certificate itself
// when it is self-signed.
absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (ext == nullptr) return OpenSslError(absl::StrCat("making extension ", OBJ_nid2sn(nid)));
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

struct Extension {
  int nid;
  std::string value;
};

// A v3 certificate for `key`, subject CN=`common_name`, signed with SHA-256 by `issuer_key`;
// self-signed when `issuer` is null.
absl::StatusOr<CertPtr> NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                                       EVP_PKEY* issuer_key,
                                       const std::vector<Extension>& extensions,
                                       const CertificateOptions& options) {
  CertPtr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_set_version");
  RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(options.now - options.skew)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                    absl::ToTimeT(options.now + options.lifetime)) == nullptr) {
    return OpenSslError("setting the validity period");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return OpenSslError("setting the subject");
  }
  X509* issuer_cert = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)) != 1) {
    return OpenSslError("setting the issuer");
  }
  // Before the extensions: the subject key identifier is a hash of this key.
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("setting the public key");
  for (const Extension& ext : extensions) {
    RETURN_IF_ERROR(AddExtension(cert.get(), issuer_cert, ext.nid, ext.value));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslError("signing the certificate");
  }
  return cert;
}

absl::StatusOr<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return absl::InternalError("empty PEM output");
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("encoding a certificate as PEM");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // "Traditional" is PKCS#1 for RSA: what Contour (Go's x509.MarshalPKCS1PrivateKey) writes.
  if (bio == nullptr || PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0,
                                                             nullptr, nullptr) != 1) {
    return OpenSslError("encoding a private key as PEM");
  }
  return BioContents(bio.get());
}

absl::StatusOr<KeyPair> NewLeaf(const std::string& service, X509* ca, EVP_PKEY* ca_key,
                                const CertificateOptions& options) {
  ASSIGN_OR_RETURN(KeyPtr key, NewRsaKey(options.rsa_bits));
  std::vector<std::string> sans;
  for (const std::string& name : ServiceDnsNames(service, options.namespace_)) {
    sans.push_back(absl::StrCat("DNS:", name));
  }
  // Both leaves carry serverAuth and clientAuth: each end of the xDS connection presents its
  // certificate to the other.
  ASSIGN_OR_RETURN(CertPtr cert,
                   NewCertificate(key.get(), service, ca, ca_key,
                                  {{NID_basic_constraints, "critical,CA:FALSE"},
                                   {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                   {NID_ext_key_usage, "serverAuth,clientAuth"},
                                   {NID_subject_alt_name, absl::StrJoin(sans, ",")},
                                   {NID_subject_key_identifier, "hash"},
                                   {NID_authority_key_identifier, "keyid:always"}},
                                  options));
  KeyPair pair;
  ASSIGN_OR_RETURN(pair.cert_pem, CertificatePem(cert.get()));
  ASSIGN_OR_RETURN(pair.key_pem, PrivateKeyPem(key.get()));
  return pair;
}

}  // namespace

std::vector<std::string> ServiceDnsNames(std::string_view service, std::string_view namespace_) {
  const std::string svc(service);
  const std::string ns(namespace_);
  return {svc, absl::StrCat(svc, ".", ns), absl::StrCat(svc, ".", ns, ".svc"),
          absl::StrCat(svc, ".", ns, ".svc.cluster.local")};
}

absl::StatusOr<GeneratedCertificates> GenerateCertificates(const CertificateOptions& options) {
  // The namespace goes into the SAN extension's configuration text, where a ',' or ':' would
  // start another name: only a real namespace name is let through.
  if (!k8s::IsDns1123Label(options.namespace_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace \"", options.namespace_,
                     "\" is not a valid namespace name (a DNS-1123 label: lower case letters, "
                     "digits and '-', at most 63 characters)"));
  }
  if (options.rsa_bits < 2048 || options.rsa_bits > 16384) {
    return absl::InvalidArgumentError(
        absl::StrCat("RSA key size ", options.rsa_bits, " is outside [2048, 16384]"));
  }
  if (options.lifetime <= absl::ZeroDuration() || options.skew < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the lifetime must be positive and the skew not negative");
  }
  ERR_clear_error();  // errors reported below are ours alone

  ASSIGN_OR_RETURN(KeyPtr ca_key, NewRsaKey(options.rsa_bits));
  ASSIGN_OR_RETURN(CertPtr ca, NewCertificate(ca_key.get(), kCaCommonName, nullptr, ca_key.get(),
                                              {{NID_basic_constraints, "critical,CA:TRUE"},
                                               {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                               {NID_subject_key_identifier, "hash"}},
                                              options));
  GeneratedCertificates out;
  ASSIGN_OR_RETURN(out.ca_cert_pem, CertificatePem(ca.get()));
  ASSIGN_OR_RETURN(out.contour, NewLeaf(kContourService, ca.get(), ca_key.get(), options));
  ASSIGN_OR_RETURN(out.envoy, NewLeaf(kEnvoyService, ca.get(), ca_key.get(), options));
  return out;
}

absl::StatusOr<CertPtr> ParseCertificatePem(std::string_view pem) {
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError("PEM too large");
  ERR_clear_error();
  BioPtr bio = openssl::MemoryBio(pem);
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return OpenSslError("reading a PEM certificate");
  return cert;
}

absl::StatusOr<KeyPtr> ParsePrivateKeyPem(std::string_view pem) {
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError("PEM too large");
  ERR_clear_error();
  BioPtr bio = openssl::MemoryBio(pem);
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  // An empty passphrase rather than none: with none, OpenSSL would prompt on the terminal for an
  // encrypted key.
  char no_passphrase[] = "";
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, no_passphrase));
  if (key == nullptr) return OpenSslError("reading a PEM private key");
  return key;
}

}  // namespace contour::certgen
