// StreamState, the per-stream xDS protocol with no gRPC in it: requests in, responses out,
// against served states built from manifests (or by hand where Contour never makes the names a
// rule needs).
#include "xds/stream_state.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/xds/xds_test_util.h"
#include "xds/endpoint_table.h"

namespace contour::xds {
namespace {

namespace discovery_v3 = envoy::service::discovery::v3;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using xdstest::Answer;
using xdstest::ClusterName;
using xdstest::DeltaRequest;
using xdstest::EdsName;
using xdstest::EndpointsObject;
using xdstest::FakeSnapshot;
using xdstest::IngressYaml;
using xdstest::kCds;
using xdstest::kEds;
using xdstest::kLds;
using xdstest::kRds;
using xdstest::kSds;
using xdstest::MustSnapshot;
using xdstest::Names;
using xdstest::OldNewOtherServices;
using xdstest::Removed;
using xdstest::Request;
using xdstest::ServiceYaml;

// What the server serves, and the change notifications it gives streams (as XdsServer does).
class World {
 public:
  void Attach(StreamState* stream) { streams_.push_back(stream); }

  void Publish(SnapshotPtr snapshot) {
    ASSERT_NE(snapshot, nullptr);
    for (ResourceType type : kAllResourceTypes) {
      if (type == kEds) continue;
      const int index = static_cast<int>(type);
      if (served_.snapshot == nullptr ||
          served_.snapshot->versions[index] != snapshot->versions[index]) {
        for (StreamState* stream : streams_) stream->OnChanged(type, nullptr);
      }
    }
    served_.snapshot = std::move(snapshot);
  }
  void PublishYaml(const std::string& yaml) { Publish(MustSnapshot(yaml, served_.snapshot.get())); }

  void PublishEndpoints(const EndpointChanges& changes) {
    std::vector<std::string> names;
    for (const ResourcePtr& resource : changes.updated) names.push_back(resource->name);
    names.insert(names.end(), changes.removed.begin(), changes.removed.end());
    served_.endpoints = served_.endpoints.With(changes);
    served_.endpoints_version = std::to_string(++endpoints_version_);
    for (StreamState* stream : streams_) stream->OnChanged(kEds, &names);
  }

  const ServedState& served() const { return served_; }
  const std::string& version(ResourceType type) const {
    return type == kEds ? served_.endpoints_version
                        : served_.snapshot->versions[static_cast<int>(type)];
  }

 private:
  ServedState served_;
  std::vector<StreamState*> streams_;
  int endpoints_version_ = 0;
};

// A state-of-the-world stream and the responses it is sent, decoded.
class Sotw {
 public:
  Sotw(World& world, StreamKind kind, std::optional<ResourceType> type = std::nullopt)
      : world_(world), state_(kind, false, type) {
    world.Attach(&state_);
  }

  RequestOutcome Send(const discovery_v3::DiscoveryRequest& request) {
    absl::StatusOr<RequestOutcome> outcome = state_.OnRequest(request);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : RequestOutcome{kCds};
  }

  // The next response, checked against what the stream says it sent.
  std::optional<discovery_v3::DiscoveryResponse> Next() {
    std::optional<OutgoingResponse> out = state_.NextResponse(world_.served());
    if (!out.has_value()) return std::nullopt;
    discovery_v3::DiscoveryResponse response;
    EXPECT_TRUE(response.ParseFromString(out->bytes));
    EXPECT_EQ(response.type_url(), TypeUrl(out->type));
    EXPECT_EQ(response.version_info(), out->version);
    EXPECT_EQ(response.nonce(), out->nonce);
    EXPECT_FALSE(response.nonce().empty());
    EXPECT_EQ(static_cast<size_t>(response.resources_size()), out->resource_count);
    return response;
  }

  // Every response the stream has to send now, without answering any (bounded: a loop is a
  // failure, not a hang).
  std::vector<discovery_v3::DiscoveryResponse> Drain() {
    std::vector<discovery_v3::DiscoveryResponse> responses;
    for (int i = 0; i < 20; ++i) {
      std::optional<discovery_v3::DiscoveryResponse> response = Next();
      if (!response.has_value()) return responses;
      responses.push_back(*std::move(response));
    }
    ADD_FAILURE() << "more than 20 responses in a row";
    return responses;
  }

  // Sends what is due, answering each response with an ACK that names `names[type]` (none: the
  // wildcard), until nothing is due; returns the responses in order.
  std::vector<discovery_v3::DiscoveryResponse> Settle(
      const std::map<ResourceType, std::vector<std::string>>& names = {}) {
    std::vector<discovery_v3::DiscoveryResponse> responses;
    for (int i = 0; i < 20; ++i) {
      std::optional<discovery_v3::DiscoveryResponse> response = Next();
      if (!response.has_value()) return responses;
      auto found = names.find(*TypeFromUrl(response->type_url()));
      Send(
          Answer(*response, found == names.end() ? std::vector<std::string>{} : found->second, ""));
      responses.push_back(*std::move(response));
    }
    ADD_FAILURE() << "more than 20 responses in a row";
    return responses;
  }

  // Sends the first request for `type` and returns the response to it.
  discovery_v3::DiscoveryResponse Subscribe(ResourceType type,
                                            const std::vector<std::string>& names) {
    Send(Request(type, names));
    std::optional<discovery_v3::DiscoveryResponse> response = Next();
    EXPECT_TRUE(response.has_value()) << "no response to the first " << ShortTypeName(type);
    return response.value_or(discovery_v3::DiscoveryResponse());
  }

  StreamState& state() { return state_; }

 private:
  World& world_;
  StreamState state_;
};

class Delta {
 public:
  Delta(World& world, StreamKind kind, std::optional<ResourceType> type = std::nullopt)
      : world_(world), state_(kind, true, type) {
    world.Attach(&state_);
  }

  RequestOutcome Send(const discovery_v3::DeltaDiscoveryRequest& request) {
    absl::StatusOr<RequestOutcome> outcome = state_.OnDeltaRequest(request);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *outcome : RequestOutcome{kCds};
  }

  std::optional<discovery_v3::DeltaDiscoveryResponse> Next() {
    std::optional<OutgoingResponse> out = state_.NextResponse(world_.served());
    if (!out.has_value()) return std::nullopt;
    discovery_v3::DeltaDiscoveryResponse response;
    EXPECT_TRUE(response.ParseFromString(out->bytes));
    EXPECT_EQ(response.type_url(), TypeUrl(out->type));
    EXPECT_EQ(response.system_version_info(), out->version);
    EXPECT_EQ(response.nonce(), out->nonce);
    EXPECT_FALSE(response.nonce().empty());
    EXPECT_EQ(static_cast<size_t>(response.resources_size()), out->resource_count);
    EXPECT_EQ(static_cast<size_t>(response.removed_resources_size()), out->removed_count);
    return response;
  }

  // A delta ACK: names nothing, answers `response`.
  void Ack(const discovery_v3::DeltaDiscoveryResponse& response) {
    discovery_v3::DeltaDiscoveryRequest request;
    request.set_type_url(response.type_url());
    request.set_response_nonce(response.nonce());
    Send(request);
  }

 private:
  World& world_;
  StreamState state_;
};

// --- The first request ---

struct FirstRequestCase {
  std::string name;
  ResourceType type;
  std::vector<std::string> names;
  std::vector<std::string> expected;
};

class FirstRequestTest : public testing::TestWithParam<FirstRequestCase> {};

// A new subscription always gets an answer, even an empty one, at the type's current version.
TEST_P(FirstRequestTest, IsAnsweredEvenWhenEmpty) {
  const FirstRequestCase& c = GetParam();
  World world;
  world.PublishYaml(OldNewOtherServices());  // no Ingress: no routes to anything, no clusters
  for (StreamKind kind : {StreamKind::kPerType, StreamKind::kAggregated}) {
    Sotw stream(world, kind);
    const discovery_v3::DiscoveryResponse response = stream.Subscribe(c.type, c.names);
    EXPECT_THAT(Names(response), ElementsAreArray(c.expected));
    EXPECT_EQ(response.version_info(), world.version(c.type));
    EXPECT_THAT(stream.Drain(), IsEmpty()) << "nothing more until something changes";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, FirstRequestTest,
    testing::Values(FirstRequestCase{"CdsWildcard", kCds, {}, {}},
                    FirstRequestCase{"CdsStarWildcard", kCds, {"*"}, {}},
                    FirstRequestCase{"CdsNamedMissing", kCds, {"default/x/80/da39a3ee5e"}, {}},
                    FirstRequestCase{"LdsWildcard", kLds, {}, {"stats-health"}},
                    FirstRequestCase{"RdsNamedMissing", kRds, {"nothing"}, {}},
                    FirstRequestCase{"RdsNamed", kRds, {"ingress_http"}, {"ingress_http"}},
                    FirstRequestCase{"SdsWildcard", kSds, {}, {}},
                    // Contour answers EDS for names it has no endpoints for with an empty
                    // assignment, so that the cluster does not stay warming.
                    FirstRequestCase{"EdsNamedMissing", kEds, {"default/none"}, {"default/none"}},
                    FirstRequestCase{"EdsWildcardNothing", kEds, {}, {}}),
    [](const testing::TestParamInfo<FirstRequestCase>& info) { return info.param.name; });

TEST(StreamStateTest, WaitsForTheFirstSnapshotExceptForEndpoints) {
  World world;
  Sotw stream(world, StreamKind::kAggregated);
  stream.Send(Request(kCds, {}));
  stream.Send(Request(kEds, {"default/old"}));
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].type_url(), TypeUrl(kEds));

  world.PublishYaml(OldNewOtherServices());
  responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].type_url(), TypeUrl(kCds));
  EXPECT_EQ(responses[0].version_info(), "1");
}

TEST(StreamStateTest, EmptyEndpointAssignmentForUnknownNames) {
  World world;
  world.PublishYaml(OldNewOtherServices());
  Sotw stream(world, StreamKind::kPerType, kEds);
  discovery_v3::DiscoveryResponse first = stream.Subscribe(kEds, {"default/old"});
  auto assignments = xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(first);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].cluster_name(), "default/old");
  EXPECT_THAT(assignments[0].endpoints(), IsEmpty());
  stream.Send(Answer(first, {"default/old"}, ""));

  // Endpoints appear, then go: the assignment follows, back to empty.
  EndpointTable table;
  world.PublishEndpoints(table.Upsert(EndpointsObject("old", {"10.0.0.1"})));
  std::optional<discovery_v3::DiscoveryResponse> filled = stream.Next();
  ASSERT_TRUE(filled.has_value());
  assignments = xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(*filled);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].endpoints(0).lb_endpoints_size(), 1);
  stream.Send(Answer(*filled, {"default/old"}, ""));

  world.PublishEndpoints(table.Remove("default", "old"));
  std::optional<discovery_v3::DiscoveryResponse> emptied = stream.Next();
  ASSERT_TRUE(emptied.has_value());
  assignments = xdstest::Resources<envoy::config::endpoint::v3::ClusterLoadAssignment>(*emptied);
  ASSERT_EQ(assignments.size(), 1u);
  EXPECT_EQ(assignments[0].cluster_name(), "default/old");
  EXPECT_THAT(assignments[0].endpoints(), IsEmpty());
  EXPECT_NE(emptied->version_info(), filled->version_info());
}

// --- Versions, nonces, ACK and NACK ---

TEST(StreamStateTest, EveryResponseHasAFreshNonceAndTheTypeVersion) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  Sotw stream(world, StreamKind::kAggregated);
  stream.Send(Request(kCds, {}));
  stream.Send(Request(kLds, {}));
  stream.Send(Request(kRds, {"ingress_http"}));
  const std::map<ResourceType, std::vector<std::string>> names = {{kRds, {"ingress_http"}}};
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Settle(names);
  ASSERT_EQ(responses.size(), 3u);
  const std::string first_cds_version = responses[0].version_info();

  // A second host, to a second cluster: clusters and routes change; LDS (wildcard) does not.
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old") +
                    IngressYaml("app2", "b.example.com", "new"));
  std::vector<discovery_v3::DiscoveryResponse> more = stream.Settle(names);
  ASSERT_EQ(more.size(), 2u);
  responses.insert(responses.end(), more.begin(), more.end());

  std::vector<std::string> nonces;
  for (const auto& response : responses) {
    EXPECT_EQ(std::count(nonces.begin(), nonces.end(), response.nonce()), 0)
        << "nonce " << response.nonce() << " used twice";
    nonces.push_back(response.nonce());
  }
  EXPECT_EQ(more[0].type_url(), TypeUrl(kCds));
  EXPECT_EQ(more[0].version_info(), world.version(kCds));
  EXPECT_NE(more[0].version_info(), first_cds_version);
  EXPECT_THAT(Names(more[0]), ElementsAre(ClusterName("new"), ClusterName("old")));
  EXPECT_EQ(more[1].type_url(), TypeUrl(kRds));
  EXPECT_EQ(more[1].version_info(), world.version(kRds));
}

TEST(StreamStateTest, AckSendsNothing) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  Sotw stream(world, StreamKind::kPerType, kCds);
  const discovery_v3::DiscoveryResponse first = stream.Subscribe(kCds, {});
  const RequestOutcome outcome = stream.Send(Answer(first, {}, ""));
  EXPECT_FALSE(outcome.nack);
  EXPECT_FALSE(outcome.stale);
  EXPECT_THAT(stream.Drain(), IsEmpty());
  // The same snapshot again, or one where only other types changed: still nothing.
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "b.example.com", "old"));
  EXPECT_THAT(stream.Drain(), IsEmpty());
}

TEST(StreamStateTest, NackKeepsQuietUntilTheContentsChange) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  Sotw stream(world, StreamKind::kPerType, kCds);
  const discovery_v3::DiscoveryResponse first = stream.Subscribe(kCds, {});
  stream.Send(Answer(first, {}, ""));

  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "new"));
  std::optional<discovery_v3::DiscoveryResponse> rejected = stream.Next();
  ASSERT_TRUE(rejected.has_value());
  const RequestOutcome outcome =
      stream.Send(Answer(*rejected, {}, first.version_info(), "bad cluster"));
  EXPECT_TRUE(outcome.nack);
  EXPECT_EQ(outcome.nack_message, "bad cluster");
  EXPECT_EQ(outcome.type, kCds);
  // No resend loop: the rejected version is not sent again, whatever else happens.
  EXPECT_THAT(stream.Drain(), IsEmpty());
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "new"));
  world.PublishYaml(OldNewOtherServices() +
                    IngressYaml("app", "b.example.com", "new"));  // routes only
  EXPECT_THAT(stream.Drain(), IsEmpty());

  // New contents are sent.
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "other"));
  std::optional<discovery_v3::DiscoveryResponse> fixed = stream.Next();
  ASSERT_TRUE(fixed.has_value());
  EXPECT_THAT(Names(*fixed), ElementsAre(ClusterName("other")));
  EXPECT_NE(fixed->version_info(), rejected->version_info());
}

// --- Stale nonces and reconnects ---

TEST(StreamStateTest, StaleNonceIsIgnored) {
  World world;
  world.Publish(FakeSnapshot({.routes = {{"r1", "a"}, {"r2", "a"}}}));
  Sotw stream(world, StreamKind::kPerType, kRds);
  const discovery_v3::DiscoveryResponse first = stream.Subscribe(kRds, {"r1"});
  world.Publish(FakeSnapshot({.routes = {{"r1", "b"}, {"r2", "a"}}}));
  std::optional<discovery_v3::DiscoveryResponse> second = stream.Next();
  ASSERT_TRUE(second.has_value());

  // A request that answers the first response (crossing the second on the wire).
  const RequestOutcome stale = stream.Send(Answer(first, {"r1", "r2"}, ""));
  EXPECT_TRUE(stale.stale);
  EXPECT_THAT(stream.Drain(), IsEmpty());

  const RequestOutcome current = stream.Send(Answer(*second, {"r1", "r2"}, ""));
  EXPECT_FALSE(current.stale);
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre("r2"));
}

// Nonces belong to a stream: a client that reconnects and echoes the nonce it last saw on its
// old stream is answered, not ignored as stale.
TEST(StreamStateTest, ReconnectingClientGetsTheCurrentState) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  Sotw old_stream(world, StreamKind::kPerType, kCds);
  const discovery_v3::DiscoveryResponse seen = old_stream.Subscribe(kCds, {});

  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "new"));
  for (const std::string& nonce : {std::string(), std::string("7"), seen.nonce()}) {
    Sotw stream(world, StreamKind::kPerType, kCds);
    stream.Send(Request(kCds, {}, seen.version_info(), nonce));
    std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
    ASSERT_EQ(responses.size(), 1u) << "nonce \"" << nonce << "\"";
    EXPECT_THAT(Names(responses[0]), ElementsAre(ClusterName("new")));
    EXPECT_EQ(responses[0].version_info(), world.version(kCds));
  }
}

// --- Subscriptions ---

struct ResubscribeCase {
  std::string name;
  ResourceType type;
};

class ResubscribeTest : public testing::TestWithParam<ResubscribeCase> {};

// EDS and RDS send only the named resources, only what is new to the client.
TEST_P(ResubscribeTest, NewerRequestReplacesTheOlder) {
  const ResourceType type = GetParam().type;
  World world;
  EndpointTable table;
  auto publish = [&](const std::string& payload) {
    world.Publish(FakeSnapshot({.routes = {{"a", payload}, {"b", payload}, {"c", payload}}}));
    for (const std::string name : {"a", "b", "c"}) {
      world.PublishEndpoints(table.Upsert(EndpointsObject(name, {payload})));
    }
  };
  auto name = [type](const std::string& short_name) {
    return type == kEds ? EdsName(short_name) : short_name;
  };
  publish("10.0.0.1");
  Sotw stream(world, StreamKind::kAggregated);
  const discovery_v3::DiscoveryResponse first = stream.Subscribe(type, {name("a")});
  EXPECT_THAT(Names(first), ElementsAre(name("a")));

  // b added: only b is sent.
  stream.Send(Answer(first, {name("a"), name("b")}, ""));
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre(name("b")));

  // a removed: nothing to send, and a's changes are no longer sent.
  stream.Send(Answer(responses[0], {name("b")}, ""));
  EXPECT_THAT(stream.Drain(), IsEmpty());
  publish("10.0.0.2");
  responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre(name("b")));

  // a again: sent though it did not change since it was last asked for.
  stream.Send(Answer(responses[0], {name("a"), name("b")}, ""));
  responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre(name("a")));

  // Everything unsubscribed (an empty list after names): nothing is sent any more.
  stream.Send(Answer(responses[0], {}, ""));
  publish("10.0.0.3");
  EXPECT_THAT(stream.Drain(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Types, ResubscribeTest,
                         testing::Values(ResubscribeCase{"Eds", kEds},
                                         ResubscribeCase{"Rds", kRds}),
                         [](const testing::TestParamInfo<ResubscribeCase>& info) {
                           return info.param.name;
                         });

TEST(StreamStateTest, NameRequestedBeforeItExistsIsSentWhenItAppears) {
  World world;
  world.Publish(FakeSnapshot({.routes = {{"r1", "a"}}}));
  Sotw stream(world, StreamKind::kPerType, kRds);
  const discovery_v3::DiscoveryResponse first = stream.Subscribe(kRds, {"r1", "later"});
  EXPECT_THAT(Names(first), ElementsAre("r1"));
  stream.Send(Answer(first, {"r1", "later"}, ""));

  world.Publish(FakeSnapshot({.routes = {{"r1", "a"}, {"later", "a"}}}));
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre("later"));
}

// LDS and CDS are full state: every response holds all the client has asked for.
TEST(StreamStateTest, FullStateTypesResendEverything) {
  World world;
  world.Publish(FakeSnapshot({.clusters = {{"a", "1"}, {"b", "1"}, {"c", "1"}}}));
  Sotw wildcard(world, StreamKind::kPerType, kCds);
  Sotw named(world, StreamKind::kPerType, kCds);
  const discovery_v3::DiscoveryResponse all = wildcard.Subscribe(kCds, {});
  EXPECT_THAT(Names(all), ElementsAre("a", "b", "c"));
  const discovery_v3::DiscoveryResponse some = named.Subscribe(kCds, {"a", "b"});
  EXPECT_THAT(Names(some), ElementsAre("a", "b"));
  wildcard.Send(Answer(all, {}, ""));
  named.Send(Answer(some, {"a", "b"}, ""));

  world.Publish(FakeSnapshot({.clusters = {{"a", "2"}, {"b", "1"}, {"d", "1"}}}));
  std::vector<discovery_v3::DiscoveryResponse> responses = wildcard.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre("a", "b", "d"));  // c is gone
  responses = named.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre("a", "b"));

  // A name dropped from a full-state subscription is answered by the smaller state.
  named.Send(Answer(responses[0], {"b"}, ""));
  responses = named.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre("b"));
}

// A stream that leaves the wildcard for a few names no longer hears of the others.
TEST(StreamStateTest, WildcardToNamedDropsTheRest) {
  World world;
  EndpointTable table;
  world.Publish(FakeSnapshot({}));
  world.PublishEndpoints(table.Upsert(EndpointsObject("a", {"10.0.0.1"})));
  world.PublishEndpoints(table.Upsert(EndpointsObject("b", {"10.0.0.1"})));
  Sotw stream(world, StreamKind::kPerType, kEds);
  const discovery_v3::DiscoveryResponse all = stream.Subscribe(kEds, {});
  EXPECT_THAT(Names(all), ElementsAre(EdsName("a"), EdsName("b")));

  stream.Send(Answer(all, {EdsName("a")}, ""));
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre(EdsName("a")));  // newly named: sent again
  stream.Send(Answer(responses[0], {EdsName("a")}, ""));

  world.PublishEndpoints(table.Remove("default", "b"));
  world.PublishEndpoints(table.Upsert(EndpointsObject("b", {"10.0.0.9"})));
  EXPECT_THAT(stream.Drain(), IsEmpty());
}

// --- api_listeners for proxyless gRPC clients ---

TEST(StreamStateTest, ApiListenersOnlyForClientsThatNameTheirHost) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  ASSERT_TRUE(world.served().snapshot->api_listeners[1]->contains("a.example.com"));

  Sotw envoy(world, StreamKind::kAggregated);
  EXPECT_THAT(Names(envoy.Subscribe(kLds, {})), ElementsAre("ingress_http", "stats-health"));
  Sotw grpc(world, StreamKind::kAggregated);
  const discovery_v3::DiscoveryResponse api = grpc.Subscribe(kLds, {"a.example.com"});
  ASSERT_THAT(Names(api), ElementsAre("a.example.com"));
  const auto listener = xdstest::Resources<envoy::config::listener::v3::Listener>(api)[0];
  ASSERT_TRUE(listener.has_api_listener());
  envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
  ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
  EXPECT_EQ(hcm.rds().route_config_name(), "ingress_http");
  EXPECT_TRUE(hcm.rds().config_source().has_ads());
  grpc.Send(Answer(api, {"a.example.com"}, ""));

  // The host goes away: the full-state answer no longer holds it.
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "b.example.com", "old"));
  std::vector<discovery_v3::DiscoveryResponse> responses = grpc.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), IsEmpty());
  EXPECT_THAT(envoy.Drain(), IsEmpty()) << "a wildcard LDS client has nothing new";
}

// --- Config source variants ---

TEST(StreamStateTest, StreamKindChoosesTheConfigSources) {
  World world;
  world.PublishYaml(OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"));
  Sotw per_type(world, StreamKind::kPerType, kCds);
  Sotw ads(world, StreamKind::kAggregated);
  const auto per_type_clusters =
      xdstest::Resources<envoy::config::cluster::v3::Cluster>(per_type.Subscribe(kCds, {}));
  const discovery_v3::DiscoveryResponse ads_cds = ads.Subscribe(kCds, {});
  ads.Send(Answer(ads_cds, {}, ""));
  const auto ads_clusters = xdstest::Resources<envoy::config::cluster::v3::Cluster>(ads_cds);
  ASSERT_EQ(per_type_clusters.size(), 1u);
  ASSERT_EQ(ads_clusters.size(), 1u);
  const auto& per_type_source = per_type_clusters[0].eds_cluster_config().eds_config();
  ASSERT_TRUE(per_type_source.has_api_config_source());
  EXPECT_EQ(per_type_source.api_config_source().api_type(),
            envoy::config::core::v3::ApiConfigSource::GRPC);
  EXPECT_EQ(per_type_source.api_config_source().grpc_services(0).envoy_grpc().cluster_name(),
            "contour");
  EXPECT_TRUE(ads_clusters[0].eds_cluster_config().eds_config().has_ads());

  const auto hcm_source = [](const envoy::config::listener::v3::Listener& listener) {
    envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
    EXPECT_TRUE(listener.filter_chains(0).filters(0).typed_config().UnpackTo(&hcm));
    return hcm.rds().config_source();
  };
  Sotw per_type_lds(world, StreamKind::kPerType, kLds);
  const auto per_type_listeners = xdstest::Resources<envoy::config::listener::v3::Listener>(
      per_type_lds.Subscribe(kLds, {"ingress_http"}));
  const auto ads_listeners = xdstest::Resources<envoy::config::listener::v3::Listener>(
      ads.Subscribe(kLds, {"ingress_http"}));
  ASSERT_EQ(per_type_listeners.size(), 1u);
  ASSERT_EQ(ads_listeners.size(), 1u);
  EXPECT_TRUE(hcm_source(per_type_listeners[0]).has_api_config_source());
  EXPECT_TRUE(hcm_source(ads_listeners[0]).has_ads());
}

// --- Make before break ---

// Clusters "old" → "new": a.example.com moves to a new cluster.
std::string Before() { return OldNewOtherServices() + IngressYaml("app", "a.example.com", "old"); }
std::string After() { return OldNewOtherServices() + IngressYaml("app", "a.example.com", "new"); }

std::string TypeOf(const discovery_v3::DiscoveryResponse& response) {
  return std::string(ShortTypeName(*TypeFromUrl(response.type_url())));
}

// Subscribes an ADS stream as Envoy does (CDS, then EDS for its clusters; LDS, then RDS) and
// answers everything; returns the last response of each type.
std::map<ResourceType, discovery_v3::DiscoveryResponse> SubscribeLikeEnvoy(Sotw& stream) {
  std::map<ResourceType, discovery_v3::DiscoveryResponse> last;
  std::map<ResourceType, std::vector<std::string>> names;
  stream.Send(Request(kCds, {}));
  stream.Send(Request(kLds, {}));
  for (int i = 0; i < 10; ++i) {
    std::optional<discovery_v3::DiscoveryResponse> response = stream.Next();
    if (!response.has_value()) return last;
    const ResourceType type = *TypeFromUrl(response->type_url());
    if (type == kCds) {
      names[kEds] = xdstest::EdsServiceNames(*response);
      stream.Send(Request(kEds, names[kEds]));
    } else if (type == kLds) {
      names[kRds] = {"ingress_http"};
      stream.Send(Request(kRds, names[kRds]));
    }
    stream.Send(Answer(*response, names[type], ""));
    last[type] = *std::move(response);
  }
  ADD_FAILURE() << "the initial exchange does not settle";
  return last;
}

TEST(StreamStateTest, AdsSendsMakeBeforeBreak) {
  World world;
  world.PublishYaml(Before());
  Sotw stream(world, StreamKind::kAggregated);
  std::map<ResourceType, discovery_v3::DiscoveryResponse> last = SubscribeLikeEnvoy(stream);
  ASSERT_EQ(last.size(), 4u);

  world.PublishYaml(After());
  std::vector<std::string> order;
  // 1. Clusters, the old one kept: routes still point at it.
  std::optional<discovery_v3::DiscoveryResponse> cds = stream.Next();
  ASSERT_TRUE(cds.has_value());
  order.push_back(TypeOf(*cds));
  EXPECT_THAT(Names(*cds), ElementsAre(ClusterName("new"), ClusterName("old")));
  // Envoy asks for the new cluster's endpoints, then ACKs.
  stream.Send(Answer(last[kEds], {EdsName("new"), EdsName("old")}, ""));
  stream.Send(Answer(*cds, {}, ""));
  // 2. Endpoints of the new cluster, 3. routes to it.
  std::optional<discovery_v3::DiscoveryResponse> eds = stream.Next();
  ASSERT_TRUE(eds.has_value());
  order.push_back(TypeOf(*eds));
  EXPECT_THAT(Names(*eds), ElementsAre(EdsName("new")));
  stream.Send(Answer(*eds, {EdsName("new"), EdsName("old")}, ""));
  std::optional<discovery_v3::DiscoveryResponse> rds = stream.Next();
  ASSERT_TRUE(rds.has_value());
  order.push_back(TypeOf(*rds));
  stream.Send(Answer(*rds, {"ingress_http"}, ""));
  // 4. Clusters without the old one.
  std::optional<discovery_v3::DiscoveryResponse> final_cds = stream.Next();
  ASSERT_TRUE(final_cds.has_value());
  order.push_back(TypeOf(*final_cds));
  EXPECT_THAT(Names(*final_cds), ElementsAre(ClusterName("new")));
  stream.Send(Answer(*eds, {EdsName("new")}, ""));
  stream.Send(Answer(*final_cds, {}, ""));
  EXPECT_THAT(stream.Drain(), IsEmpty());
  EXPECT_THAT(order, ElementsAre("cds", "eds", "rds", "cds"));
}

// Until Envoy has answered a response that adds clusters, it has not asked for their
// endpoints: nothing that could route to them goes first.
TEST(StreamStateTest, AdsHoldsLaterTypesUntilClustersAreAnswered) {
  World world;
  world.PublishYaml(Before());
  Sotw stream(world, StreamKind::kAggregated);
  SubscribeLikeEnvoy(stream);

  world.PublishYaml(After());
  std::optional<discovery_v3::DiscoveryResponse> cds = stream.Next();
  ASSERT_TRUE(cds.has_value());
  EXPECT_EQ(TypeOf(*cds), "cds");
  EXPECT_THAT(stream.Drain(), IsEmpty()) << "routes sent before the cluster's endpoints";
  // A NACK answers it too: the client keeps its old clusters, and routes follow regardless.
  stream.Send(Answer(*cds, {}, "", "rejected"));
  std::vector<discovery_v3::DiscoveryResponse> responses = stream.Drain();
  ASSERT_FALSE(responses.empty());
  EXPECT_EQ(TypeOf(responses[0]), "rds");
}

// A cluster changed in place (same name: Contour's names do not hash the upstream protocol)
// warms again and needs its assignment again, unchanged or not.
TEST(StreamStateTest, AdsResendsEndpointsAfterAClusterChangesInPlace) {
  const std::string h2c =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: old\n  namespace: default\n"
      "  annotations:\n    contour.heptio.com/upstream-protocol.h2c: \"80\"\n"
      "spec:\n  ports:\n  - port: 80\n---\n";
  World world;
  world.PublishYaml(Before());
  Sotw stream(world, StreamKind::kAggregated);
  std::map<ResourceType, discovery_v3::DiscoveryResponse> last = SubscribeLikeEnvoy(stream);
  ASSERT_EQ(last.size(), 4u);
  const std::vector<std::string> eds_names = xdstest::EdsServiceNames(last[kCds]);

  world.PublishYaml(ServiceYaml("new") + ServiceYaml("other") + h2c +
                    IngressYaml("app", "a.example.com", "old"));
  std::optional<discovery_v3::DiscoveryResponse> cds = stream.Next();
  ASSERT_TRUE(cds.has_value());
  ASSERT_EQ(TypeOf(*cds), "cds");
  EXPECT_THAT(Names(*cds), ElementsAre(ClusterName("old")));  // the same name
  stream.Send(Answer(*cds, {}, ""));
  std::optional<discovery_v3::DiscoveryResponse> eds = stream.Next();
  ASSERT_TRUE(eds.has_value());
  EXPECT_EQ(TypeOf(*eds), "eds");
  EXPECT_THAT(Names(*eds), ElementsAreArray(eds_names));
  stream.Send(Answer(*eds, eds_names, ""));
  EXPECT_THAT(stream.Drain(), IsEmpty());
}

TEST(StreamStateTest, PerTypeStreamsRetainNothing) {
  World world;
  world.PublishYaml(Before());
  Sotw cds(world, StreamKind::kPerType, kCds);
  const discovery_v3::DiscoveryResponse first = cds.Subscribe(kCds, {});
  cds.Send(Answer(first, {}, ""));
  Sotw rds(world, StreamKind::kPerType, kRds);
  const discovery_v3::DiscoveryResponse routes = rds.Subscribe(kRds, {"ingress_http"});
  rds.Send(Answer(routes, {"ingress_http"}, ""));

  world.PublishYaml(After());
  std::vector<discovery_v3::DiscoveryResponse> responses = cds.Drain();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_THAT(Names(responses[0]), ElementsAre(ClusterName("new")));
  EXPECT_EQ(rds.Drain().size(), 1u);
}

TEST(StreamStateTest, DeltaAdsRemovesClustersLast) {
  World world;
  world.PublishYaml(Before());
  Delta stream(world, StreamKind::kAggregated);
  stream.Send(DeltaRequest(kCds, {}));
  stream.Send(DeltaRequest(kRds, {"ingress_http"}));
  for (int i = 0; i < 3; ++i) {
    std::optional<discovery_v3::DeltaDiscoveryResponse> response = stream.Next();
    if (!response.has_value()) break;
    stream.Ack(*response);
  }
  ASSERT_FALSE(stream.Next().has_value());

  world.PublishYaml(After());
  std::optional<discovery_v3::DeltaDiscoveryResponse> cds = stream.Next();
  ASSERT_TRUE(cds.has_value());
  EXPECT_EQ(cds->type_url(), TypeUrl(kCds));
  EXPECT_THAT(Names(*cds), ElementsAre(ClusterName("new")));
  EXPECT_THAT(Removed(*cds), IsEmpty());
  stream.Ack(*cds);
  std::optional<discovery_v3::DeltaDiscoveryResponse> rds = stream.Next();
  ASSERT_TRUE(rds.has_value());
  EXPECT_EQ(rds->type_url(), TypeUrl(kRds));
  stream.Ack(*rds);
  std::optional<discovery_v3::DeltaDiscoveryResponse> removal = stream.Next();
  ASSERT_TRUE(removal.has_value());
  EXPECT_EQ(removal->type_url(), TypeUrl(kCds));
  EXPECT_THAT(Names(*removal), IsEmpty());
  EXPECT_THAT(Removed(*removal), ElementsAre(ClusterName("old")));
  stream.Ack(*removal);
  EXPECT_FALSE(stream.Next().has_value());
}

// --- Delta ---

TEST(StreamStateTest, DeltaWildcardGetsEverythingThenOnlyChanges) {
  World world;
  world.Publish(FakeSnapshot({.clusters = {{"a", "1"}, {"b", "1"}, {"c", "1"}}}));
  Delta stream(world, StreamKind::kPerType, kCds);
  stream.Send(DeltaRequest(kCds, {}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> first = stream.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Removed(*first), IsEmpty());
  for (const auto& resource : first->resources()) EXPECT_FALSE(resource.version().empty());
  stream.Ack(*first);
  EXPECT_FALSE(stream.Next().has_value());

  world.Publish(FakeSnapshot({.clusters = {{"a", "2"}, {"b", "1"}}}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> change = stream.Next();
  ASSERT_TRUE(change.has_value());
  EXPECT_THAT(Names(*change), ElementsAre("a"));
  EXPECT_NE(change->resources(0).version(), first->resources(0).version());
  EXPECT_THAT(Removed(*change), ElementsAre("c"));
  EXPECT_EQ(change->system_version_info(), world.version(kCds));
  stream.Ack(*change);
  EXPECT_FALSE(stream.Next().has_value());
}

TEST(StreamStateTest, DeltaReconnectSendsOnlyWhatDiffers) {
  World world;
  world.Publish(FakeSnapshot({.routes = {{"a", "1"}, {"b", "1"}, {"c", "1"}}}));
  Delta before(world, StreamKind::kPerType, kRds);
  before.Send(DeltaRequest(kRds, {"a", "b", "c"}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> held = before.Next();
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->resources_size(), 3);

  world.Publish(FakeSnapshot({.routes = {{"a", "1"}, {"b", "2"}}}));
  Delta after(world, StreamKind::kPerType, kRds);
  discovery_v3::DeltaDiscoveryRequest request = DeltaRequest(kRds, {"a", "b", "c"});
  for (const auto& resource : held->resources()) {
    (*request.mutable_initial_resource_versions())[resource.name()] = resource.version();
  }
  after.Send(request);
  std::optional<discovery_v3::DeltaDiscoveryResponse> response = after.Next();
  ASSERT_TRUE(response.has_value());
  // Names in resource_names_subscribe are always sent (R11); c is gone.
  EXPECT_THAT(Names(*response), ElementsAre("a", "b"));
  EXPECT_THAT(Removed(*response), ElementsAre("c"));

  // A wildcard client that presents versions gets only what differs from them.
  Delta wildcard(world, StreamKind::kPerType, kRds);
  request = DeltaRequest(kRds, {});
  for (const auto& resource : held->resources()) {
    (*request.mutable_initial_resource_versions())[resource.name()] = resource.version();
  }
  wildcard.Send(request);
  response = wildcard.Next();
  ASSERT_TRUE(response.has_value());
  EXPECT_THAT(Names(*response), ElementsAre("b"));
  EXPECT_THAT(Removed(*response), ElementsAre("c"));
}

TEST(StreamStateTest, DeltaSubscriptionsAddAndRemove) {
  World world;
  world.Publish(FakeSnapshot({.routes = {{"a", "1"}, {"b", "1"}}}));
  Delta stream(world, StreamKind::kAggregated);
  stream.Send(DeltaRequest(kRds, {"a", "missing"}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> first = stream.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(Names(*first), ElementsAre("a"));
  EXPECT_THAT(Removed(*first), ElementsAre("missing")) << "a name that does not exist";
  stream.Ack(*first);
  EXPECT_FALSE(stream.Next().has_value());

  // Subscribing later, with a stale nonce: still honoured (R1).
  stream.Send(DeltaRequest(kRds, {"b"}, {"a"}, "stale"));
  std::optional<discovery_v3::DeltaDiscoveryResponse> added = stream.Next();
  ASSERT_TRUE(added.has_value());
  EXPECT_THAT(Names(*added), ElementsAre("b"));
  EXPECT_THAT(Removed(*added), IsEmpty());
  stream.Ack(*added);

  // a is unsubscribed: its changes are not sent; missing appears.
  world.Publish(FakeSnapshot({.routes = {{"a", "2"}, {"b", "1"}, {"missing", "1"}}}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> appeared = stream.Next();
  ASSERT_TRUE(appeared.has_value());
  EXPECT_THAT(Names(*appeared), ElementsAre("missing"));
  stream.Ack(*appeared);
  EXPECT_FALSE(stream.Next().has_value());

  // NACK: nothing is resent.
  world.Publish(FakeSnapshot({.routes = {{"a", "2"}, {"b", "2"}, {"missing", "1"}}}));
  std::optional<discovery_v3::DeltaDiscoveryResponse> changed = stream.Next();
  ASSERT_TRUE(changed.has_value());
  EXPECT_THAT(Names(*changed), ElementsAre("b"));
  discovery_v3::DeltaDiscoveryRequest nack;
  nack.set_type_url(changed->type_url());
  nack.set_response_nonce(changed->nonce());
  nack.mutable_error_detail()->set_message("bad route");
  const RequestOutcome outcome = stream.Send(nack);
  EXPECT_TRUE(outcome.nack);
  EXPECT_EQ(outcome.nack_message, "bad route");
  EXPECT_FALSE(stream.Next().has_value());
}

// --- Errors ---

TEST(StreamStateTest, RequestErrors) {
  StreamState ads(StreamKind::kAggregated, false, std::nullopt);
  EXPECT_EQ(ads.OnRequest(Request(kCds, {})).status().code(), absl::StatusCode::kOk);
  discovery_v3::DiscoveryRequest unknown;
  unknown.set_type_url("type.googleapis.com/envoy.config.cluster.v3.NotACluster");
  absl::StatusOr<RequestOutcome> outcome = ads.OnRequest(unknown);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outcome.status().message()),
              testing::HasSubstr("no resource registered for typeURL"));
  EXPECT_EQ(ads.OnRequest(discovery_v3::DiscoveryRequest()).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "ADS needs a type URL";
  EXPECT_EQ(ads.OnDeltaRequest(DeltaRequest(kCds, {})).status().code(),
            absl::StatusCode::kInvalidArgument);

  // A per-type stream takes an empty type URL as its own type.
  StreamState eds(StreamKind::kPerType, false, kEds);
  outcome = eds.OnRequest(discovery_v3::DiscoveryRequest());
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->type, kEds);
  StreamState delta(StreamKind::kPerType, true, kCds);
  EXPECT_EQ(delta.OnRequest(Request(kCds, {})).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StreamStateTest, RemembersTheNode) {
  StreamState stream(StreamKind::kAggregated, false, std::nullopt);
  discovery_v3::DiscoveryRequest request = Request(kCds, {});
  request.mutable_node()->set_id("envoy-1");
  ASSERT_TRUE(stream.OnRequest(request).ok());
  request.mutable_node()->set_id("envoy-2");
  ASSERT_TRUE(stream.OnRequest(request).ok());
  EXPECT_EQ(stream.node_id(), "envoy-1");
}

}  // namespace
}  // namespace contour::xds
