// Reflector against the fake API server, through the real client: it lists and watches, and
// after every fault (cut streams, compaction, restarts with and without state, bad JSON, error
// answers, a kind not served) the handler ends up with exactly the server's objects.
#include "k8s/reflector.h"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "k8s/curl_api_client.h"
#include "tests/support/client_for_fake.h"

namespace contour::k8s {
namespace {

using testing::FakeApiServer;
using testing::FakeApiServerOptions;

constexpr absl::Duration kDeadline = absl::Seconds(20);

// Keeps what a client-go store would: key → resourceVersion, with replace semantics.
class StoreHandler : public ReflectorHandler {
 public:
  using State = std::map<std::string, std::string>;  // "ns/name" → resourceVersion

  void OnListBegin() override {
    absl::MutexLock lock(&mu_);
    listing_.clear();
  }
  void OnListItem(nlohmann::json object) override {
    absl::MutexLock lock(&mu_);
    EXPECT_TRUE(object.contains("kind") && object.contains("apiVersion")) << object.dump();
    listing_[Key(object)] = Version(object);
  }
  void OnListEnd(bool complete) override {
    absl::MutexLock lock(&mu_);
    if (complete) {
      state_ = std::move(listing_);
      lists_++;
    }
    listing_.clear();
  }
  void OnWatchEvent(WatchEventType type, nlohmann::json object) override {
    absl::MutexLock lock(&mu_);
    EXPECT_TRUE(object.contains("kind") && object.contains("apiVersion")) << object.dump();
    if (type == WatchEventType::kDeleted) {
      state_.erase(Key(object));
    } else {
      state_[Key(object)] = Version(object);
    }
  }

  // Waits until the state equals `want`.
  bool WaitForState(const State& want, absl::Duration timeout = kDeadline) {
    absl::MutexLock lock(&mu_);
    auto equal = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return lists_ > 0 && state_ == want; };
    return mu_.AwaitWithTimeout(absl::Condition(&equal), timeout);
  }
  State state() const {
    absl::MutexLock lock(&mu_);
    return state_;
  }
  int lists() const {
    absl::MutexLock lock(&mu_);
    return lists_;
  }

 private:
  static std::string Key(const nlohmann::json& object) {
    return object["metadata"].value("namespace", "") + "/" + object["metadata"].value("name", "");
  }
  static std::string Version(const nlohmann::json& object) {
    return object["metadata"].value("resourceVersion", "");
  }

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  State listing_ ABSL_GUARDED_BY(mu_);
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
};

nlohmann::json Service(const std::string& namespace_, const std::string& name, int port = 80) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"namespace", namespace_}, {"name", name}}},
          {"spec", {{"ports", {{{"port", port}}}}}}};
}

ReflectorOptions FastOptions() {
  ReflectorOptions options;
  options.backoff = {absl::Milliseconds(5), absl::Milliseconds(50), 2.0, 1.0};
  return options;
}

class ReflectorTest : public ::testing::Test {
 protected:
  void StartServer(FakeApiServerOptions options = {}) {
    testing::FakeAndClient made = testing::StartFakeWithClient(options);
    ASSERT_NE(made.client, nullptr);
    server_ = std::move(made.server);
    client_ = std::move(made.client);
  }

  void Run(ResourceSpec spec, ReflectorOptions options = FastOptions()) {
    reflector_ = std::make_unique<Reflector>(*client_, std::move(spec), handler_, options);
    thread_ = std::jthread([this](std::stop_token stop) { reflector_->Run(stop); });
  }

  // The server's services as the handler should have them.
  StoreHandler::State ServerState(std::string_view api_version = "v1",
                                  std::string_view kind = "Service") const {
    StoreHandler::State state;
    for (const nlohmann::json& object : server_->List(api_version, kind)) {
      state[object["metadata"].value("namespace", "") + "/" +
            object["metadata"].value("name", "")] = object["metadata"].value("resourceVersion", "");
    }
    return state;
  }

  void TearDown() override {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<CurlApiClient> client_;
  StoreHandler handler_;
  std::unique_ptr<Reflector> reflector_;
  std::jthread thread_;
};

TEST_F(ReflectorTest, ListsThenFollowsAddsUpdatesAndDeletes) {
  StartServer();
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(server_->Create(Service("ns", name)).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState())) << handler_.state().size();
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));

  ASSERT_TRUE(server_->Create(Service("other", "d")).ok());
  ASSERT_TRUE(server_->Update(Service("ns", "a", 8080)).ok());
  ASSERT_TRUE(server_->Delete("v1", "Service", "ns", "b").ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(handler_.state().count("ns/b"), 0u);
  EXPECT_EQ(handler_.lists(), 1);
  const ReflectorStats stats = reflector_->stats();
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.errors, 0u);

  // The watch asked for bookmarks, from the list's version.
  bool saw_watch = false;
  for (const auto& request : server_->Requests()) {
    if (request.path.find("watch=1") == std::string::npos) continue;
    saw_watch = true;
    EXPECT_NE(request.path.find("allowWatchBookmarks=true"), std::string::npos) << request.path;
    EXPECT_NE(request.path.find("timeoutSeconds="), std::string::npos) << request.path;
  }
  EXPECT_TRUE(saw_watch);
}

TEST_F(ReflectorTest, ListsInPages) {
  StartServer();
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(server_->Create(Service("ns", "s" + std::to_string(i))).ok());
  }
  ResourceSpec spec{"v1", "Service", "services"};
  spec.page_size = 3;
  Run(spec);
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  int pages = 0;
  int continued = 0;
  for (const auto& request : server_->Requests()) {
    if (request.path.find("watch=1") != std::string::npos) continue;
    if (request.path.find("limit=3") != std::string::npos) pages++;
    if (request.path.find("continue=") != std::string::npos) continued++;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(continued, 2);
}

TEST_F(ReflectorTest, SelectorsAreSent) {
  StartServer();
  nlohmann::json tls = {{"apiVersion", "v1"},
                        {"kind", "Secret"},
                        {"metadata", {{"namespace", "ns"}, {"name", "tls"}}},
                        {"type", "kubernetes.io/tls"}};
  nlohmann::json token = tls;
  token["metadata"]["name"] = "token";
  token["type"] = "kubernetes.io/service-account-token";
  ASSERT_TRUE(server_->Create(tls).ok());
  ASSERT_TRUE(server_->Create(token).ok());
  ResourceSpec spec{"v1", "Secret", "secrets"};
  spec.field_selector = "type!=kubernetes.io/service-account-token";
  Run(spec);
  StoreHandler::State want = ServerState("v1", "Secret");
  want.erase("ns/token");
  ASSERT_TRUE(handler_.WaitForState(want));
}

// Records whether any object delivered carried more than metadata.
class MetadataOnlyHandler : public StoreHandler {
 public:
  void OnListItem(nlohmann::json object) override {
    Check(object);
    StoreHandler::OnListItem(std::move(object));
  }
  void OnWatchEvent(WatchEventType type, nlohmann::json object) override {
    Check(object);
    StoreHandler::OnWatchEvent(type, std::move(object));
  }
  bool saw_contents() const { return saw_contents_.load(); }

 private:
  void Check(const nlohmann::json& object) {
    if (object.contains("data") || object.contains("type") ||
        object.value("kind", "") != "PartialObjectMetadata") {
      saw_contents_ = true;
    }
  }
  std::atomic<bool> saw_contents_{false};
};

TEST_F(ReflectorTest, MetadataOnlyListsAndWatchesCarryNoContents) {
  StartServer();
  nlohmann::json secret = {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"namespace", "ns"}, {"name", "big"}}},
                           {"type", "kubernetes.io/tls"},
                           {"data", {{"tls.crt", std::string(4096, 'Q')}}}};
  ASSERT_TRUE(server_->Create(secret).ok());
  MetadataOnlyHandler handler;
  ResourceSpec spec{"v1", "Secret", "secrets"};
  spec.metadata_only = true;
  Reflector reflector(*client_, spec, handler, FastOptions());
  std::jthread thread([&](std::stop_token stop) { reflector.Run(stop); });
  ASSERT_TRUE(handler.WaitForState(ServerState("v1", "Secret")));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
  secret["metadata"]["name"] = "bigger";
  ASSERT_TRUE(server_->Create(secret).ok());
  ASSERT_TRUE(handler.WaitForState(ServerState("v1", "Secret")));
  EXPECT_FALSE(handler.saw_contents());
}

TEST_F(ReflectorTest, CutStreamsResumeFromTheLastEvent) {
  StartServer();
  ASSERT_TRUE(server_->Create(Service("ns", "a")).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
    ASSERT_TRUE(server_->Create(Service("ns", "r" + std::to_string(round))).ok());
    server_->CutWatches(/*mid_event=*/round % 2 == 0);
  }
  ASSERT_TRUE(server_->Create(Service("ns", "last")).ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  // Cuts re-watch from the last version seen; no list was needed.
  EXPECT_EQ(handler_.lists(), 1);
  EXPECT_GE(reflector_->stats().watches, 6u);
}

TEST_F(ReflectorTest, CompactionForcesARelistThatAppliesMissedDeletes) {
  StartServer();
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(server_->Create(Service("ns", name)).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));

  // While the client cannot hear, b is deleted and the history forgotten.
  server_->SetStalled(true);
  server_->CutWatches(/*mid_event=*/false);
  ASSERT_TRUE(server_->Delete("v1", "Service", "ns", "b").ok());
  ASSERT_TRUE(server_->Create(Service("ns", "d")).ok());
  server_->Compact();
  server_->SetStalled(false);

  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(handler_.state().count("ns/b"), 0u);
  EXPECT_GE(handler_.lists(), 2);
  EXPECT_GE(reflector_->stats().relists_expired, 1u);
}

TEST_F(ReflectorTest, RestartWithoutStateEmptiesTheStore) {
  StartServer();
  for (const char* name : {"a", "b"}) ASSERT_TRUE(server_->Create(Service("ns", name)).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  ASSERT_TRUE(server_->Restart(/*keep_state=*/false).ok());
  ASSERT_TRUE(server_->Create(Service("ns", "fresh")).ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(handler_.state().size(), 1u);
  EXPECT_GE(reflector_->stats().relists_expired, 1u);
}

TEST_F(ReflectorTest, RestartWithStateLosesNothing) {
  StartServer();
  ASSERT_TRUE(server_->Create(Service("ns", "a")).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  ASSERT_TRUE(server_->Restart(/*keep_state=*/true).ok());
  ASSERT_TRUE(server_->Create(Service("ns", "b")).ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(handler_.state().size(), 2u);
}

TEST_F(ReflectorTest, BadJsonIsAnErrorFollowedByARelist) {
  StartServer();
  ASSERT_TRUE(server_->Create(Service("ns", "a")).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
  server_->CorruptNext(1, "watch=1");
  ASSERT_TRUE(server_->Create(Service("ns", "b")).ok());  // its event arrives cut in half
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(reflector_->stats().bad_data, 1u);
  EXPECT_GE(handler_.lists(), 2);

  // A list that is not JSON: abandoned, retried.
  server_->CorruptNext(1, "limit=");
  server_->SetStalled(true);
  server_->CutWatches(false);
  ASSERT_TRUE(server_->Create(Service("ns", "c")).ok());
  server_->Compact();
  server_->SetStalled(false);
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  EXPECT_EQ(reflector_->stats().bad_data, 2u);
}

TEST_F(ReflectorTest, ErrorAnswersAreRetried) {
  StartServer();
  ASSERT_TRUE(server_->Create(Service("ns", "a")).ok());
  server_->FailRequests(500, 2, "/services?limit");
  server_->FailRequests(429, 1, "/services?limit");
  server_->FailRequests(503, 2, "watch=1");
  ReflectorOptions options = FastOptions();
  Run({"v1", "Service", "services"}, options);
  ASSERT_TRUE(handler_.WaitForState(ServerState(), absl::Seconds(30)));
  ASSERT_TRUE(server_->Create(Service("ns", "b")).ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState(), absl::Seconds(30)));
  EXPECT_GE(reflector_->stats().errors, 5u);
}

TEST_F(ReflectorTest, AKindNotServedIsAnEmptyListUntilItIs) {
  FakeApiServerOptions options;
  options.contour_crds = false;
  StartServer(options);
  Run({"contour.heptio.com/v1beta1", "IngressRoute", "ingressroutes"});
  ASSERT_TRUE(handler_.WaitForState({}));
  EXPECT_GE(reflector_->stats().not_served, 1u);

  server_->SetContourCrds(true);
  nlohmann::json route = {{"apiVersion", "contour.heptio.com/v1beta1"},
                          {"kind", "IngressRoute"},
                          {"metadata", {{"namespace", "ns"}, {"name", "root"}}},
                          {"spec", {{"virtualhost", {{"fqdn", "example.com"}}}}}};
  ASSERT_TRUE(server_->Create(route).ok());
  ASSERT_TRUE(handler_.WaitForState(ServerState("contour.heptio.com/v1beta1", "IngressRoute")));
  EXPECT_EQ(handler_.state().size(), 1u);
}

TEST_F(ReflectorTest, BookmarksMoveTheResumePoint) {
  StartServer();
  ASSERT_TRUE(server_->Create(Service("ns", "a")).ok());
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState(ServerState()));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
  // Other kinds move the version; a bookmark tells the watcher.
  nlohmann::json map = {{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"namespace", "ns"}, {"name", "m"}}}};
  ASSERT_TRUE(server_->Create(map).ok());
  const uint64_t version = server_->resource_version();
  server_->ClearRequests();
  server_->SendBookmarks();
  // The reflector reports nothing to the handler for a bookmark: poll its counter.
  const absl::Time deadline = absl::Now() + kDeadline;
  while (reflector_->stats().bookmarks == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_GE(reflector_->stats().bookmarks, 1u);
  server_->CutWatches(false);
  ASSERT_TRUE(server_->WaitForRequests(1, kDeadline));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
  const auto requests = server_->Requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_NE(requests.back().path.find("resourceVersion=" + std::to_string(version)),
            std::string::npos)
      << requests.back().path;
}

TEST_F(ReflectorTest, StopEndsAStalledWatch) {
  StartServer();
  Run({"v1", "Service", "services"});
  ASSERT_TRUE(handler_.WaitForState({}));
  ASSERT_TRUE(server_->WaitForOpenWatches(1, kDeadline));
  server_->SetStalled(true);
  thread_.request_stop();
  thread_.join();  // returns: the stream is cut short by the stop
  server_->SetStalled(false);
  SUCCEED();
}

TEST(ResourceSpecTest, Paths) {
  EXPECT_EQ((ResourceSpec{"v1", "Service", "services"}).CollectionPath(), "/api/v1/services");
  EXPECT_EQ((ResourceSpec{"networking.k8s.io/v1", "Ingress", "ingresses", "ns"}).CollectionPath(),
            "/apis/networking.k8s.io/v1/namespaces/ns/ingresses");
  EXPECT_EQ(QueryEscape("type!=a/b,c"), "type%21%3Da%2Fb%2Cc");
  EXPECT_EQ(StatusMessage(R"({"kind":"Status","message":"too old"})"), "too old");
  EXPECT_EQ(StatusMessage("not json"), "");
}

}  // namespace
}  // namespace contour::k8s
