// The xDS port over mutual TLS, on 127.0.0.1:0 with certificates made per test: who is refused,
// who is served, rotation of the files under live streams, the TLS floor, and Secrets withheld
// from peers without a verified certificate. Waits are on conditions with generous deadlines.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/security/server_credentials.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"
#include "tests/xds/xds_test_client.h"
#include "tests/xds/xds_test_util.h"
#include "xds/grpc_server.h"
#include "xds/server.h"

namespace contour::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakeTestCerts;
using testing::MakeUnrelatedCerts;
using testing::TempDir;
using testing::TestCerts;
using xdstest::kCds;
using xdstest::kSds;
using xdstest::Names;
using xdstest::Request;
using xdstest::XdsTestClient;

// A handshake that fails ends the call quickly; this only bounds a broken test.
constexpr absl::Duration kRefusedWithin = absl::Seconds(20);

// Writes through a rename, so the server's file watcher never reads half a file.
void WriteAtomically(const TempDir& dir, const std::string& name, const std::string& contents) {
  const std::string staged = dir.Write(name + ".new", contents);
  ASSERT_EQ(std::rename(staged.c_str(), (dir.path() + "/" + name).c_str()), 0);
}

void WriteServerFiles(const TempDir& dir, const TestCerts& certs) {
  WriteAtomically(dir, "ca.pem", certs.ca_pem);
  WriteAtomically(dir, "cert.pem", certs.server_cert_pem);
  WriteAtomically(dir, "key.pem", certs.server_key_pem);
}

// A fresh channel (its own subchannel, so its own handshake) trusting `trusted`'s CA and
// presenting `client`'s client certificate, or none.
std::shared_ptr<grpc::Channel> TlsChannel(int port, const TestCerts& trusted,
                                          const TestCerts* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = trusted.ca_pem;
  if (client != nullptr) {
    ssl.pem_cert_chain = client->client_cert_pem;
    ssl.pem_private_key = client->client_key_pem;
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(ssl),
                                   args);
}

// One CDS request: the response's cluster names, or the status the call ended with.
struct Outcome {
  bool served = false;
  std::vector<std::string> clusters;
  grpc::StatusCode code = grpc::StatusCode::OK;
};

Outcome AskForClusters(const std::shared_ptr<grpc::Channel>& channel) {
  XdsTestClient client(channel);
  auto stream = client.PerType(kCds);
  stream->Send(Request(kCds, {}));
  Outcome outcome;
  if (auto response = stream->Next(kRefusedWithin)) {
    outcome.served = true;
    outcome.clusters = Names(*response);
    return outcome;
  }
  std::optional<grpc::Status> status = stream->WaitDone(kRefusedWithin);
  outcome.code = status.has_value() ? status->error_code() : grpc::StatusCode::DEADLINE_EXCEEDED;
  return outcome;
}

SnapshotPtr Clusters(const std::string& name) {
  xdstest::FakeContents contents;
  contents.clusters[name] = "1";
  contents.secrets["default/tls/0123456789"] = "secret material";
  return xdstest::FakeSnapshot(contents);
}

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TestCerts> certs = MakeTestCerts();
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = *std::move(certs);
    WriteServerFiles(dir_, certs_);
    xds_.PublishSnapshot(Clusters("first"));
    xds_.WithholdSecretsFromUnauthenticatedPeers(true);
  }

  void Start(absl::Duration reload = absl::Seconds(1)) {
    GrpcServerOptions options;
    options.port = 0;
    options.tls = GrpcTlsFiles{dir_.path() + "/ca.pem", dir_.path() + "/cert.pem",
                               dir_.path() + "/key.pem", reload};
    absl::StatusOr<std::unique_ptr<GrpcServer>> started = GrpcServer::Start(xds_, options);
    ASSERT_TRUE(started.ok()) << started.status();
    grpc_ = *std::move(started);
  }
  int port() const { return grpc_->port(); }

  TempDir dir_;
  TestCerts certs_;
  XdsServer xds_;
  std::unique_ptr<GrpcServer> grpc_;  // stops before xds_ goes
};

TEST_F(GrpcTlsTest, TheRightClientCertificateIsServed) {
  Start();
  Outcome outcome = AskForClusters(TlsChannel(port(), certs_, &certs_));
  EXPECT_TRUE(outcome.served);
  EXPECT_THAT(outcome.clusters, ElementsAre("first"));
}

TEST_F(GrpcTlsTest, NoClientCertificateIsRefused) {
  Start();
  Outcome outcome = AskForClusters(TlsChannel(port(), certs_, nullptr));
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, AClientCertificateFromAnotherCaIsRefused) {
  absl::StatusOr<TestCerts> other = MakeUnrelatedCerts();
  ASSERT_TRUE(other.ok()) << other.status();
  Start();
  Outcome outcome = AskForClusters(TlsChannel(port(), certs_, &*other));
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, PlaintextClientsAreRefused) {
  Start();
  Outcome outcome = AskForClusters(xdstest::NewChannel(port()));
  EXPECT_FALSE(outcome.served);
  EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcTlsTest, RotatedFilesServeNewHandshakesWhileOldStreamsLiveOn) {
  Start();
  XdsTestClient old_client(TlsChannel(port(), certs_, &certs_));
  auto old_stream = old_client.PerType(kCds);
  old_stream->Send(Request(kCds, {}));
  auto first = old_stream->Next();
  ASSERT_TRUE(first.has_value());
  old_stream->Send(xdstest::Answer(*first, {}, ""));

  // A new CA with new server and client certificates, as a second `contour certgen` makes.
  absl::StatusOr<TestCerts> rotated = MakeUnrelatedCerts();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  WriteServerFiles(dir_, *rotated);

  // The file watcher picks the files up at its next pass: new handshakes then succeed with the
  // new certificates only (the client trusts only the new CA, so the server presents the new
  // certificate; and the server trusts only the new CA).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool rotated_served = false;
  while (!rotated_served && absl::Now() < deadline) {
    rotated_served = AskForClusters(TlsChannel(port(), *rotated, &*rotated)).served;
  }
  ASSERT_TRUE(rotated_served) << "the rotated certificates were never used";
  EXPECT_FALSE(AskForClusters(TlsChannel(port(), certs_, &certs_)).served)
      << "the old certificates still complete a handshake";

  // The stream opened before the rotation is still there and hears the next change.
  xds_.PublishSnapshot(Clusters("second"));
  auto second = old_stream->Next();
  ASSERT_TRUE(second.has_value()) << "the old stream ended";
  EXPECT_THAT(Names(*second), ElementsAre("second"));
}

TEST(GrpcTlsFilesTest, BadFilesAreAClearErrorAtStart) {
  absl::StatusOr<TestCerts> certs = MakeTestCerts();
  ASSERT_TRUE(certs.ok()) << certs.status();
  absl::StatusOr<TestCerts> other = MakeUnrelatedCerts();
  ASSERT_TRUE(other.ok()) << other.status();
  TempDir dir;
  const std::string ca = dir.Write("ca.pem", certs->ca_pem);
  const std::string cert = dir.Write("cert.pem", certs->server_cert_pem);
  const std::string key = dir.Write("key.pem", certs->server_key_pem);
  const std::string other_key = dir.Write("other-key.pem", other->server_key_pem);
  const std::string garbage = dir.Write("garbage.pem", "not a certificate\n");
  const std::string missing = dir.path() + "/missing.pem";
  struct Case {
    GrpcTlsFiles files;
    std::string error;  // empty: accepted
  };
  const Case cases[] = {
      {{ca, cert, key}, ""},
      {{missing, cert, key}, "cannot read CA file " + missing},
      {{ca, missing, key}, "cannot read certificate file " + missing},
      {{ca, cert, missing}, "cannot read key file " + missing},
      {{garbage, cert, key}, "CA file " + garbage + " holds no PEM certificate"},
      {{ca, garbage, key}, "certificate file " + garbage + " holds no PEM certificate"},
      {{ca, cert, garbage}, "key file " + garbage + " holds no PEM private key"},
      {{ca, cert, other_key}, "key file " + other_key + " does not match certificate " + cert},
  };
  for (const Case& c : cases) {
    absl::Status status = CheckTlsFiles(c.files);
    if (c.error.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.error));
    XdsServer xds;
    GrpcServerOptions options;
    options.port = 0;
    options.tls = c.files;
    EXPECT_FALSE(GrpcServer::Start(xds, options).ok()) << c.error;
  }
}

// A raw OpenSSL handshake offering only `version` (and h2, as gRPC requires), with the right
// client certificate: whether the server completes it.
bool HandshakeWithVersion(int port, const TestCerts& certs, int version) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  // Our side must be willing to speak old versions, so only the server can refuse.
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_min_proto_version(ctx.get(), version);
  SSL_CTX_set_max_proto_version(ctx.get(), version);
  static const unsigned char kH2[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(ctx.get(), kH2, sizeof(kH2));
  BIO* cert_bio = BIO_new_mem_buf(certs.client_cert_pem.data(), certs.client_cert_pem.size());
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(certs.client_key_pem.data(), certs.client_key_pem.size());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  SSL_CTX_use_certificate(ctx.get(), cert);
  SSL_CTX_use_PrivateKey(ctx.get(), key);
  X509_free(cert);
  EVP_PKEY_free(key);

  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    ADD_FAILURE() << "cannot connect";
    return false;
  }
  SSL* ssl = SSL_new(ctx.get());
  SSL_set_fd(ssl, fd);
  const bool completed = SSL_connect(ssl) == 1;
  ERR_clear_error();
  SSL_free(ssl);
  close(fd);
  return completed;
}

TEST_F(GrpcTlsTest, NothingBelowTls12IsNegotiated) {
  Start();
  EXPECT_TRUE(HandshakeWithVersion(port(), certs_, TLS1_2_VERSION));
  EXPECT_TRUE(HandshakeWithVersion(port(), certs_, TLS1_3_VERSION));
  EXPECT_FALSE(HandshakeWithVersion(port(), certs_, TLS1_1_VERSION));
  EXPECT_FALSE(HandshakeWithVersion(port(), certs_, TLS1_VERSION));
}

// A server that asks for a client certificate but lets a peer without one in (never what
// `contour serve` does): the Secret goes only to the peer whose certificate was verified.
TEST_F(GrpcTlsTest, SecretsGoOnlyToAuthenticatedPeers) {
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = certs_.ca_pem;
  ssl.pem_key_cert_pairs.push_back({certs_.server_key_pem, certs_.server_cert_pem});
  GrpcServerOptions options;
  options.port = 0;
  options.credentials = grpc::SslServerCredentials(ssl);
  absl::StatusOr<std::unique_ptr<GrpcServer>> started = GrpcServer::Start(xds_, options);
  ASSERT_TRUE(started.ok()) << started.status();
  grpc_ = *std::move(started);

  struct Case {
    std::string name;
    const TestCerts* client;
    bool gets_secret;
  };
  const Case cases[] = {{"anonymous", nullptr, false}, {"authenticated", &certs_, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    XdsTestClient client(TlsChannel(port(), certs_, c.client));
    // Wildcard and by name, per-type and aggregated: all ways to ask.
    auto per_type = client.PerType(kSds);
    per_type->Send(Request(kSds, {}));
    auto named = client.PerType(kSds);
    named->Send(Request(kSds, {"default/tls/0123456789"}));
    auto ads = client.Ads();
    ads->Send(Request(kSds, {"default/tls/0123456789"}));
    for (auto* stream : {per_type.get(), named.get(), ads.get()}) {
      auto response = stream->Next();
      ASSERT_TRUE(response.has_value());
      if (c.gets_secret) {
        EXPECT_THAT(Names(*response), ElementsAre("default/tls/0123456789"));
      } else {
        EXPECT_THAT(Names(*response), IsEmpty());
      }
    }
  }
  EXPECT_EQ(xds_.Stats().secrets_withheld_streams, 3u);
}

}  // namespace
}  // namespace contour::xds
