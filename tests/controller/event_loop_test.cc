// EventLoop: sync gating, coalescing, endpoints bypass, secret re-supply (and waiting for the
// Secrets asked for) and shutdown. Every wait is on a condition; assertions about build counts
// hold whatever the timing (a zero holdoff makes a scheduled build happen inside the batch, so
// Flush covers it; a closed gate holds the loop still while a burst queues up; an hour's
// secret_wait holds a build until the test answers).
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
#include "tests/dag/ingressroute_test_objects.h"

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

// IngressRoute default/secure: the root of secure.example.com over TLS with default/<secret>,
// routing to default/svc:80.
k8s::IngressRoute TlsRoute(const std::string& secret) {
  return dag::irtest::WithTls(
      dag::irtest::IR("default", "secure", "secure.example.com",
                      {dag::irtest::RouteTo("/", {dag::irtest::Svc("svc", 80)})}),
      secret);
}

// Records what the loop emits. While the gate is closed, OnBuild blocks (holding the loop still).
class FakeOutputs : public LoopOutputs {
 public:
  struct Build {
    std::vector<std::string> http_hosts;
    std::vector<std::string> https_hosts;
    std::vector<std::string> statuses;  // "namespace/name: current_status (description)"
    absl::Time at;
  };

  void OnBuild(const dag::Dag& dag) override {
    Build build;
    build.at = absl::Now();
    for (const auto& [name, vhost] : dag.http_hosts) build.http_hosts.push_back(name);
    for (const auto& [name, vhost] : dag.https_hosts) build.https_hosts.push_back(name);
    for (const dag::Status& status : dag.statuses) {
      build.statuses.push_back(status.namespace_ + "/" + status.name + ": " +
                               status.current_status + " (" + status.description + ")");
    }
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

// Records requests; when given a sink, answers them at once, from inside SupplySecrets, with the
// Secrets it holds. `answers_every_key` is what it claims (SecretSupplier::AnswersEveryKey).
class FakeSupplier : public SecretSupplier {
 public:
  explicit FakeSupplier(ObjectSink* answer_to = nullptr, bool answers_every_key = false)
      : answer_to_(answer_to), answers_every_key_(answers_every_key) {}

  void SupplySecrets(const std::vector<dag::ObjectKey>& keys) override {
    {
      absl::MutexLock lock(&mu_);
      calls_.push_back(keys);
    }
    if (answer_to_ == nullptr) return;
    for (const dag::ObjectKey& key : keys) answer_to_->Upsert(TlsSecret(key.first, key.second));
  }
  bool AnswersEveryKey() const override { return answers_every_key_; }
  std::vector<std::vector<dag::ObjectKey>> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  // True once SupplySecrets has been called `n` times.
  bool WaitForCalls(size_t n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }

 private:
  ObjectSink* answer_to_;
  const bool answers_every_key_;
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

// As Immediate, but a build waits up to `secret_wait` for the Secrets just asked for.
EventLoopOptions ImmediateWaiting(absl::Duration secret_wait) {
  EventLoopOptions options = Immediate();
  options.secret_wait = secret_wait;
  return options;
}

// A started loop that waits up to `secret_wait` for the Secrets it asks `supplier` for; the
// supplier promises answers but gives none itself (the test does).
struct WaitingLoop {
  explicit WaitingLoop(absl::Duration secret_wait)
      : loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs, ImmediateWaiting(secret_wait)) {
    loop.SetSecretSupplier(&supplier);
    loop.Start();
  }
  // The usual start: the Service the routes point at, synced and built once, without TLS.
  bool SyncedWithService() {
    loop.Upsert(Svc());
    loop.Synced("test");
    return loop.Flush(kGuard);
  }
  FakeOutputs outputs;
  FakeSupplier supplier{nullptr, /*answers_every_key=*/true};
  EventLoop loop;  // last: stopped before the others go
};

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
// an answer given at once is applied before the build, which then serves the host with TLS. One
// that answers every key is not waited for beyond that (the hour's secret_wait would show).
TEST(EventLoopTest, SecretSuppliedAtOnceReachesTheSameBuild) {
  for (const bool answers_every_key : {false, true}) {
    SCOPED_TRACE(answers_every_key ? "answers every key" : "may ignore keys");
    FakeOutputs outputs;
    EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                   ImmediateWaiting(absl::Hours(1)));
    FakeSupplier supplier(&loop, answers_every_key);
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
    EXPECT_EQ(loop.secret_waits_expired(), 0u);
  }
}

// A supplier that may ignore a key (it lacks the Secret) is not waited for: the build goes out at
// once, without the Secret, whatever secret_wait says.
TEST(EventLoopTest, SupplierThatMayIgnoreKeysIsNotWaitedFor) {
  FakeOutputs outputs;
  FakeSupplier supplier;  // never answers, and says so
  EventLoop loop(dag::CacheConfig{}, dag::BuilderConfig{}, outputs,
                 ImmediateWaiting(absl::Hours(1)));
  loop.SetSecretSupplier(&supplier);
  loop.Start();
  loop.Upsert(Svc());
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Upsert(TlsRoute("tls"));
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_THAT(builds[1].statuses,
              ElementsAre("default/secure: invalid (TLS Secret [tls] not found or is malformed)"));
  EXPECT_EQ(supplier.calls().size(), 1u);
}

// The Kubernetes case: a new IngressRoute references a TLS Secret the cache does not hold; the
// supplier sends it some time later, from its own thread. The build waits for it: one build, and
// it serves the host with TLS and says the route is valid (not invalid, then valid).
TEST(EventLoopTest, BuildWaitsForSecretsOnTheirWay) {
  WaitingLoop waiting(absl::Hours(1));  // the test answers, later
  FakeOutputs& outputs = waiting.outputs;
  FakeSupplier& supplier = waiting.supplier;
  EventLoop& loop = waiting.loop;
  ASSERT_TRUE(waiting.SyncedWithService());
  ASSERT_EQ(loop.builds(), 1u);

  loop.Upsert(TlsRoute("tls"));
  ASSERT_TRUE(supplier.WaitForCalls(1));
  EXPECT_THAT(supplier.calls()[0], ElementsAre(dag::ObjectKey{"default", "tls"}));
  // Held (Flush does not wait for a held build), and endpoints still go through meanwhile.
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Upsert(MakeEndpoints("svc"));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);
  EXPECT_THAT(outputs.endpoints_calls(), ElementsAre("upsert default/svc"));

  std::thread answer([&loop] { loop.Upsert(TlsSecret("default", "tls")); });
  answer.join();
  ASSERT_TRUE(loop.WaitForBuilds(2, kGuard));
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_THAT(builds[1].https_hosts, ElementsAre("secure.example.com"));
  EXPECT_THAT(builds[1].statuses, ElementsAre("default/secure: valid (valid IngressRoute)"));
  EXPECT_EQ(loop.secret_waits_expired(), 0u);
}

// A supplier that says it cannot supply a Secret (a Delete of it) ends the wait at once: the
// build goes out, without it, long before the hour's secret_wait.
TEST(EventLoopTest, SecretThatCannotBeSuppliedEndsTheWait) {
  WaitingLoop waiting(absl::Hours(1));
  FakeOutputs& outputs = waiting.outputs;
  FakeSupplier& supplier = waiting.supplier;
  EventLoop& loop = waiting.loop;
  ASSERT_TRUE(waiting.SyncedWithService());

  loop.Upsert(TlsRoute("missing"));
  ASSERT_TRUE(supplier.WaitForCalls(1));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);  // held for the answer

  loop.Delete("Secret", "default", "missing");
  ASSERT_TRUE(loop.WaitForBuilds(2, kGuard));
  ASSERT_TRUE(loop.Flush(kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_TRUE(builds[1].https_hosts.empty());
  EXPECT_THAT(builds[1].statuses,
              ElementsAre("default/secure: invalid (TLS Secret [missing] not found or is "
                          "malformed)"));
  EXPECT_EQ(loop.secret_waits_expired(), 0u);
  EXPECT_EQ(supplier.calls().size(), 1u);  // still wanted: not asked again

  // It appears later: the source sends it (it is wanted), and the host gets TLS.
  loop.Upsert(TlsSecret("default", "missing"));
  ASSERT_TRUE(loop.WaitForBuilds(3, kGuard));
  EXPECT_THAT(outputs.builds()[2].https_hosts, ElementsAre("secure.example.com"));
}

// A supplier that never answers delays the build by secret_wait, no more: then it goes out
// without the Secret. (The build cannot come earlier than secret_wait after the Upsert below; how
// much later does not matter.)
TEST(EventLoopTest, SecretNeverSuppliedDelaysTheBuildBySecretWaitOnly) {
  constexpr absl::Duration kWait = absl::Milliseconds(300);
  WaitingLoop waiting(kWait);  // and never does
  FakeOutputs& outputs = waiting.outputs;
  FakeSupplier& supplier = waiting.supplier;
  EventLoop& loop = waiting.loop;
  ASSERT_TRUE(waiting.SyncedWithService());

  const absl::Time asked = absl::Now();
  loop.Upsert(TlsRoute("tls"));
  ASSERT_TRUE(loop.WaitForBuilds(2, kGuard));
  const std::vector<FakeOutputs::Build> builds = outputs.builds();
  ASSERT_EQ(builds.size(), 2u);
  EXPECT_GE(builds[1].at - asked, kWait);
  EXPECT_THAT(builds[1].statuses,
              ElementsAre("default/secure: invalid (TLS Secret [tls] not found or is malformed)"));
  EXPECT_EQ(loop.secret_waits_expired(), 1u);

  // Given up is not asked again, and later builds do not wait for it.
  loop.Upsert(HostIngress(1));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 3u);
  EXPECT_EQ(supplier.calls().size(), 1u);
  // When it does come, it is used.
  loop.Upsert(TlsSecret("default", "tls"));
  ASSERT_TRUE(loop.WaitForBuilds(4, kGuard));
  EXPECT_THAT(outputs.builds()[3].https_hosts, ElementsAre("secure.example.com"));
}

// A Secret that stops being wanted while on its way (its IngressRoute is deleted) is not waited
// for; nor is one whose reference moves to another Secret, which is waited for instead.
TEST(EventLoopTest, SecretNoLongerWantedIsNotWaitedFor) {
  WaitingLoop waiting(absl::Hours(1));
  FakeOutputs& outputs = waiting.outputs;
  FakeSupplier& supplier = waiting.supplier;
  EventLoop& loop = waiting.loop;
  loop.Upsert(Svc());
  loop.Upsert(HostIngress(1));
  loop.Synced("test");
  ASSERT_TRUE(loop.Flush(kGuard));

  loop.Upsert(TlsRoute("a"));
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);
  loop.Upsert(TlsRoute("b"));  // "a" no longer wanted; "b" is, and is on its way
  ASSERT_TRUE(loop.Flush(kGuard));
  EXPECT_EQ(loop.builds(), 1u);
  EXPECT_THAT(supplier.calls(), ElementsAre(ElementsAre(dag::ObjectKey{"default", "a"}),
                                            ElementsAre(dag::ObjectKey{"default", "b"})));
  loop.Delete("IngressRoute", "default", "secure");  // nothing wants "b" now
  ASSERT_TRUE(loop.Flush(kGuard));
  ASSERT_EQ(loop.builds(), 2u);
  EXPECT_THAT(outputs.builds()[1].http_hosts, ElementsAre(Host(1)));
  EXPECT_EQ(loop.secret_waits_expired(), 0u);
}

// Stop does not wait for Secrets on their way.
TEST(EventLoopTest, StopWhileWaitingForSecrets) {
  WaitingLoop waiting(absl::Hours(1));
  FakeSupplier& supplier = waiting.supplier;
  EventLoop& loop = waiting.loop;
  loop.Upsert(TlsRoute("tls"));  // asked for before the first build, whichever batch it is in
  loop.Synced("test");
  ASSERT_TRUE(supplier.WaitForCalls(1));
  ASSERT_TRUE(loop.Flush(kGuard));
  loop.Stop();                   // would hang for an hour if the wait ignored Stop
  EXPECT_EQ(loop.builds(), 0u);  // the first build, too, waits for what was asked before it
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
