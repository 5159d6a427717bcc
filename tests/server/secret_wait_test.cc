// KubernetesSource feeding an EventLoop from the fake API server, builds made at once (no
// holdoff): a build never goes out while a TLS Secret it has just asked for is on its way. A new
// IngressRoute that references an existing Secret is valid in its first build; an Ingress whose
// secretName moves to another existing Secret keeps its host on TLS in every build; a Secret that
// is missing, or not TLS material, holds no build; a Secret that cannot be fetched holds builds
// for secret_wait only.
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "controller/event_loop.h"
#include "gtest/gtest.h"
#include "server/kubernetes_source.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/support/client_for_fake.h"

namespace contour::server {
namespace {

using testing::FakeApiServer;

constexpr absl::Duration kGuard = absl::Seconds(30);  // failure guard, never reached when passing

// What one build served, as the test looks at it.
struct Build {
  std::map<std::string, std::string> https_hosts;  // host → namespace/name of its Secret
  std::map<std::string, std::string> statuses;     // namespace/name → "status: description"
};

class RecordingOutputs : public controller::LoopOutputs {
 public:
  void OnBuild(const dag::Dag& dag) override {
    Build build;
    for (const auto& [name, vhost] : dag.https_hosts) {
      build.https_hosts[name] =
          vhost.secret == nullptr ? "" : vhost.secret->namespace_ + "/" + vhost.secret->name;
    }
    for (const dag::Status& status : dag.statuses) {
      build.statuses[status.namespace_ + "/" + status.name] =
          status.current_status + ": " + status.description;
    }
    absl::MutexLock lock(&mu_);
    builds_.push_back(std::move(build));
  }
  void OnEndpointsUpsert(const k8s::Endpoints&) override {}
  void OnEndpointsDelete(const std::string&, const std::string&) override {}

  std::vector<Build> builds() const {
    absl::MutexLock lock(&mu_);
    return builds_;
  }
  // True once a build after the first `after` satisfies `done`.
  template <typename Predicate>
  bool WaitForBuild(size_t after, Predicate done) const {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (size_t i = after; i < builds_.size(); ++i) {
        if (done(builds_[i])) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kGuard);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Build> builds_ ABSL_GUARDED_BY(mu_);
};

nlohmann::json Meta(const std::string& name) { return {{"namespace", "default"}, {"name", name}}; }

nlohmann::json Service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", Meta(name)},
          {"spec", {{"ports", {{{"name", "http"}, {"port", 80}}}}}}};
}

nlohmann::json TlsSecret(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", Meta(name)},
          {"type", "kubernetes.io/tls"},
          {"data",
           {{"tls.crt", absl::Base64Escape(dag::dagtest::Pem("rsa.crt"))},
            {"tls.key", absl::Base64Escape(dag::dagtest::Pem("rsa.key"))}}}};
}

nlohmann::json OpaqueSecret(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", Meta(name)},
          {"type", "Opaque"},
          {"data", {{"password", absl::Base64Escape("hunter2")}}}};
}

// IngressRoute default/<name>: the root of <name>.example.com over TLS with default/<secret>,
// routing to default/web:80.
nlohmann::json TlsRoute(const std::string& name, const std::string& secret) {
  return {{"apiVersion", "contour.heptio.com/v1beta1"},
          {"kind", "IngressRoute"},
          {"metadata", Meta(name)},
          {"spec",
           {{"virtualhost", {{"fqdn", name + ".example.com"}, {"tls", {{"secretName", secret}}}}},
            {"routes", {{{"match", "/"}, {"services", {{{"name", "web"}, {"port", 80}}}}}}}}}};
}

// Ingress default/secure: secure.example.com over TLS with default/<secret>, to default/web:80.
nlohmann::json TlsIngress(const std::string& secret) {
  nlohmann::json backend = {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}};
  return {{"apiVersion", "networking.k8s.io/v1"},
          {"kind", "Ingress"},
          {"metadata", Meta("secure")},
          {"spec",
           {{"tls", {{{"hosts", {"secure.example.com"}}, {"secretName", secret}}}},
            {"rules",
             {{{"host", "secure.example.com"},
               {"http",
                {{"paths", {{{"path", "/"}, {"pathType", "Prefix"}, {"backend", backend}}}}}}}}}}}};
}

constexpr char kValid[] = "valid: valid IngressRoute";

// The Secret (namespace/name) `host` is served with in `build`; "" when it is not on TLS.
std::string SecretOf(const Build& build, const std::string& host) {
  auto it = build.https_hosts.find(host);
  return it == build.https_hosts.end() ? "" : it->second;
}

// The status of IngressRoute default/<name> in `build`; "" when it has none.
std::string StatusOf(const Build& build, const std::string& name) {
  auto it = build.statuses.find("default/" + name);
  return it == build.statuses.end() ? "" : it->second;
}

std::string NotFound(const std::string& secret) {
  return "invalid: TLS Secret [" + secret + "] not found or is malformed";
}

class KubernetesSourceSecretWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::FakeAndClient made = testing::StartFakeWithClient();
    ASSERT_NE(made.client, nullptr);
    server_ = std::move(made.server);
    client_ = std::move(made.client);
    ASSERT_TRUE(server_->Create(Service("web")).ok());
  }

  // Starts the loop and the source; true once the first build is out.
  bool Start(absl::Duration secret_wait = absl::Hours(1)) {
    controller::EventLoopOptions options;
    options.sources = {KubernetesSource::kSourceName};
    // Every build at once: the holdoff would otherwise give a fetch time to arrive.
    options.holdoff = absl::ZeroDuration();
    options.max_delay = absl::ZeroDuration();
    options.secret_wait = secret_wait;
    loop_ = std::make_unique<controller::EventLoop>(dag::CacheConfig{}, dag::BuilderConfig{},
                                                    outputs_, options);
    KubernetesSourceOptions source_options;
    source_options.reflector.backoff = {absl::Milliseconds(2), absl::Milliseconds(40), 2.0, 1.0};
    source_ = std::make_unique<KubernetesSource>(*client_, *loop_, source_options);
    loop_->SetSecretSupplier(source_.get());
    loop_->Start();
    source_->Start();
    return loop_->WaitForBuilds(1, kGuard);
  }

  void TearDown() override {
    // The loop first: it calls the source; a stopped loop ignores what the source still sends.
    if (loop_) loop_->Stop();
    if (source_) source_->Stop();
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<k8s::CurlApiClient> client_;
  RecordingOutputs outputs_;
  std::unique_ptr<controller::EventLoop> loop_;
  std::unique_ptr<KubernetesSource> source_;
};

TEST_F(KubernetesSourceSecretWaitTest, NewIngressRouteIsValidInItsFirstBuild) {
  ASSERT_TRUE(Start());
  ASSERT_TRUE(server_->Create(TlsSecret("tls")).ok());
  // Known to the Secret watch (by name only: nothing wants it yet). There is no condition to
  // wait on from outside: spin (no sleep).
  const absl::Time deadline = absl::Now() + kGuard;
  while (source_->stats().forwarded.secrets_unwanted == 0 && absl::Now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(source_->stats().forwarded.secrets_unwanted, 1u);

  const size_t before = outputs_.builds().size();
  ASSERT_TRUE(server_->Create(TlsRoute("secure", "tls")).ok());
  ASSERT_TRUE(outputs_.WaitForBuild(
      before, [](const Build& build) { return build.statuses.contains("default/secure"); }));
  const std::vector<Build> builds = outputs_.builds();
  ASSERT_GT(builds.size(), before);
  // The first build after the IngressRoute is the one that has it, and it has it right.
  EXPECT_EQ(StatusOf(builds[before], "secure"), kValid);
  EXPECT_EQ(SecretOf(builds[before], "secure.example.com"), "default/tls");
  for (size_t i = before; i < builds.size(); ++i) {
    EXPECT_EQ(StatusOf(builds[i], "secure"), kValid) << "build " << i;
  }
  EXPECT_EQ(loop_->secret_waits_expired(), 0u);
}

// The Secret created just before the IngressRoute: the Secret watch may not have seen it when
// the IngressRoute asks for it, so the source asks the server rather than its watch.
TEST_F(KubernetesSourceSecretWaitTest, SecretCreatedJustBeforeIsValidInTheFirstBuild) {
  ASSERT_TRUE(Start());
  for (int i = 0; i < 5; ++i) {
    const std::string name = "r" + std::to_string(i);
    const size_t before = outputs_.builds().size();
    ASSERT_TRUE(server_->Create(TlsSecret(name)).ok());
    ASSERT_TRUE(server_->Create(TlsRoute(name, name)).ok());
    ASSERT_TRUE(outputs_.WaitForBuild(
        before, [&](const Build& build) { return build.statuses.contains("default/" + name); }));
    const std::vector<Build> builds = outputs_.builds();
    for (size_t b = before; b < builds.size(); ++b) {
      if (!builds[b].statuses.contains("default/" + name)) continue;
      EXPECT_EQ(StatusOf(builds[b], name), kValid) << name << ", build " << b;
    }
  }
  EXPECT_EQ(loop_->secret_waits_expired(), 0u);
}

TEST_F(KubernetesSourceSecretWaitTest, SwitchingSecretNameKeepsTheHostOnTls) {
  ASSERT_TRUE(server_->Create(TlsSecret("tls-a")).ok());
  ASSERT_TRUE(server_->Create(TlsSecret("tls-b")).ok());
  ASSERT_TRUE(server_->Create(TlsIngress("tls-a")).ok());
  ASSERT_TRUE(Start());
  for (int i = 0; i < 6; ++i) {
    const std::string secret = i % 2 == 0 ? "tls-b" : "tls-a";
    const size_t before = outputs_.builds().size();
    ASSERT_TRUE(server_->Update(TlsIngress(secret)).ok());
    ASSERT_TRUE(outputs_.WaitForBuild(before, [&](const Build& build) {
      return SecretOf(build, "secure.example.com") == "default/" + secret;
    })) << secret;
  }
  // Every build, the first included, served the host over TLS.
  const std::vector<Build> builds = outputs_.builds();
  for (size_t i = 0; i < builds.size(); ++i) {
    EXPECT_TRUE(builds[i].https_hosts.contains("secure.example.com")) << "build " << i;
  }
  EXPECT_EQ(loop_->secret_waits_expired(), 0u);
}

// With an hour's secret_wait, each build below would wait an hour if the source did not answer
// for what it cannot supply.
TEST_F(KubernetesSourceSecretWaitTest, MissingOrUnusableSecretsHoldNoBuild) {
  ASSERT_TRUE(server_->Create(TlsRoute("early", "missing-at-start")).ok());
  ASSERT_TRUE(Start());  // the first build did not wait for the Secret the list lacked
  EXPECT_EQ(StatusOf(outputs_.builds()[0], "early"), NotFound("missing-at-start"));

  // Asked of the server, which has none (404).
  size_t before = outputs_.builds().size();
  ASSERT_TRUE(server_->Create(TlsRoute("later", "missing-later")).ok());
  ASSERT_TRUE(outputs_.WaitForBuild(
      before, [](const Build& build) { return build.statuses.contains("default/later"); }));
  EXPECT_EQ(StatusOf(outputs_.builds()[before], "later"), NotFound("missing-later"));

  // Fetched, and not TLS material.
  ASSERT_TRUE(server_->Create(OpaqueSecret("opaque")).ok());
  before = outputs_.builds().size();
  ASSERT_TRUE(server_->Create(TlsRoute("opaque", "opaque")).ok());
  ASSERT_TRUE(outputs_.WaitForBuild(
      before, [](const Build& build) { return build.statuses.contains("default/opaque"); }));
  EXPECT_EQ(StatusOf(outputs_.builds()[before], "opaque"), NotFound("opaque"));

  EXPECT_EQ(loop_->secret_waits_expired(), 0u);
  EXPECT_GE(source_->stats().forwarded.secrets_absent, 2u);

  // A missing Secret that appears is sent (it is wanted), and the route becomes valid.
  before = outputs_.builds().size();
  ASSERT_TRUE(server_->Create(TlsSecret("missing-later")).ok());
  ASSERT_TRUE(outputs_.WaitForBuild(
      before, [](const Build& build) { return StatusOf(build, "later") == kValid; }));
}

// A Secret the server will not give (every fetch fails) holds builds for secret_wait, then the
// build goes out without it.
TEST_F(KubernetesSourceSecretWaitTest, UnfetchableSecretHoldsBuildsForSecretWaitOnly) {
  ASSERT_TRUE(server_->Create(TlsSecret("tls")).ok());
  ASSERT_TRUE(Start(absl::Milliseconds(300)));
  server_->FailRequests(500, 1000000, "/secrets/tls");
  const size_t before = outputs_.builds().size();
  ASSERT_TRUE(server_->Create(TlsRoute("secure", "tls")).ok());
  ASSERT_TRUE(outputs_.WaitForBuild(
      before, [](const Build& build) { return build.statuses.contains("default/secure"); }));
  EXPECT_EQ(StatusOf(outputs_.builds()[before], "secure"), NotFound("tls"));
  EXPECT_EQ(loop_->secret_waits_expired(), 1u);
}

}  // namespace
}  // namespace contour::server
