// EventLoop: sync gating, coalescing, endpoints bypass, secret re-supply and shutdown. Every wait
// is on a condition; assertions about build counts hold whatever the timing (a zero holdoff makes
// a scheduled build happen inside the batch, so Flush covers it; a closed gate holds the loop
// still while a burst queues up).
#include "controller/event_loop.h"

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"

namespace contour::controller {
namespace {

using dag::dagtest::Backend;
using dag::dagtest::MakeService;
using dag::dagtest::Meta;
using dag::dagtest::Path;
using dag::dagtest::Port;
using dag::dagtest::PortNumber;
using dag::dagtest::Rule;
using dag::dagtest::Tls;
using dag::dagtest::TlsSecret;
using ::testing::ElementsAre;

constexpr absl::Duration kGuard = absl::Seconds(30);  // failure guard, never reached when passing

k8s::Service Svc() { return MakeService("default", "svc", {Port("http", 80)}); }

std::string Host(int i) { return "h" + std::to_string(i) + ".example.com"; }

// Ingress default/ing<i> serving h<i>.example.com from default/svc:80.
k8s::Ingress HostIngress(int i) {
  k8s::Ingress ingress;
  ingress.metadata = Meta("default", "ing" + std::to_string(i));
  ingress.rules.push_back(Rule(Host(i), {Path("/", Backend("svc", PortNumber(80)))}));
  return ingress;
}

k8s::Ingress TlsIngress() {
  k8s::Ingress ingress;
  ingress.metadata = Meta("default", "secure");
  ingress.tls.push_back(Tls({"secure.example.com"}, "tls"));
  return ingress;
}

k8s::Endpoints MakeEndpoints(const std::string& name) {
  k8s::Endpoints endpoints;
  endpoints.metadata = Meta("default", name);
  endpoints.subsets.push_back({{{"10.0.0.1"}}, {}, {{"http", 8080, "TCP"}}});
  return endpoints;
}

// Records what the loop emits. While the gate is closed, OnBuild blocks (holding the loop still).
class FakeOutputs : public LoopOutputs {
 public:
  struct Build {
    std::vector<std::string> http_hosts;
    std::vector<std::string> https_hosts;
  };

  void OnBuild(const dag::Dag& dag) override {
    Build build;
    for (const auto& [name, vhost] : dag.http_hosts) build.http_hosts.push_back(name);
    for (const auto& [name, vhost] : dag.https_hosts) build.https_hosts.push_back(name);
    absl::MutexLock lock(&mu_);
    builds_.push_back(std::move(build));
    ++blocked_;
    mu_.Await(absl::Condition(&gate_open_));
    --blocked_;
  }
  void OnEndpointsUpsert(const k8s::Endpoints& endpoints) override {
    absl::MutexLock lock(&mu_);
    endpoints_calls_.push_back("upsert " + endpoints.metadata.namespace_ + "/" +
                               endpoints.metadata.name);
  }
  void OnEndpointsDelete(const std::string& namespace_, const std::string& name) override {
    absl::MutexLock lock(&mu_);
    endpoints_calls_.push_back("delete " + namespace_ + "/" + name);
  }

  void SetGate(bool open) {
    absl::MutexLock lock(&mu_);
    gate_open_ = open;
  }
  // True once a build is waiting at the closed gate.
  bool WaitForBlocked() {
    absl::MutexLock lock(&mu_);
    auto blocked = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return blocked_ > 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&blocked), kGuard);
  }
  // True once the latest build serves `n` http virtual hosts.
  bool WaitForHttpHosts(size_t n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !builds_.empty() && builds_.back().http_hosts.size() == n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }
  std::vector<Build> builds() {
    absl::MutexLock lock(&mu_);
    return builds_;
  }
  std::vector<std::string> endpoints_calls() {
    absl::MutexLock lock(&mu_);
    return endpoints_calls_;
  }

 private:
  absl::Mutex mu_;
  bool gate_open_ ABSL_GUARDED_BY(mu_) = true;
  int blocked_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Build> builds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> endpoints_calls_ ABSL_GUARDED_BY(mu_);
};

// Records requests; when given a sink, answers them with the Secrets it holds.
class FakeSupplier : public SecretSupplier {
 public:
  explicit FakeSupplier(ObjectSink* answer_to = nullptr) : answer_to_(answer_to) {}

  void SupplySecrets(const std::vector<dag::ObjectKey>& keys) override {
    {
      absl::MutexLock lock(&mu_);
      calls_.push_back(keys);
    }
    if (answer_to_ == nullptr) return;
    for (const dag::ObjectKey& key : keys) answer_to_->Upsert(TlsSecret(key.first, key.second));
  }
  std::vector<std::vector<dag::ObjectKey>> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  ObjectSink* answer_to_;
  absl::Mutex mu_;
  std::vector<std::vector<dag::ObjectKey>> calls_ ABSL_GUARDED_BY(mu_);
};

EventLoopOptions Options(std::vector<std::string> sources, absl::Duration holdoff,
                         absl::Duration max_delay) {
  EventLoopOptions options;
  options.sources = std::move(sources);
  options.holdoff = holdoff;
  options.max_delay = max_delay;
  return options;
}

// Every build happens inside the batch that asks for it, so Flush covers it.
EventLoopOptions Immediate() {
  return Options({"test"}, absl::ZeroDuration(), absl::ZeroDuration());
}

TEST(EventLoopTest, NothingBuiltBeforeEverySourceSynced) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                 Options({"manifests", "kubernetes"}, absl::ZeroDuration(), absl::ZeroDuration()));
  loop.Start();
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  loop.Synced("manifests");
  loop.Synced("elsewhere");  // not an expected source: does not count
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 0u);
  EXPECT_EQ(loop.events_applied(), 4u);

  loop.Synced("kubernetes");
  ASSERT_TRUE(loop.WaitForBuilds(1, kGuard));
  ASSERT_EQ(outputs.builds().size(), 1u);
  EXPECT_THAT(outputs.builds()[0].http_hosts, ElementsAre(Host(1)));
}

// With an hour's holdoff, only "the first build waits for nothing" lets this build happen.
TEST(EventLoopTest, FirstBuildAfterSyncIsImmediateAndHoldsEverything) {
  constexpr int kObjects = 50;
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                 Options({"manifests"}, absl::Hours(1), absl::Hours(1)));
  loop.Upsert(Svc());
  for (int i = 0; i < kObjects; ++i) loop.Upsert(HostIngress(i));
  loop.Synced("manifests");
  loop.Start();
  ASSERT_TRUE(loop.WaitForBuilds(1, kGuard));
  ASSERT_TRUE(loop.Flush(kGuard));
  ASSERT_EQ(outputs.builds().size(), 1u);
  EXPECT_EQ(outputs.builds()[0].http_hosts.size(), static_cast<size_t>(kObjects));
  EXPECT_EQ(loop.events_applied(), static_cast<uint64_t>(kObjects + 2));
}

TEST(EventLoopTest, NoSourcesBuildsOnStart) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                 Options({}, absl::Hours(1), absl::Hours(1)));
  loop.Start();
  ASSERT_TRUE(loop.WaitForBuilds(1, kGuard));
  EXPECT_TRUE(outputs.builds()[0].http_hosts.empty());
}

// A free-running burst with Contour's timings: the final build serves all of it, and builds are
// at least a holdoff apart, so far fewer than one per event.
TEST(EventLoopTest, BurstEndsInOneBuildServingAll) {
  constexpr int kBurst = 300;
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, EventLoopOptions{{"m"}});
  loop.Start();
  loop.Upsert(Svc());
  loop.Synced("m");
  ASSERT_TRUE(loop.WaitForBuilds(1, kGuard));
  for (int i = 0; i < kBurst; ++i) loop.Upsert(HostIngress(i));
  ASSERT_TRUE(outputs.WaitForHttpHosts(kBurst));
  EXPECT_LT(loop.builds(), static_cast<uint64_t>(kBurst));
}

// Deterministic coalescing: the burst queues while the first build is held at the gate, so the
// loop takes it as one batch and makes exactly one more build.
TEST(EventLoopTest, BurstQueuedDuringBuildCostsOneBuild) {
  constexpr int kBurst = 100;
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                 Options({"m"}, absl::Milliseconds(1), absl::Milliseconds(500)));
  outputs.SetGate(false);
  loop.Upsert(Svc());
  loop.Synced("m");
  loop.Start();
  ASSERT_TRUE(outputs.WaitForBlocked());
  for (int i = 0; i < kBurst; ++i) loop.Upsert(HostIngress(i));
  outputs.SetGate(true);
  ASSERT_TRUE(loop.WaitForBuilds(2, kGuard));
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_TRUE(builds[0].http_hosts.empty());
  EXPECT_EQ(builds[1].http_hosts.size(), static_cast<size_t>(kBurst));
}

// A Service and the Ingress that names its new port, applied together: no build may see one
// without the other (the route would vanish for a holdoff). Sent one by one, an idle loop could
// build between them; this fails only sometimes then, but never passes wrongly.
TEST(EventLoopTest, ChangesAppliedTogetherAreBuiltTogether) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  loop.Start();
  loop.Synced("test");
  ASSERT_TRUE(loop.WaitForBuilds(1, kGuard));
  for (int port = 81; port < 181; ++port) {
    k8s::Ingress ingress;
    ingress.metadata = Meta("default", "ing");
    ingress.rules.push_back(Rule(Host(1), {Path("/", Backend("svc", PortNumber(port)))}));
    ObjectChanges changes;
    changes.upserts.push_back(MakeService("default", "svc", {Port("http", port)}));
    changes.upserts.push_back(std::move(ingress));
    loop.Apply(std::move(changes));
    ASSERT_TRUE(loop.Flush(kGuard));
  }
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_GT(builds.size(), 1u);
  for (size_t i = 1; i < builds.size(); ++i) {
    EXPECT_THAT(builds[i].http_hosts, ElementsAre(Host(1))) << "build " << i;
  }
}

TEST(EventLoopTest, DeleteRebuilds) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  loop.Start();
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  loop.Upsert(HostIngress(2));
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Delete("Ingress", "default", "ing1");
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_THAT(builds[0].http_hosts, ElementsAre(Host(1), Host(2)));
  EXPECT_THAT(builds[1].http_hosts, ElementsAre(Host(2)));
}

TEST(EventLoopTest, EndpointsGoStraightToOutputsWithoutBuild) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  loop.Start();
  loop.Upsert(MakeEndpoints("early"));  // before sync too
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  ASSERT_EQ(loop.builds(), 1u);

  loop.Upsert(MakeEndpoints("svc"));
  loop.Upsert(MakeEndpoints("svc"));
  loop.Delete("Endpoints", "default", "svc");
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);
  EXPECT_THAT(outputs.endpoints_calls(), ElementsAre("upsert default/early", "upsert default/svc",
                                                     "upsert default/svc", "delete default/svc"));

  // The control: a relevant event does build within Flush, so the count above could have moved.
  loop.Upsert(HostIngress(2));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 2u);
}

TEST(EventLoopTest, UnreferencedServiceAddsNoBuild) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  loop.Start();
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  ASSERT_EQ(loop.builds(), 1u);

  loop.Upsert(MakeService("default", "nobody-uses-me", {Port("http", 80)}));
  loop.Delete("Service", "default", "nobody-uses-me");
  loop.Upsert(Svc());  // unchanged
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);

  loop.Upsert(MakeService("default", "svc", {Port("http", 8080)}));  // referenced, changed
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 2u);
}

TEST(EventLoopTest, NewlyWantedSecretsAskedOnce) {
  FakeOutputs outputs;
  FakeSupplier supplier;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  loop.SetSecretSupplier(&supplier);
  loop.Start();
  loop.Upsert(TlsSecret("default", "tls"));  // nothing references it yet: not kept
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_TRUE(supplier.calls().empty());

  loop.Upsert(TlsIngress());
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_THAT(supplier.calls(), ElementsAre(ElementsAre(dag::ObjectKey{"default", "tls"})));

  // Still wanted (this supplier never answers): not asked again.
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(supplier.calls().size(), 1u);

  // No longer wanted, then wanted again: asked again.
  loop.Delete("Ingress", "default", "secure");
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Upsert(TlsIngress());
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(supplier.calls().size(), 2u);
}

// A supplier may answer from inside SupplySecrets (the loop holds no lock while calling it), and
// an answer given at once is applied before the build, which then serves the host with TLS.
TEST(EventLoopTest, SecretSuppliedAtOnceReachesTheSameBuild) {
  FakeOutputs outputs;
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, Immediate());
  FakeSupplier supplier(&loop);
  loop.SetSecretSupplier(&supplier);
  loop.Start();
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Upsert(TlsIngress());
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_THAT(builds[1].https_hosts, ElementsAre("secure.example.com"));
  EXPECT_EQ(supplier.calls().size(), 1u);
  EXPECT_EQ(loop.events_applied(), 3u);  // Synced, the Ingress, the supplied Secret
}

TEST(EventLoopTest, StopJoinsWithEventsPending) {
  FakeOutputs outputs;
  auto loop =
      std::make_unique<EventLoop>(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                                  Options({"m"}, absl::ZeroDuration(), absl::ZeroDuration()));
  outputs.SetGate(false);
  loop->Upsert(Svc());
  loop->Synced("m");
  loop->Start();
  ASSERT_TRUE(outputs.WaitForBlocked());  // first build, holding the loop
  for (int i = 0; i < 100; ++i) loop->Upsert(HostIngress(i));

  std::thread stopper([&loop] { loop->Stop(); });
  // Stop has no condition to wait on from outside: spin (no sleep) until it has been called.
  const absl::Time deadline = absl::Now() + kGuard;
  while (!loop->stopping() && absl::Now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(loop->stopping());
  outputs.SetGate(true);
  stopper.join();

  EXPECT_EQ(loop->events_applied(), 2u);  // the queued burst was dropped
  EXPECT_EQ(loop->builds(), 1u);
  EXPECT_FALSE(loop->Flush(kGuard));
  loop->Upsert(HostIngress(1000));  // ignored after Stop
  EXPECT_EQ(loop->events_applied(), 2u);
  loop.reset();  // the destructor's Stop is a no-op now
  EXPECT_EQ(outputs.builds().size(), 1u);
}

TEST(EventLoopTest, DestructorStopsARunningLoop) {
  FakeOutputs outputs;
  {
    EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, EventLoopOptions{{"m"}});
    loop.Start();
    for (int i = 0; i < 100; ++i) loop.Upsert(HostIngress(i));
  }
  EXPECT_TRUE(outputs.builds().empty());  // never synced
}

}  // namespace
}  // namespace contour::controller
