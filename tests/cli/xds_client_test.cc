// `contour cli` against an in-test xDS server that sends scripted responses and records every
// request it receives.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cli/xds_client_command.h"
#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/config/route/v3/route.pb.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb.h"
#include "envoy/service/cluster/v3/cds.grpc.pb.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"
#include "envoy/service/endpoint/v3/eds.grpc.pb.h"
#include "envoy/service/listener/v3/lds.grpc.pb.h"
#include "envoy/service/route/v3/rds.grpc.pb.h"
#include "envoy/service/secret/v3/sds.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace contour::cli {
namespace {

using ::envoy::service::discovery::v3::DeltaDiscoveryRequest;
using ::envoy::service::discovery::v3::DeltaDiscoveryResponse;
using ::envoy::service::discovery::v3::DiscoveryRequest;
using ::envoy::service::discovery::v3::DiscoveryResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kListenerUrl[] = "type.googleapis.com/envoy.config.listener.v3.Listener";
constexpr absl::Duration kWait = absl::Seconds(10);

// What the fake server does on every stream: it answers the first request with the first
// response and each later request with the next one; once they run out it ends the stream with
// `finish` at the next request, or (without one) waits for the client to half-close.
struct Script {
  std::vector<DiscoveryResponse> sotw;
  std::vector<DeltaDiscoveryResponse> delta;
  std::optional<grpc::Status> finish;
};

struct Received {
  std::string method;           // e.g. "StreamListeners"
  DiscoveryRequest sotw;        // for the Stream* methods
  DeltaDiscoveryRequest delta;  // for the Delta* methods
};

class Recorder {
 public:
  explicit Recorder(Script script) : script_(std::move(script)) {}

  template <typename Response, typename Request>
  grpc::Status Serve(const std::string& method,
                     grpc::ServerReaderWriter<Response, Request>* stream) {
    const std::vector<Response>* responses;
    if constexpr (std::is_same_v<Response, DiscoveryResponse>) {
      responses = &script_.sotw;
    } else {
      responses = &script_.delta;
    }
    size_t sent = 0;
    Request request;
    while (stream->Read(&request)) {
      Record(method, request);
      if (sent < responses->size()) {
        stream->Write((*responses)[sent++]);
      } else if (script_.finish.has_value()) {
        return *script_.finish;
      }
    }
    return grpc::Status::OK;
  }

  // Waits until `count` requests arrived (or the wait ran out), then returns all of them.
  std::vector<Received> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return received_.size() >= count; };
    const bool arrived = mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
    EXPECT_TRUE(arrived) << "waited for " << count << " requests, got " << received_.size();
    return received_;
  }

 private:
  void Record(const std::string& method, const DiscoveryRequest& request) {
    absl::MutexLock lock(&mu_);
    received_.push_back(Received{.method = method, .sotw = request});
  }
  void Record(const std::string& method, const DeltaDiscoveryRequest& request) {
    absl::MutexLock lock(&mu_);
    received_.push_back(Received{.method = method, .delta = request});
  }

  const Script script_;
  absl::Mutex mu_;
  std::vector<Received> received_ ABSL_GUARDED_BY(mu_);
};

template <typename Response, typename Request>
using ServerStream = grpc::ServerReaderWriter<Response, Request>;

class Ads final : public ::envoy::service::discovery::v3::AggregatedDiscoveryService::Service {
 public:
  explicit Ads(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamAggregatedResources(
      grpc::ServerContext*, ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamAggregatedResources", stream);
  }
  grpc::Status DeltaAggregatedResources(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaAggregatedResources", stream);
  }

 private:
  Recorder& recorder_;
};

class Lds final : public ::envoy::service::listener::v3::ListenerDiscoveryService::Service {
 public:
  explicit Lds(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamListeners(grpc::ServerContext*,
                               ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamListeners", stream);
  }
  grpc::Status DeltaListeners(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaListeners", stream);
  }

 private:
  Recorder& recorder_;
};

class Rds final : public ::envoy::service::route::v3::RouteDiscoveryService::Service {
 public:
  explicit Rds(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamRoutes(grpc::ServerContext*,
                            ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamRoutes", stream);
  }
  grpc::Status DeltaRoutes(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaRoutes", stream);
  }

 private:
  Recorder& recorder_;
};

class Cds final : public ::envoy::service::cluster::v3::ClusterDiscoveryService::Service {
 public:
  explicit Cds(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamClusters(grpc::ServerContext*,
                              ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamClusters", stream);
  }
  grpc::Status DeltaClusters(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaClusters", stream);
  }

 private:
  Recorder& recorder_;
};

class Eds final : public ::envoy::service::endpoint::v3::EndpointDiscoveryService::Service {
 public:
  explicit Eds(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamEndpoints(grpc::ServerContext*,
                               ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamEndpoints", stream);
  }
  grpc::Status DeltaEndpoints(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaEndpoints", stream);
  }

 private:
  Recorder& recorder_;
};

class Sds final : public ::envoy::service::secret::v3::SecretDiscoveryService::Service {
 public:
  explicit Sds(Recorder& recorder) : recorder_(recorder) {}
  grpc::Status StreamSecrets(grpc::ServerContext*,
                             ServerStream<DiscoveryResponse, DiscoveryRequest>* stream) override {
    return recorder_.Serve("StreamSecrets", stream);
  }
  grpc::Status DeltaSecrets(
      grpc::ServerContext*,
      ServerStream<DeltaDiscoveryResponse, DeltaDiscoveryRequest>* stream) override {
    return recorder_.Serve("DeltaSecrets", stream);
  }

 private:
  Recorder& recorder_;
};

// Every xDS service on a loopback port of its own.
class FakeXdsServer {
 public:
  explicit FakeXdsServer(Script script, std::shared_ptr<grpc::ServerCredentials> credentials =
                                            grpc::InsecureServerCredentials())
      : recorder_(std::move(script)),
        ads_(recorder_),
        lds_(recorder_),
        rds_(recorder_),
        cds_(recorder_),
        eds_(recorder_),
        sds_(recorder_) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", std::move(credentials), &port_);
    for (grpc::Service* service :
         std::initializer_list<grpc::Service*>{&ads_, &lds_, &rds_, &cds_, &eds_, &sds_}) {
      builder.RegisterService(service);
    }
    server_ = builder.BuildAndStart();
  }
  ~FakeXdsServer() {
    // Streams still open are cancelled at once rather than waited for.
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  }

  bool started() const { return server_ != nullptr && port_ > 0; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::vector<Received> WaitForRequests(size_t count) { return recorder_.WaitFor(count); }

 private:
  Recorder recorder_;
  Ads ads_;
  Lds lds_;
  Rds rds_;
  Cds cds_;
  Eds eds_;
  Sds sds_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

google::protobuf::Any Pack(const google::protobuf::Message& message) {
  google::protobuf::Any any;
  any.PackFrom(message);
  return any;
}

// A resource of the type `contour cli <type>` asks for, named `name`.
google::protobuf::Any NamedResource(const std::string& type, const std::string& name) {
  if (type == "lds") {
    ::envoy::config::listener::v3::Listener listener;
    listener.set_name(name);
    return Pack(listener);
  }
  if (type == "rds") {
    ::envoy::config::route::v3::RouteConfiguration route;
    route.set_name(name);
    return Pack(route);
  }
  if (type == "cds") {
    ::envoy::config::cluster::v3::Cluster cluster;
    cluster.set_name(name);
    return Pack(cluster);
  }
  if (type == "eds") {
    ::envoy::config::endpoint::v3::ClusterLoadAssignment assignment;
    assignment.set_cluster_name(name);
    return Pack(assignment);
  }
  ::envoy::extensions::transport_sockets::tls::v3::Secret secret;
  secret.set_name(name);
  return Pack(secret);
}

google::protobuf::Any HttpListener() {
  ::envoy::config::listener::v3::Listener listener;
  listener.set_name("ingress_http");
  auto* socket = listener.mutable_address()->mutable_socket_address();
  socket->set_address("0.0.0.0");
  socket->set_port_value(8080);
  return Pack(listener);
}

google::protobuf::Any UnknownTypeResource() {
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/example.v1.Unknown");
  any.set_value("\x0a\x01x");
  return any;
}

DiscoveryResponse Sotw(const std::string& version, const std::string& nonce,
                       const std::string& type_url, std::vector<google::protobuf::Any> resources) {
  DiscoveryResponse response;
  response.set_version_info(version);
  response.set_nonce(nonce);
  response.set_type_url(type_url);
  for (google::protobuf::Any& any : resources) *response.add_resources() = std::move(any);
  return response;
}

DeltaDiscoveryResponse Delta(const std::string& version, const std::string& nonce,
                             const std::string& type_url, const std::string& name,
                             google::protobuf::Any resource) {
  DeltaDiscoveryResponse response;
  response.set_system_version_info(version);
  response.set_nonce(nonce);
  response.set_type_url(type_url);
  auto* entry = response.add_resources();
  entry->set_name(name);
  entry->set_version(absl::StrCat(name, "-v1"));
  *entry->mutable_resource() = std::move(resource);
  return response;
}

struct Outcome {
  int exit_code;
  std::string out;
  std::string err;
};

Outcome RunClient(const XdsClientOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  const int exit_code = RunXdsClient(options, out, err);
  return {exit_code, out.str(), err.str()};
}

XdsClientOptions Options(const FakeXdsServer& server, const std::string& type,
                         std::vector<std::string> names = {}) {
  XdsClientOptions options;
  options.type = type;
  options.names = std::move(names);
  options.contour = server.address();
  return options;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& field) {
  return {field.begin(), field.end()};
}

int CountDocuments(const std::string& yaml) {
  int count = 0;
  for (size_t at = yaml.find("---\n"); at != std::string::npos; at = yaml.find("---\n", at + 1)) {
    ++count;
  }
  return count;
}

// Which method each type and transport uses, and that the first request subscribes and the
// second ACKs.
struct TransportCase {
  std::string name;
  std::string type;
  bool ads;
  bool delta;
  std::string method;
  std::string type_url;
};
void PrintTo(const TransportCase& test, std::ostream* os) { *os << test.name; }

class XdsClientTransportTest : public ::testing::TestWithParam<TransportCase> {};

TEST_P(XdsClientTransportTest, SubscribesOnTheRightMethodAndAcks) {
  const TransportCase& test = GetParam();
  Script script;
  script.sotw = {Sotw("v1", "n1", test.type_url, {NamedResource(test.type, "r1")})};
  script.delta = {Delta("v1", "n1", test.type_url, "r1", NamedResource(test.type, "r1"))};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, test.type, {"r1", "r2"});
  options.ads = test.ads;
  options.delta = test.delta;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  EXPECT_EQ(CountDocuments(outcome.out), 1) << outcome.out;
  EXPECT_THAT(outcome.out, HasSubstr(absl::StrCat("\"@type\": \"", test.type_url, "\"")));
  EXPECT_THAT(outcome.out, HasSubstr("name: \"r1\""));
  const std::vector<Received> received = server.WaitForRequests(2);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].method, test.method);
  EXPECT_EQ(received[1].method, test.method);
  if (test.delta) {
    const DeltaDiscoveryRequest& first = received[0].delta;
    EXPECT_EQ(first.node().id(), "contour-cli");
    EXPECT_EQ(first.node().cluster(), "contour-cli");
    EXPECT_EQ(first.type_url(), test.type_url);
    EXPECT_THAT(Strings(first.resource_names_subscribe()), ElementsAre("r1", "r2"));
    const DeltaDiscoveryRequest& ack = received[1].delta;
    EXPECT_EQ(ack.type_url(), test.type_url);
    EXPECT_EQ(ack.response_nonce(), "n1");
    EXPECT_FALSE(ack.has_error_detail());
  } else {
    const DiscoveryRequest& first = received[0].sotw;
    EXPECT_EQ(first.node().id(), "contour-cli");
    EXPECT_EQ(first.node().cluster(), "contour-cli");
    EXPECT_EQ(first.type_url(), test.type_url);
    EXPECT_THAT(Strings(first.resource_names()), ElementsAre("r1", "r2"));
    EXPECT_EQ(first.version_info(), "");
    EXPECT_EQ(first.response_nonce(), "");
    const DiscoveryRequest& ack = received[1].sotw;
    EXPECT_EQ(ack.type_url(), test.type_url);
    EXPECT_EQ(ack.version_info(), "v1");
    EXPECT_EQ(ack.response_nonce(), "n1");
    EXPECT_THAT(Strings(ack.resource_names()), ElementsAre("r1", "r2"));
    EXPECT_FALSE(ack.has_error_detail());
  }
}

INSTANTIATE_TEST_SUITE_P(
    XdsClientMethods, XdsClientTransportTest,
    ::testing::Values(
        TransportCase{"lds", "lds", false, false, "StreamListeners", kListenerUrl},
        TransportCase{"rds", "rds", false, false, "StreamRoutes",
                      "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"},
        TransportCase{"cds", "cds", false, false, "StreamClusters",
                      "type.googleapis.com/envoy.config.cluster.v3.Cluster"},
        TransportCase{"eds", "eds", false, false, "StreamEndpoints",
                      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"},
        // Contour asked for secrets on the RDS service.
        TransportCase{"sds", "sds", false, false, "StreamSecrets",
                      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"},
        TransportCase{"lds_ads", "lds", true, false, "StreamAggregatedResources", kListenerUrl},
        TransportCase{"cds_ads", "cds", true, false, "StreamAggregatedResources",
                      "type.googleapis.com/envoy.config.cluster.v3.Cluster"},
        TransportCase{"lds_delta", "lds", false, true, "DeltaListeners", kListenerUrl},
        TransportCase{"sds_delta", "sds", false, true, "DeltaSecrets",
                      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"},
        TransportCase{"eds_ads_delta", "eds", true, true, "DeltaAggregatedResources",
                      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"}),
    [](const ::testing::TestParamInfo<TransportCase>& info) { return info.param.name; });

TEST(XdsClientTest, PrintsTheDecodedListenerAsYaml) {
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener()})};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());

  const Outcome outcome = RunClient(Options(server, "lds"));

  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "---\n"
            "version_info: \"1\"\n"
            "nonce: \"n1\"\n"
            "type_url: \"type.googleapis.com/envoy.config.listener.v3.Listener\"\n"
            "resources:\n"
            "  - \"@type\": \"type.googleapis.com/envoy.config.listener.v3.Listener\"\n"
            "    address:\n"
            "      socket_address:\n"
            "        address: \"0.0.0.0\"\n"
            "        port_value: 8080\n"
            "    name: \"ingress_http\"\n");
  const std::vector<Received> received = server.WaitForRequests(2);
  ASSERT_EQ(received.size(), 2u);
  // No names: a wildcard subscription.
  EXPECT_THAT(Strings(received[0].sotw.resource_names()), IsEmpty());
  EXPECT_EQ(received[1].sotw.version_info(), "1");
  EXPECT_EQ(received[1].sotw.response_nonce(), "n1");
}

TEST(XdsClientTest, DeltaPrintsResourcesAndRemovals) {
  Script script;
  DeltaDiscoveryResponse response =
      Delta("d1", "dn1", kListenerUrl, "ingress_http", HttpListener());
  response.add_removed_resources("old");
  script.delta = {response};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds");
  options.delta = true;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out,
            "---\n"
            "system_version_info: \"d1\"\n"
            "nonce: \"dn1\"\n"
            "type_url: \"type.googleapis.com/envoy.config.listener.v3.Listener\"\n"
            "resources:\n"
            "  - name: \"ingress_http\"\n"
            "    resource:\n"
            "      \"@type\": \"type.googleapis.com/envoy.config.listener.v3.Listener\"\n"
            "      address:\n"
            "        socket_address:\n"
            "          address: \"0.0.0.0\"\n"
            "          port_value: 8080\n"
            "      name: \"ingress_http\"\n"
            "    version: \"ingress_http-v1\"\n"
            "removed_resources:\n"
            "  - \"old\"\n");
  const std::vector<Received> received = server.WaitForRequests(2);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_THAT(Strings(received[0].delta.resource_names_subscribe()), IsEmpty());
  EXPECT_EQ(received[1].delta.response_nonce(), "dn1");
  EXPECT_THAT(Strings(received[1].delta.resource_names_subscribe()), IsEmpty());
}

TEST(XdsClientTest, WatchPrintsAndAcksEachResponseUpToMaxResponses) {
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener()}),
                 Sotw("2", "n2", kListenerUrl, {HttpListener()})};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds", {"ingress_http"});
  options.watch = true;
  options.max_responses = 2;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(CountDocuments(outcome.out), 2) << outcome.out;
  EXPECT_THAT(outcome.out, HasSubstr("version_info: \"2\""));
  const std::vector<Received> received = server.WaitForRequests(3);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[1].sotw.version_info(), "1");
  EXPECT_EQ(received[1].sotw.response_nonce(), "n1");
  EXPECT_EQ(received[2].sotw.version_info(), "2");
  EXPECT_EQ(received[2].sotw.response_nonce(), "n2");
  EXPECT_THAT(Strings(received[2].sotw.resource_names()), ElementsAre("ingress_http"));
}

TEST(XdsClientTest, WatchEndsCleanlyWhenTheServerEndsTheStream) {
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener()})};
  script.finish = grpc::Status::OK;
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds");
  options.watch = true;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(CountDocuments(outcome.out), 1) << outcome.out;
  EXPECT_EQ(server.WaitForRequests(2).size(), 2u);
}

// A response that cannot be used is NACKed: same nonce, the last accepted version (none here)
// and an INVALID_ARGUMENT error_detail that names the resource.
struct NackCase {
  std::string name;
  bool delta;
  google::protobuf::Any resource;
  std::string want_message;
};
void PrintTo(const NackCase& test, std::ostream* os) { *os << test.name; }

class XdsClientNackTest : public ::testing::TestWithParam<NackCase> {};

TEST_P(XdsClientNackTest, RejectsWithErrorDetail) {
  const NackCase& test = GetParam();
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener(), test.resource})};
  script.delta = {Delta("1", "n1", kListenerUrl, "bad", test.resource)};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds");
  options.delta = test.delta;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(CountDocuments(outcome.out), 1) << outcome.out;
  EXPECT_THAT(outcome.err, HasSubstr("rejecting"));
  EXPECT_THAT(outcome.err, HasSubstr(test.want_message));
  const std::vector<Received> received = server.WaitForRequests(2);
  ASSERT_EQ(received.size(), 2u);
  const google::rpc::Status& detail =
      test.delta ? received[1].delta.error_detail() : received[1].sotw.error_detail();
  EXPECT_EQ(detail.code(), 3);  // INVALID_ARGUMENT
  EXPECT_THAT(detail.message(), HasSubstr(test.want_message));
  if (test.delta) {
    EXPECT_EQ(received[1].delta.response_nonce(), "n1");
  } else {
    EXPECT_EQ(received[1].sotw.response_nonce(), "n1");
    EXPECT_EQ(received[1].sotw.version_info(), "");
  }
}

google::protobuf::Any Unparsable() {
  google::protobuf::Any any;
  any.set_type_url(kListenerUrl);
  any.set_value("\xff\xff\xff");
  return any;
}

INSTANTIATE_TEST_SUITE_P(
    XdsClientResources, XdsClientNackTest,
    ::testing::Values(
        NackCase{"unknown_type", false, UnknownTypeResource(),
                 "resources[1]: unknown type \"type.googleapis.com/example.v1.Unknown\""},
        NackCase{"unparsable", false, Unparsable(),
                 "resources[1]: cannot parse a envoy.config.listener.v3.Listener"},
        NackCase{"wrong_type", false, NamedResource("cds", "c"),
                 "resources[1]: type \"type.googleapis.com/envoy.config.cluster.v3.Cluster\""},
        NackCase{"delta_unknown_type", true, UnknownTypeResource(),
                 "resource \"bad\": unknown type \"type.googleapis.com/example.v1.Unknown\""}),
    [](const ::testing::TestParamInfo<NackCase>& info) { return info.param.name; });

TEST(XdsClientTest, NackCarriesTheLastAcceptedVersion) {
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener()}),
                 Sotw("2", "n2", kListenerUrl, {UnknownTypeResource()})};
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds");
  options.watch = true;
  options.max_responses = 2;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(CountDocuments(outcome.out), 2) << outcome.out;
  const std::vector<Received> received = server.WaitForRequests(3);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_FALSE(received[1].sotw.has_error_detail());
  EXPECT_EQ(received[2].sotw.version_info(), "1");
  EXPECT_EQ(received[2].sotw.response_nonce(), "n2");
  EXPECT_EQ(received[2].sotw.error_detail().code(), 3);
}

TEST(XdsClientTest, NoServerExitsOneNamingTheAddress) {
  // A bound socket that does not listen: connections are refused and no one else can take it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  XdsClientOptions options;
  options.type = "cds";
  options.contour = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));

  const Outcome outcome = RunClient(options);
  close(fd);

  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_THAT(outcome.err, HasSubstr(options.contour));
  EXPECT_THAT(outcome.err, HasSubstr("UNAVAILABLE"));
}

TEST(XdsClientTest, StreamErrorExitsOneWithTheStatus) {
  Script script;
  script.finish = grpc::Status(grpc::StatusCode::INTERNAL, "no snapshot yet");
  FakeXdsServer server(std::move(script));
  ASSERT_TRUE(server.started());

  const Outcome outcome = RunClient(Options(server, "rds"));

  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.out, "");
  EXPECT_THAT(outcome.err, HasSubstr(server.address()));
  EXPECT_THAT(outcome.err, HasSubstr("INTERNAL: no snapshot yet"));
}

// A key and its certificate, made in the test so that no fixture expires.
struct Certificate {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
};

std::string ToPem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  write(bio.get());
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, length);
}

std::string KeyPem(const Certificate& certificate) {
  return ToPem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, certificate.key.get(), nullptr, nullptr, 0, nullptr,
                                    nullptr);
  });
}

std::string CertPem(const Certificate& certificate) {
  return ToPem([&](BIO* bio) { return PEM_write_bio_X509(bio, certificate.cert.get()); });
}

// A P-256 certificate for `dns_name` (its CN and only SAN) signed by `issuer`, or a self-signed
// CA when there is no issuer.
Certificate MakeCertificate(const std::string& dns_name, const Certificate* issuer, long serial) {
  Certificate made;
  made.key.reset(EVP_EC_gen("P-256"));
  made.cert.reset(X509_new());
  X509* cert = made.cert.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, made.key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dns_name.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer_cert, cert, nullptr, nullptr, 0);
  const std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, issuer == nullptr ? "critical,CA:TRUE" : "CA:FALSE"},
      {NID_subject_alt_name, "DNS:" + dns_name}};
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, issuer != nullptr ? issuer->key.get() : made.key.get(), EVP_sha256());
  return made;
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::path(::testing::TempDir()) / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// Mutual TLS: the client verifies the server as "contour" whatever address it dials, and the
// server requires the client's certificate.
struct TlsCase {
  std::string name;
  std::string server_dns_name;
  int exit_code;
};
void PrintTo(const TlsCase& test, std::ostream* os) { *os << test.name; }

class XdsClientTlsTest : public ::testing::TestWithParam<TlsCase> {};

TEST_P(XdsClientTlsTest, VerifiesTheServerAsContour) {
  const TlsCase& test = GetParam();
  const Certificate ca = MakeCertificate("contour-ca", nullptr, 1);
  const Certificate server_cert = MakeCertificate(test.server_dns_name, &ca, 2);
  const Certificate client_cert = MakeCertificate("envoy", &ca, 3);

  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = CertPem(ca);
  ssl.pem_key_cert_pairs.push_back({KeyPem(server_cert), CertPem(server_cert)});
  Script script;
  script.sotw = {Sotw("1", "n1", kListenerUrl, {HttpListener()})};
  FakeXdsServer server(std::move(script), grpc::SslServerCredentials(ssl));
  ASSERT_TRUE(server.started());
  XdsClientOptions options = Options(server, "lds");
  options.cafile = WriteTempFile(test.name + "-ca.pem", CertPem(ca));
  options.cert_file = WriteTempFile(test.name + "-cert.pem", CertPem(client_cert));
  options.key_file = WriteTempFile(test.name + "-key.pem", KeyPem(client_cert));

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, test.exit_code) << outcome.err;
  if (test.exit_code == 0) {
    EXPECT_EQ(CountDocuments(outcome.out), 1) << outcome.out;
    EXPECT_EQ(server.WaitForRequests(2).size(), 2u);
  } else {
    EXPECT_THAT(outcome.err, HasSubstr(server.address()));
    EXPECT_THAT(outcome.err, HasSubstr("UNAVAILABLE"));
  }
}

INSTANTIATE_TEST_SUITE_P(XdsClientCertificates, XdsClientTlsTest,
                         ::testing::Values(TlsCase{"contour", "contour", 0},
                                           TlsCase{"other_name", "envoy", 1}),
                         [](const ::testing::TestParamInfo<TlsCase>& info) {
                           return info.param.name;
                         });

// Usage errors exit 2 before anything is dialled.
struct UsageCase {
  std::string name;
  std::string type;
  std::string cafile;
  std::string cert_file;
  std::string key_file;
  std::string want_error;
};
void PrintTo(const UsageCase& test, std::ostream* os) { *os << test.name; }

class XdsClientUsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(XdsClientUsageTest, ExitsTwo) {
  const UsageCase& test = GetParam();
  XdsClientOptions options;
  options.type = test.type;
  options.cafile = test.cafile;
  options.cert_file = test.cert_file;
  options.key_file = test.key_file;

  const Outcome outcome = RunClient(options);

  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.out, "");
  EXPECT_THAT(outcome.err, HasSubstr(test.want_error));
}

INSTANTIATE_TEST_SUITE_P(
    XdsClientFlags, XdsClientUsageTest,
    ::testing::Values(UsageCase{"cafile_only", "lds", "/ca.pem", "", "", "give all three or none"},
                      UsageCase{"no_key", "lds", "/ca.pem", "/cert.pem", "",
                                "give all three or none"},
                      UsageCase{"unreadable", "lds", "/nonexistent/ca.pem", "/nonexistent/cert.pem",
                                "/nonexistent/key.pem", "cannot read /nonexistent/ca.pem"},
                      UsageCase{"unknown_type", "xds", "", "", "", "unknown type \"xds\""}),
    [](const ::testing::TestParamInfo<UsageCase>& info) { return info.param.name; });

// The command line as main() parses it.
struct ParseCase {
  std::string name;
  std::vector<std::string> args;  // after "contour"
  std::string type;
  std::vector<std::string> names;
  std::string contour;
  bool ads;
  bool delta;
  bool watch;
};
void PrintTo(const ParseCase& test, std::ostream* os) { *os << test.name; }

class XdsClientParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(XdsClientParseTest, FillsOptions) {
  const ParseCase& test = GetParam();
  CLI::App app;
  XdsClientOptions options;
  AddXdsClientCommand(app, options);
  std::vector<std::string> args = {"contour"};
  args.insert(args.end(), test.args.begin(), test.args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());

  ASSERT_NO_THROW(app.parse(static_cast<int>(argv.size()), argv.data()));

  EXPECT_TRUE(app.got_subcommand("cli"));
  EXPECT_EQ(options.type, test.type);
  EXPECT_EQ(options.names, test.names);
  EXPECT_EQ(options.contour, test.contour);
  EXPECT_EQ(options.ads, test.ads);
  EXPECT_EQ(options.delta, test.delta);
  EXPECT_EQ(options.watch, test.watch);
}

INSTANTIATE_TEST_SUITE_P(
    XdsClientCommandLines, XdsClientParseTest,
    ::testing::Values(
        ParseCase{"defaults", {"cli", "lds"}, "lds", {}, "127.0.0.1:8001", false, false, false},
        ParseCase{"names",
                  {"cli", "--contour", "contour:8001", "cds", "a", "b"},
                  "cds",
                  {"a", "b"},
                  "contour:8001",
                  false,
                  false,
                  false},
        ParseCase{"flags_after_type",
                  {"cli", "eds", "x", "--watch", "--delta", "--ads"},
                  "eds",
                  {"x"},
                  "127.0.0.1:8001",
                  true,
                  true,
                  true}),
    [](const ::testing::TestParamInfo<ParseCase>& info) { return info.param.name; });

}  // namespace
}  // namespace contour::cli
