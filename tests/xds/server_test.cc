// XdsServer over real gRPC on 127.0.0.1:0, with the generated stubs as clients. Nothing here
// sleeps: tests wait for responses, and prove that something did *not* arrive by publishing a
// later change as a barrier and checking that it is the very next response.
#include "xds/server.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/xds/xds_test_client.h"
#include "tests/xds/xds_test_util.h"
#include "xds/endpoint_table.h"
#include "xds/grpc_server.h"

namespace contour::xds {
namespace {

namespace discovery_v3 = envoy::service::discovery::v3;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using xdstest::Answer;
using xdstest::ClusterName;
using xdstest::DeltaRequest;
using xdstest::DeltaStream;
using xdstest::EdsName;
using xdstest::EndpointsObject;
using xdstest::IngressYaml;
using xdstest::kCds;
using xdstest::kEds;
using xdstest::kLds;
using xdstest::kRds;
using xdstest::kSds;
using xdstest::Names;
using xdstest::OldNewOtherServices;
using xdstest::Removed;
using xdstest::Request;
using xdstest::ServiceYaml;
using xdstest::SotwStream;
using xdstest::XdsTestClient;

// a.example.com → `service`.
std::string App(const std::string& service) {
  return OldNewOtherServices() + IngressYaml("app", "a.example.com", service);
}

class ServerTest : public testing::Test {
 protected:
  void SetUp() override {
    GrpcServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    absl::StatusOr<std::unique_ptr<GrpcServer>> started = GrpcServer::Start(xds_, options);
    ASSERT_TRUE(started.ok()) << started.status();
    grpc_ = *std::move(started);
    ASSERT_GT(grpc_->port(), 0);
    client_ = std::make_unique<XdsTestClient>(xdstest::NewChannel(grpc_->port()));
  }

  void Publish(const std::string& yaml) {
    snapshot_ = xdstest::MustSnapshot(yaml, snapshot_.get());
    ASSERT_NE(snapshot_, nullptr);
    xds_.PublishSnapshot(snapshot_);
  }
  void PublishEndpoints(const std::string& service, const std::vector<std::string>& ips) {
    xds_.PublishEndpoints(endpoints_.Upsert(EndpointsObject(service, ips)));
  }
  const std::string& Version(ResourceType type) const {
    return snapshot_->versions[static_cast<int>(type)];
  }

  // The next response, failing the test if there is none.
  template <typename Stream>
  auto Next(Stream& stream) {
    auto response = stream.Next();
    EXPECT_TRUE(response.has_value()) << "no response";
    return response.value_or(typename decltype(response)::value_type());
  }

  XdsServer xds_;
  std::unique_ptr<GrpcServer> grpc_;  // stops before xds_ goes
  std::unique_ptr<XdsTestClient> client_;
  SnapshotPtr snapshot_;
  EndpointTable endpoints_;
};

TEST_F(ServerTest, VersionsNoncesAndAck) {
  Publish(App("old"));
  auto stream = client_->PerType(kCds);
  stream->Send(Request(kCds, {}));
  const discovery_v3::DiscoveryResponse first = Next(*stream);
  EXPECT_EQ(first.type_url(), TypeUrl(kCds));
  EXPECT_EQ(first.version_info(), Version(kCds));
  EXPECT_FALSE(first.nonce().empty());
  EXPECT_THAT(Names(first), ElementsAre(ClusterName("old")));
  stream->Send(Answer(first, {}, ""));

  Publish(App("new"));
  const discovery_v3::DiscoveryResponse second = Next(*stream);
  EXPECT_EQ(second.version_info(), Version(kCds));
  EXPECT_NE(second.version_info(), first.version_info());
  EXPECT_NE(second.nonce(), first.nonce());
  EXPECT_THAT(Names(second), ElementsAre(ClusterName("new")));
  stream->Send(Answer(second, {}, ""));

  // The ACK is not answered: the next response is the next change.
  Publish(OldNewOtherServices() + IngressYaml("app", "b.example.com", "new"));  // routes only
  Publish(App("other"));
  const discovery_v3::DiscoveryResponse third = Next(*stream);
  EXPECT_THAT(Names(third), ElementsAre(ClusterName("other")));
  EXPECT_EQ(third.version_info(), Version(kCds));
}

TEST_F(ServerTest, NackKeepsQuietUntilTheNextChange) {
  Publish(App("old"));
  auto stream = client_->PerType(kCds);
  stream->Send(Request(kCds, {}));
  const discovery_v3::DiscoveryResponse good = Next(*stream);
  stream->Send(Answer(good, {}, ""));
  Publish(App("new"));
  const discovery_v3::DiscoveryResponse bad = Next(*stream);
  ASSERT_THAT(Names(bad), ElementsAre(ClusterName("new")));

  stream->Send(Answer(bad, {}, good.version_info(), "cluster rejected"));
  ASSERT_TRUE(xdstest::WaitUntil([&] { return xds_.Stats().nacks[static_cast<int>(kCds)] == 1; }))
      << "the NACK was never counted";
  Publish(App("new"));  // the same again: no change
  Publish(App("other"));
  const discovery_v3::DiscoveryResponse next = Next(*stream);
  EXPECT_THAT(Names(next), ElementsAre(ClusterName("other"))) << "the NACKed version was resent";
  EXPECT_EQ(xds_.Stats().responses[static_cast<int>(kCds)], 3u);
}

TEST_F(ServerTest, SubscriptionsAddedAndRemoved) {
  Publish(App("old"));
  auto stream = client_->PerType(kEds);
  stream->Send(Request(kEds, {EdsName("old")}));
  const discovery_v3::DiscoveryResponse first = Next(*stream);
  EXPECT_THAT(Names(first), ElementsAre(EdsName("old")));  // empty: no endpoints yet

  stream->Send(Answer(first, {EdsName("old"), EdsName("new")}, ""));
  const discovery_v3::DiscoveryResponse added = Next(*stream);
  EXPECT_THAT(Names(added), ElementsAre(EdsName("new")));

  // old out, other in: the answer (other) shows that the server has taken the request.
  stream->Send(Answer(added, {EdsName("new"), EdsName("other")}, ""));
  EXPECT_THAT(Names(Next(*stream)), ElementsAre(EdsName("other")));
  PublishEndpoints("old", {"10.0.0.1"});  // no longer subscribed
  PublishEndpoints("new", {"10.0.0.2"});  // the barrier
  const discovery_v3::DiscoveryResponse barrier = Next(*stream);
  EXPECT_THAT(Names(barrier), ElementsAre(EdsName("new")));
  const auto assignments =
      xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(barrier);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].endpoints(0).lb_endpoints_size(), 1);
}

TEST_F(ServerTest, NameRequestedBeforeItExists) {
  Publish(App("old"));
  auto stream = client_->Ads();
  stream->Send(Request(kLds, {"b.example.com"}));  // a proxyless gRPC client's host
  const discovery_v3::DiscoveryResponse first = Next(*stream);
  EXPECT_THAT(Names(first), IsEmpty());
  stream->Send(Answer(first, {"b.example.com"}, ""));

  Publish(App("old") + IngressYaml("app2", "b.example.com", "new"));
  const discovery_v3::DiscoveryResponse appeared = Next(*stream);
  EXPECT_THAT(Names(appeared), ElementsAre("b.example.com"));
}

TEST_F(ServerTest, ReconnectingClientGetsTheCurrentState) {
  Publish(App("old"));
  discovery_v3::DiscoveryResponse seen;
  {
    auto stream = client_->PerType(kCds);
    stream->Send(Request(kCds, {}));
    seen = Next(*stream);
  }
  Publish(App("new"));
  // Back with the version (and, as some clients do, the nonce) it last saw.
  auto stream = client_->PerType(kCds);
  stream->Send(Request(kCds, {}, seen.version_info(), seen.nonce()));
  const discovery_v3::DiscoveryResponse current = Next(*stream);
  EXPECT_THAT(Names(current), ElementsAre(ClusterName("new")));
  EXPECT_EQ(current.version_info(), Version(kCds));
}

// An ADS client that behaves as Envoy does: after clusters it asks for their endpoints, after
// listeners for their routes, and it answers every response after asking.
class EnvoyLike {
 public:
  explicit EnvoyLike(SotwStream& stream) : stream_(stream) {}

  void Start() {
    stream_.Send(Request(kCds, {}));
    stream_.Send(Request(kLds, {}));
  }

  // Takes the next response, reacts to it, and returns it.
  std::optional<discovery_v3::DiscoveryResponse> Step() {
    std::optional<discovery_v3::DiscoveryResponse> response = stream_.Next();
    if (!response.has_value()) return std::nullopt;
    const ResourceType type = *TypeFromUrl(response->type_url());
    if (type == kCds) Subscribe(kEds, xdstest::EdsServiceNames(*response));
    if (type == kLds) Subscribe(kRds, {"ingress_http"});
    stream_.Send(Answer(*response, names_[type], ""));
    last_[type] = *response;
    return response;
  }

 private:
  void Subscribe(ResourceType type, std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    if (last_.contains(type) && names == names_[type]) return;
    names_[type] = names;
    stream_.Send(last_.contains(type) ? Answer(last_[type], names, "") : Request(type, names));
  }

  SotwStream& stream_;
  std::map<ResourceType, std::vector<std::string>> names_;
  std::map<ResourceType, discovery_v3::DiscoveryResponse> last_;
};

TEST_F(ServerTest, AdsOrderAfterAChange) {
  Publish(App("old"));
  auto stream = client_->Ads();
  EnvoyLike envoy(*stream);
  envoy.Start();
  std::vector<std::string> initial;
  for (int i = 0; i < 4; ++i) {
    std::optional<discovery_v3::DiscoveryResponse> response = envoy.Step();
    ASSERT_TRUE(response.has_value());
    initial.push_back(std::string(ShortTypeName(*TypeFromUrl(response->type_url()))));
  }
  EXPECT_THAT(initial, ElementsAre("cds", "eds", "lds", "rds"));

  // A route moves to a new cluster; the old cluster goes.
  Publish(App("new"));
  std::vector<std::string> order;
  std::vector<std::vector<std::string>> names;
  for (int i = 0; i < 4; ++i) {
    std::optional<discovery_v3::DiscoveryResponse> response = envoy.Step();
    ASSERT_TRUE(response.has_value()) << "after " << testing::PrintToString(order);
    order.push_back(std::string(ShortTypeName(*TypeFromUrl(response->type_url()))));
    names.push_back(Names(*response));
  }
  EXPECT_THAT(order, ElementsAre("cds", "eds", "rds", "cds"));
  EXPECT_THAT(names[0], ElementsAre(ClusterName("new"), ClusterName("old")));
  EXPECT_THAT(names[1], ElementsAre(EdsName("new")));
  EXPECT_THAT(names[3], ElementsAre(ClusterName("new")));
}

TEST_F(ServerTest, DeltaAddRemoveAndReconnect) {
  Publish(App("old"));
  discovery_v3::DeltaDiscoveryResponse held;
  {
    auto stream = client_->DeltaPerType(kCds);
    stream->Send(DeltaRequest(kCds, {}));
    const discovery_v3::DeltaDiscoveryResponse first = Next(*stream);
    EXPECT_THAT(Names(first), ElementsAre(ClusterName("old")));
    EXPECT_EQ(first.system_version_info(), Version(kCds));
    stream->Send(DeltaRequest(kCds, {}, {}, first.nonce()));

    Publish(App("new") + IngressYaml("app2", "b.example.com", "other"));
    held = Next(*stream);
    EXPECT_THAT(Names(held), ElementsAre(ClusterName("new"), ClusterName("other")));
    EXPECT_THAT(Removed(held), ElementsAre(ClusterName("old")));
  }

  // Reconnect holding new and other; other has gone meanwhile, and old is back.
  Publish(App("new") + IngressYaml("app2", "b.example.com", "old"));
  auto stream = client_->DeltaPerType(kCds);
  discovery_v3::DeltaDiscoveryRequest request = DeltaRequest(kCds, {});
  for (const auto& resource : held.resources()) {
    (*request.mutable_initial_resource_versions())[resource.name()] = resource.version();
  }
  stream->Send(request);
  const discovery_v3::DeltaDiscoveryResponse resumed = Next(*stream);
  EXPECT_THAT(Names(resumed), ElementsAre(ClusterName("old")));
  EXPECT_THAT(Removed(resumed), ElementsAre(ClusterName("other")));

  // A subscription to a route configuration that does not exist is answered by its removal.
  auto ads = client_->DeltaAds();
  ads->Send(DeltaRequest(kRds, {"ingress_http", "nothing"}));
  const discovery_v3::DeltaDiscoveryResponse routes = Next(*ads);
  EXPECT_THAT(Names(routes), ElementsAre("ingress_http"));
  EXPECT_THAT(Removed(routes), ElementsAre("nothing"));
}

TEST_F(ServerTest, TwoHundredStreamsAllReceiveAnUpdate) {
  constexpr int kStreams = 200;
  Publish(App("old"));
  // A few connections, many streams on each, as a fleet of Envoys would be.
  std::vector<std::unique_ptr<XdsTestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<XdsTestClient>(xdstest::NewChannel(grpc_->port())));
  }
  std::vector<std::unique_ptr<SotwStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    XdsTestClient& client = *clients[i % clients.size()];
    streams.push_back(i % 2 == 0 ? client.PerType(kCds) : client.Ads());
    streams.back()->Send(Request(kCds, {}));
  }
  for (auto& stream : streams) {
    const discovery_v3::DiscoveryResponse first = Next(*stream);
    ASSERT_THAT(Names(first), ElementsAre(ClusterName("old")));
    stream->Send(Answer(first, {}, ""));
  }
  EXPECT_EQ(xds_.Stats().streams_open, static_cast<uint64_t>(kStreams));

  Publish(App("new"));
  for (auto& stream : streams) {
    const discovery_v3::DiscoveryResponse update = Next(*stream);
    EXPECT_THAT(Names(update), ElementsAre(ClusterName("new")));
    EXPECT_EQ(update.version_info(), Version(kCds));
  }
}

// Publishes race with requests (each ACK makes the server look for something to send): however
// they interleave, every stream ends up holding the last state.
TEST_F(ServerTest, StreamsConvergeOnTheLastPublish) {
  constexpr int kPublishes = 300;
  const std::vector<std::string> backends = {"old", "new", "other"};
  Publish(App("old"));
  PublishEndpoints("old", {"10.0.0.0"});
  std::vector<SnapshotPtr> snapshots;
  for (int i = 1; i <= kPublishes; ++i) {
    snapshots.push_back(xdstest::MustSnapshot(App(backends[i % 3]),
                                              i == 1 ? snapshot_.get() : snapshots.back().get()));
  }
  auto ip = [](int i) { return "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256); };
  const std::string final_cluster = ClusterName(backends[kPublishes % 3]);
  const std::string final_ip = ip(kPublishes);

  // What each client holds, as it answers everything it is sent.
  struct View {
    absl::Mutex mu;
    std::set<std::string> clusters ABSL_GUARDED_BY(mu);
    std::string ip ABSL_GUARDED_BY(mu);
  };
  auto ip_of = [](const discovery_v3::DiscoveryResponse& response) {
    const auto assignments =
        xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(response);
    if (assignments.empty() || assignments[0].endpoints().empty()) return std::string();
    return assignments[0]
        .endpoints(0)
        .lb_endpoints(0)
        .endpoint()
        .address()
        .socket_address()
        .address();
  };
  auto sotw_client = [&](SotwStream& stream, View& view) {
    while (std::optional<discovery_v3::DiscoveryResponse> response = stream.Next()) {
      const ResourceType type = *TypeFromUrl(response->type_url());
      stream.Send(Answer(
          *response,
          type == kEds ? std::vector<std::string>{EdsName("old")} : std::vector<std::string>{},
          ""));
      absl::MutexLock lock(&view.mu);
      if (type == kCds) {
        const std::vector<std::string> names = Names(*response);
        view.clusters = std::set<std::string>(names.begin(), names.end());
      } else {
        view.ip = ip_of(*response);
      }
    }
  };
  auto delta_client = [&](DeltaStream& stream, View& view) {
    while (std::optional<discovery_v3::DeltaDiscoveryResponse> response = stream.Next()) {
      stream.Send(DeltaRequest(kCds, {}, {}, response->nonce()));
      absl::MutexLock lock(&view.mu);
      for (const std::string& name : Removed(*response)) view.clusters.erase(name);
      for (const std::string& name : Names(*response)) view.clusters.insert(name);
    }
  };

  auto per_type = client_->PerType(kCds);
  auto ads = client_->Ads();
  auto delta = client_->DeltaAds();
  per_type->Send(Request(kCds, {}));
  ads->Send(Request(kCds, {}));
  ads->Send(Request(kEds, {EdsName("old")}));
  delta->Send(DeltaRequest(kCds, {}));
  View per_type_view, ads_view, delta_view;
  std::vector<std::thread> clients;
  clients.emplace_back([&] { sotw_client(*per_type, per_type_view); });
  clients.emplace_back([&] { sotw_client(*ads, ads_view); });
  clients.emplace_back([&] { delta_client(*delta, delta_view); });

  for (int i = 1; i <= kPublishes; ++i) {
    xds_.PublishSnapshot(snapshots[i - 1]);
    PublishEndpoints("old", {ip(i)});
  }
  for (View* view : {&per_type_view, &ads_view, &delta_view}) {
    absl::MutexLock lock(&view->mu);
    auto converged = [&] {
      view->mu.AssertHeld();
      return view->clusters == std::set<std::string>{final_cluster} &&
             (view != &ads_view || view->ip == final_ip);
    };
    EXPECT_TRUE(view->mu.AwaitWithTimeout(absl::Condition(&converged), xdstest::kWait))
        << "stuck at " << xdstest::Join({view->clusters.begin(), view->clusters.end()}) << " "
        << view->ip;
  }
  per_type->Cancel();
  ads->Cancel();
  delta->Cancel();
  for (std::thread& thread : clients) thread.join();
}

// Clusters whose serialized CDS response is far beyond any flow-control window.
SnapshotPtr HugeSnapshot(const std::string& payload_prefix) {
  xdstest::FakeContents contents;
  for (int i = 0; i < 16; ++i) {
    contents.clusters["cluster-" + std::to_string(i)] =
        payload_prefix + std::string(512 << 10, 'x');  // 16 × 512 KiB: 8 MiB
  }
  return xdstest::FakeSnapshot(contents);
}

TEST_F(ServerTest, ClientsThatNeverReadDelayNoOne) {
  constexpr int kStuck = 4;
  xds_.PublishSnapshot(HugeSnapshot("a"));
  // Each on its own connection, sent 8 MiB that it never reads.
  std::vector<std::unique_ptr<XdsTestClient>> stuck_clients;
  std::vector<std::unique_ptr<SotwStream>> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck_clients.push_back(std::make_unique<XdsTestClient>(xdstest::NewChannel(grpc_->port())));
    stuck.push_back(stuck_clients.back()->PerType(kCds, /*read=*/false));
    stuck.back()->Send(Request(kCds, {}));
  }
  ASSERT_TRUE(xdstest::WaitUntil([&] {
    return xds_.Stats().responses[static_cast<int>(kCds)] == static_cast<uint64_t>(kStuck);
  }));
  // Many more that never read, sharing one connection with the reader below.
  std::vector<std::unique_ptr<SotwStream>> idle;
  for (int i = 0; i < 50; ++i) {
    idle.push_back(client_->PerType(kRds, /*read=*/false));
    idle.back()->Send(Request(kRds, {}));
  }

  auto reader = client_->PerType(kCds);
  reader->Send(Request(kCds, {}));
  const discovery_v3::DiscoveryResponse first = Next(*reader);
  EXPECT_EQ(first.resources_size(), 16);
  reader->Send(Answer(first, {}, ""));
  for (const std::string prefix : {"b", "c"}) {
    xds_.PublishSnapshot(HugeSnapshot(prefix));
    const discovery_v3::DiscoveryResponse update = Next(*reader);
    EXPECT_EQ(update.version_info(), xds_.Served()->snapshot->versions[0]);
    reader->Send(Answer(update, {}, ""));
  }
  // The stuck streams still have their first response in flight: nothing more was started for
  // them (the reader had 3, each stuck stream 1).
  EXPECT_EQ(xds_.Stats().responses[static_cast<int>(kCds)], static_cast<uint64_t>(kStuck + 3));
}

TEST_F(ServerTest, EndpointChangesReachOnlyTheirSubscribers) {
  Publish(App("old"));
  auto old_stream = client_->PerType(kEds);
  auto new_stream = client_->Ads();
  old_stream->Send(Request(kEds, {EdsName("old")}));
  new_stream->Send(Request(kEds, {EdsName("new")}));
  const discovery_v3::DiscoveryResponse old_first = Next(*old_stream);
  const discovery_v3::DiscoveryResponse new_first = Next(*new_stream);
  old_stream->Send(Answer(old_first, {EdsName("old")}, ""));
  new_stream->Send(Answer(new_first, {EdsName("new")}, ""));

  PublishEndpoints("old", {"10.0.0.1"});
  EXPECT_THAT(Names(Next(*old_stream)), ElementsAre(EdsName("old")));
  PublishEndpoints("other", {"10.0.0.3"});  // nobody's
  PublishEndpoints("new", {"10.0.0.2"});    // the barrier
  EXPECT_THAT(Names(Next(*new_stream)), ElementsAre(EdsName("new")));
  PublishEndpoints("old", {"10.0.0.4"});  // the barrier for the other
  const discovery_v3::DiscoveryResponse old_second = Next(*old_stream);
  EXPECT_THAT(Names(old_second), ElementsAre(EdsName("old")));
  const auto assignment =
      xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(old_second)[0];
  EXPECT_EQ(assignment.endpoints(0).lb_endpoints(0).endpoint().address().socket_address().address(),
            "10.0.0.4");
}

TEST_F(ServerTest, UnknownTypeUrlEndsTheStream) {
  Publish(App("old"));
  auto stream = client_->Ads();
  discovery_v3::DiscoveryRequest request;
  request.set_type_url("type.googleapis.com/envoy.config.cluster.v3.NotACluster");
  stream->Send(request);
  std::optional<grpc::Status> status = stream->WaitDone();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status->error_message(), testing::HasSubstr("NotACluster"));
}

TEST_F(ServerTest, UnknownMethodIsUnimplemented) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + xdstest::kWait));
  discovery_v3::DiscoveryResponse response;
  const grpc::Status status = client_->cds().FetchClusters(&context, Request(kCds, {}), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(ServerTest, CloseAllStreamsEndsThemUnavailable) {
  Publish(App("old"));
  auto ads = client_->Ads();
  auto cds = client_->PerType(kCds);
  auto delta = client_->DeltaAds();
  ads->Send(Request(kCds, {}));
  cds->Send(Request(kCds, {}));
  delta->Send(DeltaRequest(kCds, {}));
  Next(*ads);
  Next(*cds);
  Next(*delta);

  xds_.CloseAllStreams();
  for (const std::optional<grpc::Status>& status :
       {ads->WaitDone(), cds->WaitDone(), delta->WaitDone()}) {
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  // New streams are refused the same way.
  auto late = client_->PerType(kCds);
  late->Send(Request(kCds, {}));
  std::optional<grpc::Status> status = late->WaitDone();
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(xdstest::WaitUntil([&] { return xds_.Stats().streams_open == 0; }));
}

// A leader that loses its lease closes the port; winning it back opens a new one on the same
// XdsServer, which serves the current state (and the process does not abort).
TEST_F(ServerTest, APortClosedAndOpenedAgainServesTheCurrentState) {
  Publish(App("old"));
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    grpc_->Shutdown();
    grpc_.reset();
    xds_.ReopenStreams();
    GrpcServerOptions options;
    options.port = 0;
    absl::StatusOr<std::unique_ptr<GrpcServer>> reopened = GrpcServer::Start(xds_, options);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    grpc_ = *std::move(reopened);
    XdsTestClient client(xdstest::NewChannel(grpc_->port()));
    auto cds = client.PerType(kCds);
    cds->Send(Request(kCds, {}));
    EXPECT_THAT(Names(Next(*cds)), ElementsAre(ClusterName("old")));
  }
}

// The test client itself: a request queued after the call has failed (nothing listens on port
// 1) is written to a call that is still held open, never to a freed one (ASan would see it in
// the sanitized run), and the stream then ends with the failure.
TEST(XdsTestClientTest, SendingAfterTheCallFailedIsHarmless) {
  XdsTestClient client(xdstest::NewChannel(1));
  for (int i = 0; i < 20; ++i) {
    auto stream = client.PerType(kCds);
    EXPECT_FALSE(stream->Next().has_value());  // the read side ends
    stream->Send(Request(kCds, {}));
    stream->Send(Request(kCds, {"more"}));
    std::optional<grpc::Status> status = stream->WaitDone();
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  }
}

}  // namespace
}  // namespace contour::xds
