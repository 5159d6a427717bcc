// Two `contour serve` instances (in one process) with leader election against one fake API
// server: only the leader opens its xDS port and writes IngressRoute status; stopping it hands
// over to the other; with --xds-serve-mode=all both serve and still only the leader writes.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "k8s/yaml_to_json.h"
#include "server/contour_server.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/temp_dir.h"
#include "tests/xds/xds_test_client.h"

namespace contour::server {
namespace {

using testing::FakeApiServer;
using xds::xdstest::WaitUntil;

constexpr char kObjects[] = R"(---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports:
  - port: 80
---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: root, namespace: default}
spec:
  virtualhost: {fqdn: root.example.com}
  routes:
  - match: /
    services:
    - {name: web, port: 80}
)";

class ElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeApiServer>> started = FakeApiServer::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    api_ = *std::move(started);
    for (const k8s::YamlDocument& document : k8s::SplitYamlDocuments(kObjects)) {
      absl::StatusOr<nlohmann::json> json = k8s::YamlToJson(document);
      ASSERT_TRUE(json.ok()) << json.status();
      ASSERT_TRUE(api_->Create(*json).ok());
    }
    kubeconfig_ = dir_.Write("kubeconfig", api_->Kubeconfig());
  }

  std::unique_ptr<ContourServer> StartInstance(const std::string& lock,
                                               const std::string& mode = "leader") {
    config::ServeConfig config;
    config.kubeconfig = kubeconfig_;
    config.xds_port = 0;
    config.http_port = 0;
    config.debug_http_port = 0;
    config.insecure = true;
    config.leader_election.enabled = true;
    config.leader_election.lock = lock;
    config.leader_election.namespace_ = "heptio-contour";
    config.leader_election.lease_duration = absl::Seconds(3);
    config.leader_election.renew_deadline = absl::Seconds(2);
    config.leader_election.retry_period = absl::Milliseconds(300);
    config.xds_serve_mode = mode;
    absl::StatusOr<std::unique_ptr<ContourServer>> server = ContourServer::Start(config);
    EXPECT_TRUE(server.ok()) << server.status();
    return server.ok() ? *std::move(server) : nullptr;
  }

  static int Serving(const ContourServer& a, const ContourServer& b) {
    return (a.xds_port() != 0 ? 1 : 0) + (b.xds_port() != 0 ? 1 : 0);
  }

  std::string RouteStatus() const {
    std::optional<nlohmann::json> route =
        api_->Get("contour.heptio.com/v1beta1", "IngressRoute", "default", "root");
    if (!route.has_value() || !route->contains("status")) return "";
    return (*route)["status"].value("currentStatus", "");
  }

  std::unique_ptr<FakeApiServer> api_;
  testing::TempDir dir_;
  std::string kubeconfig_;
};

TEST_F(ElectionTest, OnlyTheLeaderServesAndWritesStatusAndAStopHandsOver) {
  for (const std::string lock : {"configmaps", "leases"}) {
    SCOPED_TRACE(lock);
    // No status yet (the first round wrote one).
    nlohmann::json route =
        api_->Get("contour.heptio.com/v1beta1", "IngressRoute", "default", "root").value();
    route.erase("status");
    ASSERT_TRUE(api_->Update(route).ok());
    std::unique_ptr<ContourServer> a = StartInstance(lock);
    std::unique_ptr<ContourServer> b = StartInstance(lock);
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(WaitUntil([&] { return Serving(*a, *b) == 1; }));
    ContourServer& leader = a->xds_port() != 0 ? *a : *b;
    ContourServer& follower = a->xds_port() != 0 ? *b : *a;
    EXPECT_TRUE(WaitUntil([&] { return RouteStatus() == "valid"; }));
    EXPECT_TRUE(leader.status_writer()->WaitForIdle(xds::xdstest::kWait));
    EXPECT_GE(leader.status_writer()->stats().writes, 1u);
    EXPECT_EQ(follower.status_writer()->stats().writes, 0u);
    // The follower keeps its cache warm: it has built what the leader serves.
    EXPECT_TRUE(WaitUntil([&] { return follower.loop().builds() >= 1; }));
    if (lock == "configmaps") {
      std::optional<nlohmann::json> record =
          api_->Get("v1", "ConfigMap", "heptio-contour", "contour");
      ASSERT_TRUE(record.has_value());
      EXPECT_TRUE((*record)["metadata"]["annotations"].contains(
          "control-plane.alpha.kubernetes.io/leader"));
    } else {
      std::optional<nlohmann::json> record =
          api_->Get("coordination.k8s.io/v1", "Lease", "heptio-contour", "contour");
      ASSERT_TRUE(record.has_value());
      EXPECT_FALSE((*record)["spec"].value("holderIdentity", "").empty());
    }

    // A graceful stop releases the lock: the other takes over.
    leader.Stop();
    EXPECT_TRUE(WaitUntil([&] { return follower.xds_port() != 0; }));
    a.reset();
    b.reset();
  }
}

TEST_F(ElectionTest, InServeModeAllEveryReplicaServesButOnlyTheLeaderWrites) {
  std::unique_ptr<ContourServer> a = StartInstance("leases", "all");
  std::unique_ptr<ContourServer> b = StartInstance("leases", "all");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(WaitUntil([&] { return Serving(*a, *b) == 2; }));
  EXPECT_TRUE(WaitUntil([&] { return RouteStatus() == "valid"; }));
  EXPECT_TRUE(WaitUntil([&] {
    return a->status_writer()->stats().writes + b->status_writer()->stats().writes >= 1;
  }));
  EXPECT_TRUE(a->status_writer()->stats().writes == 0 || b->status_writer()->stats().writes == 0);
}

}  // namespace
}  // namespace contour::server
