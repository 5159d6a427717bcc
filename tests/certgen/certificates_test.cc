// The certificates `contour certgen` makes: what is in them (names, key usages, key sizes,
// validity), that the chain verifies with OpenSSL and a second run's does not, and that contour
// and Envoy can complete a mutually authenticated TLS handshake with them.
#include "certgen/certificates.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <time.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace contour::certgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};

const absl::Time kNow = absl::FromUnixSeconds(1700000000);  // 2023-11-14T22:13:20Z

constexpr char kNamespace[] = "projectcontour-test";

GeneratedCertificates Generate(CertificateOptions options) {
  absl::StatusOr<GeneratedCertificates> certs = GenerateCertificates(options);
  EXPECT_TRUE(certs.ok()) << certs.status();
  return certs.ok() ? *std::move(certs) : GeneratedCertificates{};
}

// The certificates of certgen run `n` (0 or 1) in kNamespace, made once for all tests that only
// read them: RSA key generation dominates this program's running time.
const GeneratedCertificates& CertgenRun(int n) {
  static const auto* const runs = new std::vector<GeneratedCertificates>{
      Generate({.namespace_ = kNamespace}), Generate({.namespace_ = kNamespace})};
  return runs->at(static_cast<size_t>(n));
}

CertPtr Cert(const std::string& pem) {
  absl::StatusOr<CertPtr> cert = ParseCertificatePem(pem);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *std::move(cert) : nullptr;
}

KeyPtr Key(const std::string& pem) {
  absl::StatusOr<KeyPtr> key = ParsePrivateKeyPem(pem);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? *std::move(key) : nullptr;
}

std::string CommonName(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

// Every subjectAltName, as "DNS:name" (other kinds as "other").
std::vector<std::string> AltNames(X509* cert) {
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> out;
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) {
      out.push_back("other");
      continue;
    }
    const ASN1_IA5STRING* dns = name->d.dNSName;
    out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                       static_cast<size_t>(ASN1_STRING_length(dns))));
  }
  return out;
}

absl::Time ToTime(const ASN1_TIME* time) {
  struct tm tm = {};
  EXPECT_EQ(ASN1_TIME_to_tm(time, &tm), 1);
  return absl::FromTimeT(timegm(&tm));
}

bool IsCritical(X509* cert, int nid) {
  const int index = X509_get_ext_by_NID(cert, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

// X509_verify_cert of `leaf` against a store holding only `ca`, for `purpose` (e.g.
// X509_PURPOSE_SSL_SERVER), at the current time. The verification error, or X509_V_OK.
int Verify(X509* ca, X509* leaf, int purpose) {
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  EXPECT_EQ(X509_STORE_add_cert(store.get(), ca), 1);
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr), 1);
  EXPECT_EQ(X509_STORE_CTX_set_purpose(ctx.get(), purpose), 1);
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  EXPECT_EQ(ok == 1, error == X509_V_OK);
  return error;
}

TEST(ServiceDnsNamesTest, KubernetesServiceNames) {
  EXPECT_THAT(ServiceDnsNames("envoy", "projectcontour"),
              ElementsAre("envoy", "envoy.projectcontour", "envoy.projectcontour.svc",
                          "envoy.projectcontour.svc.cluster.local"));
}

TEST(GenerateCertificatesTest, ChainVerifiesForServerAndClientUse) {
  const GeneratedCertificates& certs = CertgenRun(0);
  CertPtr ca = Cert(certs.ca_cert_pem);
  ASSERT_NE(ca, nullptr);
  for (const std::string* pem : {&certs.contour.cert_pem, &certs.envoy.cert_pem}) {
    CertPtr leaf = Cert(*pem);
    ASSERT_NE(leaf, nullptr);
    SCOPED_TRACE(CommonName(leaf.get()));
    for (int purpose : {X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT}) {
      const int error = Verify(ca.get(), leaf.get(), purpose);
      EXPECT_EQ(error, X509_V_OK) << X509_verify_cert_error_string(error);
    }
  }
}

TEST(GenerateCertificatesTest, SecondRunDoesNotVerifyAgainstFirstCa) {
  const GeneratedCertificates& first = CertgenRun(0);
  const GeneratedCertificates& second = CertgenRun(1);
  CertPtr first_ca = Cert(first.ca_cert_pem);
  CertPtr second_ca = Cert(second.ca_cert_pem);
  ASSERT_NE(first_ca, nullptr);
  ASSERT_NE(second_ca, nullptr);
  for (const std::string* pem : {&second.contour.cert_pem, &second.envoy.cert_pem}) {
    CertPtr leaf = Cert(*pem);
    ASSERT_NE(leaf, nullptr);
    // Same subject names, different keys: the signature is what fails.
    EXPECT_NE(Verify(first_ca.get(), leaf.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    EXPECT_EQ(Verify(second_ca.get(), leaf.get(), X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  }
  EXPECT_NE(first.ca_cert_pem, second.ca_cert_pem);
  EXPECT_NE(first.contour.key_pem, second.contour.key_pem);
}

struct LeafCase {
  std::string name;
  std::string service;
  const KeyPair GeneratedCertificates::*pair;

  friend void PrintTo(const LeafCase& c, std::ostream* os) { *os << c.name; }
};

class LeafTest : public ::testing::TestWithParam<LeafCase> {};

TEST_P(LeafTest, NamesForTheServiceInTheNamespace) {
  const GeneratedCertificates& certs = CertgenRun(0);
  CertPtr leaf = Cert((certs.*GetParam().pair).cert_pem);
  ASSERT_NE(leaf, nullptr);
  const std::string& svc = GetParam().service;
  EXPECT_EQ(CommonName(leaf.get()), svc);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(leaf.get())), 1) << "CN only";
  EXPECT_THAT(AltNames(leaf.get()),
              ElementsAre("DNS:" + svc, "DNS:" + svc + ".projectcontour-test",
                          "DNS:" + svc + ".projectcontour-test.svc",
                          "DNS:" + svc + ".projectcontour-test.svc.cluster.local"));
  CertPtr ca = Cert(certs.ca_cert_pem);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(leaf.get()), X509_get_subject_name(ca.get())), 0);
  // The names a client checks for (SSL_set1_host) match.
  for (const std::string& host : {svc, svc + ".projectcontour-test.svc"}) {
    EXPECT_EQ(X509_check_host(leaf.get(), host.data(), host.size(), 0, nullptr), 1) << host;
  }
  const std::string other = svc + ".heptio-contour.svc";
  EXPECT_NE(X509_check_host(leaf.get(), other.data(), other.size(), 0, nullptr), 1);
}

TEST_P(LeafTest, LeafExtensions) {
  const GeneratedCertificates& certs = CertgenRun(0);
  CertPtr leaf = Cert((certs.*GetParam().pair).cert_pem);
  CertPtr ca = Cert(certs.ca_cert_pem);
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(X509_get_version(leaf.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);
  const int constraints = X509_get_ext_by_NID(leaf.get(), NID_basic_constraints, -1);
  ASSERT_GE(constraints, 0) << "basicConstraints CA:FALSE is stated, not implied";
  EXPECT_EQ(X509_get_key_usage(leaf.get()), uint32_t{KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT});
  EXPECT_TRUE(IsCritical(leaf.get(), NID_key_usage));
  EXPECT_EQ(X509_get_extended_key_usage(leaf.get()), uint32_t{XKU_SSL_SERVER | XKU_SSL_CLIENT});
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(leaf.get());
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(leaf.get());
  ASSERT_NE(ski, nullptr);
  ASSERT_NE(aki, nullptr);
  ASSERT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca.get())), 0);
  EXPECT_NE(ASN1_OCTET_STRING_cmp(ski, aki), 0);
  EXPECT_EQ(X509_get_signature_nid(leaf.get()), NID_sha256WithRSAEncryption);
}

TEST_P(LeafTest, Rsa2048KeyMatchingTheCertificate) {
  const GeneratedCertificates& certs = CertgenRun(0);
  const KeyPair& pair = certs.*GetParam().pair;
  CertPtr leaf = Cert(pair.cert_pem);
  KeyPtr key = Key(pair.key_pem);
  ASSERT_NE(leaf, nullptr);
  ASSERT_NE(key, nullptr);
  EXPECT_THAT(pair.key_pem, HasSubstr("-----BEGIN RSA PRIVATE KEY-----"));
  EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 2048);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(leaf.get())), 2048);
  EXPECT_EQ(X509_check_private_key(leaf.get(), key.get()), 1);
  // And not the other leaf's key.
  const KeyPair& other = &pair == &certs.contour ? certs.envoy : certs.contour;
  KeyPtr other_key = Key(other.key_pem);
  ASSERT_NE(other_key, nullptr);
  EXPECT_NE(X509_check_private_key(leaf.get(), other_key.get()), 1);
  ERR_clear_error();
}

INSTANTIATE_TEST_SUITE_P(
    Leaves, LeafTest,
    ::testing::Values(LeafCase{"Contour", "contour", &GeneratedCertificates::contour},
                      LeafCase{"Envoy", "envoy", &GeneratedCertificates::envoy}),
    [](const ::testing::TestParamInfo<LeafCase>& info) { return info.param.name; });

TEST(GenerateCertificatesTest, CaExtensions) {
  const GeneratedCertificates& certs = CertgenRun(0);
  CertPtr ca = Cert(certs.ca_cert_pem);
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(CommonName(ca.get()), "Project Contour");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(ca.get()), X509_get_subject_name(ca.get())), 0);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(IsCritical(ca.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(ca.get()), uint32_t{KU_KEY_CERT_SIGN | KU_CRL_SIGN});
  EXPECT_TRUE(IsCritical(ca.get(), NID_key_usage));
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(ca.get())), 2048);
  EXPECT_EQ(X509_get_signature_nid(ca.get()), NID_sha256WithRSAEncryption);
  EXPECT_EQ(X509_verify(ca.get(), X509_get0_pubkey(ca.get())), 1) << "self-signed";
  EXPECT_TRUE(AltNames(ca.get()).empty());
}

TEST(GenerateCertificatesTest, ValidForAYearFromNowLessSkew) {
  const GeneratedCertificates certs = Generate({.now = kNow});
  for (const std::string* pem :
       {&certs.ca_cert_pem, &certs.contour.cert_pem, &certs.envoy.cert_pem}) {
    CertPtr cert = Cert(*pem);
    ASSERT_NE(cert, nullptr);
    const absl::Time not_before = ToTime(X509_get0_notBefore(cert.get()));
    const absl::Time not_after = ToTime(X509_get0_notAfter(cert.get()));
    EXPECT_EQ(not_before, kNow - absl::Hours(1));
    EXPECT_EQ(not_after, kNow + absl::Hours(24 * 365));
    const absl::Duration validity = not_after - not_before;
    EXPECT_GE(validity, absl::Hours(24 * 365));
    EXPECT_LT(validity, absl::Hours(24 * 366));
  }
}

TEST(GenerateCertificatesTest, DistinctPositive128BitSerials) {
  const GeneratedCertificates& certs = CertgenRun(0);
  std::vector<std::string> serials;
  for (const std::string* pem :
       {&certs.ca_cert_pem, &certs.contour.cert_pem, &certs.envoy.cert_pem}) {
    CertPtr cert = Cert(*pem);
    ASSERT_NE(cert, nullptr);
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
    ASSERT_NE(serial, nullptr);
    EXPECT_FALSE(BN_is_negative(serial));
    EXPECT_FALSE(BN_is_zero(serial));
    EXPECT_LE(BN_num_bits(serial), 128);
    // Random 128 bits have fewer than 97 only with probability 2^-32.
    EXPECT_GT(BN_num_bits(serial), 96);
    char* hex = BN_bn2hex(serial);
    serials.emplace_back(hex);
    OPENSSL_free(hex);
    BN_free(serial);
  }
  ASSERT_EQ(serials.size(), 3u);
  EXPECT_NE(serials[0], serials[1]);
  EXPECT_NE(serials[0], serials[2]);
  EXPECT_NE(serials[1], serials[2]);
}

TEST(GenerateCertificatesTest, RejectsBadOptions) {
  struct Case {
    std::string name;
    CertificateOptions options;
  };
  const std::vector<Case> cases = {
      {"EmptyNamespace", {.namespace_ = ""}},
      {"UpperCase", {.namespace_ = "Contour"}},
      // Would be a second SAN (or an IP SAN) if it reached the extension text unchecked.
      {"SanInjection", {.namespace_ = "ns,DNS:evil.example.com"}},
      {"Dotted", {.namespace_ = "a.b"}},
      {"TooLong", {.namespace_ = std::string(64, 'a')}},
      {"SmallKey", {.rsa_bits = 1024}},
      {"NoLifetime", {.lifetime = absl::ZeroDuration()}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<GeneratedCertificates> certs = GenerateCertificates(c.options);
    EXPECT_EQ(certs.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
  }
}

TEST(ParsePemTest, ErrorsCarryOpenSslsMessage) {
  absl::StatusOr<CertPtr> cert = ParseCertificatePem("not a certificate");
  ASSERT_FALSE(cert.ok());
  EXPECT_THAT(cert.status().message(), HasSubstr("reading a PEM certificate: error:"));
  absl::StatusOr<KeyPtr> key = ParsePrivateKeyPem("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n");
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.status().message(), HasSubstr("reading a PEM private key: error:"));
}

// --- A TLS handshake between contour (server) and Envoy (client), in memory. ---

// A context presenting `pair`, trusting only `ca_pem`, and demanding the peer's certificate.
std::unique_ptr<SSL_CTX, SslCtxDeleter> MakeContext(bool server, const KeyPair& pair,
                                                    const std::string& ca_pem) {
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(
      SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  EXPECT_NE(ctx, nullptr);
  CertPtr cert = Cert(pair.cert_pem);
  KeyPtr key = Key(pair.key_pem);
  CertPtr ca = Cert(ca_pem);
  if (ctx == nullptr || cert == nullptr || key == nullptr || ca == nullptr) return nullptr;
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), cert.get()), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), key.get()), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);
  EXPECT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get()), 1);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return ctx;
}

struct HandshakeResult {
  bool client_ok = false;
  bool server_ok = false;
  long client_verify = X509_V_OK;  // the client's verdict on the server's certificate
  long server_verify = X509_V_OK;  // and the server's on the client's
  std::string server_peer_cn;      // who the server saw
};

// Runs both ends over a BIO pair until each has finished or failed. Each step either makes
// progress or blocks on the other end, so a bounded number of rounds always suffices.
HandshakeResult Handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx, const std::string& host) {
  std::unique_ptr<SSL, SslDeleter> server(SSL_new(server_ctx));
  std::unique_ptr<SSL, SslDeleter> client(SSL_new(client_ctx));
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
  SSL_set_bio(server.get(), server_bio, server_bio);  // each SSL now owns its BIO
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  EXPECT_EQ(SSL_set1_host(client.get(), host.c_str()), 1);
  EXPECT_EQ(SSL_set_tlsext_host_name(client.get(), host.c_str()), 1);

  enum class State { kRunning, kDone, kFailed };
  auto step = [](SSL* ssl, State& state) {
    if (state != State::kRunning) return;
    const int rc = SSL_do_handshake(ssl);
    if (rc == 1) {
      state = State::kDone;
      return;
    }
    const int error = SSL_get_error(ssl, rc);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) state = State::kFailed;
  };
  State server_state = State::kRunning, client_state = State::kRunning;
  for (int round = 0; round < 50; ++round) {
    step(client.get(), client_state);
    step(server.get(), server_state);
    if (server_state != State::kRunning && client_state != State::kRunning) break;
  }
  // With TLS 1.3 the client is done before the server has judged its certificate; a read
  // delivers the server's verdict (an alert) or, after success, nothing yet.
  if (client_state == State::kDone) {
    char byte;
    const int rc = SSL_read(client.get(), &byte, 1);
    const int error = SSL_get_error(client.get(), rc);
    if (error != SSL_ERROR_WANT_READ) client_state = State::kFailed;
  }
  ERR_clear_error();

  HandshakeResult result;
  result.client_ok = client_state == State::kDone;
  result.server_ok = server_state == State::kDone;
  result.client_verify = SSL_get_verify_result(client.get());
  result.server_verify = SSL_get_verify_result(server.get());
  if (X509* peer = SSL_get0_peer_certificate(server.get()))
    result.server_peer_cn = CommonName(peer);
  return result;
}

TEST(HandshakeTest, ContourAndEnvoyAuthenticateEachOther) {
  const GeneratedCertificates& certs = CertgenRun(0);
  auto server_ctx = MakeContext(true, certs.contour, certs.ca_cert_pem);
  auto client_ctx = MakeContext(false, certs.envoy, certs.ca_cert_pem);
  ASSERT_NE(server_ctx, nullptr);
  ASSERT_NE(client_ctx, nullptr);
  // Envoy's bootstrap checks the subject alt name "contour"; the in-cluster DNS name works too.
  for (const std::string host : {"contour", "contour.projectcontour-test.svc.cluster.local"}) {
    SCOPED_TRACE(host);
    const HandshakeResult result = Handshake(server_ctx.get(), client_ctx.get(), host);
    EXPECT_TRUE(result.server_ok);
    EXPECT_TRUE(result.client_ok);
    EXPECT_EQ(result.server_verify, X509_V_OK)
        << X509_verify_cert_error_string(result.server_verify);
    EXPECT_EQ(result.client_verify, X509_V_OK)
        << X509_verify_cert_error_string(result.client_verify);
    EXPECT_EQ(result.server_peer_cn, "envoy");
  }
}

TEST(HandshakeTest, ClientFromAnotherRunIsRejected) {
  const GeneratedCertificates& certs = CertgenRun(0);
  const GeneratedCertificates& other = CertgenRun(1);
  auto server_ctx = MakeContext(true, certs.contour, certs.ca_cert_pem);
  // The client trusts the right CA but presents a certificate from the other run.
  auto client_ctx = MakeContext(false, other.envoy, certs.ca_cert_pem);
  ASSERT_NE(server_ctx, nullptr);
  ASSERT_NE(client_ctx, nullptr);
  const HandshakeResult result = Handshake(server_ctx.get(), client_ctx.get(), "contour");
  EXPECT_FALSE(result.server_ok);
  EXPECT_FALSE(result.client_ok);
  EXPECT_NE(result.server_verify, X509_V_OK);
  EXPECT_EQ(result.client_verify, X509_V_OK) << "the server's certificate itself was fine";
}

TEST(HandshakeTest, ServerFromAnotherRunIsRejected) {
  const GeneratedCertificates& certs = CertgenRun(0);
  const GeneratedCertificates& other = CertgenRun(1);
  auto server_ctx = MakeContext(true, other.contour, certs.ca_cert_pem);
  auto client_ctx = MakeContext(false, certs.envoy, certs.ca_cert_pem);
  ASSERT_NE(server_ctx, nullptr);
  ASSERT_NE(client_ctx, nullptr);
  const HandshakeResult result = Handshake(server_ctx.get(), client_ctx.get(), "contour");
  EXPECT_FALSE(result.client_ok);
  EXPECT_FALSE(result.server_ok);
  EXPECT_NE(result.client_verify, X509_V_OK);
}

TEST(HandshakeTest, WrongNameIsRejected) {
  const GeneratedCertificates& certs = CertgenRun(0);
  auto server_ctx = MakeContext(true, certs.contour, certs.ca_cert_pem);
  auto client_ctx = MakeContext(false, certs.envoy, certs.ca_cert_pem);
  ASSERT_NE(server_ctx, nullptr);
  ASSERT_NE(client_ctx, nullptr);
  // contour's certificate is not envoy's: a client expecting "envoy" refuses it.
  const HandshakeResult result = Handshake(server_ctx.get(), client_ctx.get(), "envoy");
  EXPECT_FALSE(result.client_ok);
  EXPECT_EQ(result.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);
}

}  // namespace
}  // namespace contour::certgen
