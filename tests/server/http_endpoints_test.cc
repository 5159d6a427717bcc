// `contour serve`'s HTTP endpoints, end to end: /metrics parsed by the strict text-format parser
// with Contour's IngressRoute gauges matching a golden case's statuses (counted here from the
// golden files, not by the code under test), label sets that vanish with their objects,
// /healthz with and without the Kubernetes API, and /debug/dag.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/contour_server.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/temp_dir.h"
#include "yaml-cpp/yaml.h"

namespace contour::server {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Labels = std::map<std::string, std::string>;
using Counts = std::map<Labels, double>;

constexpr absl::Duration kWait = absl::Seconds(60);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Answer {
  int status = 0;
  std::string body;
};

Answer Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30, 0);
  httplib::Result result = client.Get(path.c_str());
  if (!result) return {};
  return {result->status, result->body};
}

// Every series of `family` in a scrape, by labels.
Counts Series(const std::string& text, const std::string& family) {
  absl::StatusOr<testing::ParsedMetrics> parsed = testing::ParsePrometheusText(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << text;
  Counts counts;
  if (!parsed.ok()) return counts;
  const testing::ParsedFamily* found = parsed->Family(family);
  if (found == nullptr) return counts;
  for (const testing::ParsedSample& sample : found->samples) counts[sample.labels] = sample.value;
  return counts;
}

// Contour's rules for its gauges, applied to the golden files: statuses from expected.yaml,
// roots (objects with spec.virtualhost) from input.yaml.
struct Expected {
  Counts total, root, valid, invalid, orphaned;
};

Expected FromGolden(const std::string& dir) {
  Expected expected;
  const YAML::Node golden = YAML::LoadFile(dir + "/expected.yaml");
  for (const YAML::Node& status : golden["statuses"]) {
    if (status["kind"].as<std::string>() != "IngressRoute") continue;
    const std::string ns = status["namespace"].as<std::string>();
    const std::string current = status["currentStatus"].as<std::string>();
    const std::string vhost = status["vhost"].as<std::string>();
    expected.total[{{"namespace", ns}}]++;
    if (current == "valid") expected.valid[{{"namespace", ns}, {"vhost", vhost}}]++;
    if (current == "invalid") expected.invalid[{{"namespace", ns}, {"vhost", vhost}}]++;
    if (current == "orphaned") expected.orphaned[{{"namespace", ns}}]++;
  }
  for (const YAML::Node& object : YAML::LoadAllFromFile(dir + "/input.yaml")) {
    if (!object.IsMap() || !object["kind"] || object["kind"].as<std::string>() != "IngressRoute") {
      continue;
    }
    if (object["spec"] && object["spec"]["virtualhost"]) {
      expected.root[{{"namespace", object["metadata"]["namespace"].as<std::string>()}}]++;
    }
  }
  return expected;
}

config::ServeConfig LocalConfig() {
  config::ServeConfig config;
  config.xds_port = 0;
  config.http_address = "127.0.0.1";
  config.http_port = 0;
  config.debug_http_port = 0;
  config.insecure = true;
  return config;
}

class HttpEndpointsTest : public ::testing::Test {
 protected:
  void StartFromManifests(const std::string& file, std::vector<std::string> root_namespaces) {
    config::ServeConfig config = LocalConfig();
    config.manifest_paths = {file};
    config.ingressroute_root_namespaces = std::move(root_namespaces);
    absl::StatusOr<std::unique_ptr<ContourServer>> started = ContourServer::Start(config);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    ASSERT_GT(server_->http_port(), 0);
    ASSERT_GT(server_->debug_http_port(), 0);
  }

  std::string Scrape() {
    Answer answer = Get(server_->http_port(), "/metrics");
    EXPECT_EQ(answer.status, 200);
    return answer.body;
  }

  testing::TempDir dir_;
  std::unique_ptr<ContourServer> server_;
};

TEST_F(HttpEndpointsTest, IngressRouteGaugesMatchTheGoldenStatuses) {
  struct Case {
    std::string name;
    std::vector<std::string> root_namespaces;
  };
  const Case cases[] = {
      {"ingressroute-root-errors", {"roots", "more"}},
      {"ingressroute-delegation-tree", {}},
      {"ingressroute-delegation-cycles", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string golden = std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/golden/" + c.name;
    StartFromManifests(golden + "/input.yaml", c.root_namespaces);
    const Expected expected = FromGolden(golden);
    ASSERT_FALSE(expected.total.empty());
    const std::string text = Scrape();
    EXPECT_EQ(Series(text, "contour_ingressroute_total"), expected.total);
    EXPECT_EQ(Series(text, "contour_ingressroute_root_total"), expected.root);
    EXPECT_EQ(Series(text, "contour_ingressroute_valid_total"), expected.valid);
    EXPECT_EQ(Series(text, "contour_ingressroute_invalid_total"), expected.invalid);
    EXPECT_EQ(Series(text, "contour_ingressroute_orphaned_total"), expected.orphaned);
    const Counts rebuilt = Series(text, "contour_ingressroute_dagrebuild_timestamp");
    ASSERT_EQ(rebuilt.size(), 1u);
    EXPECT_GT(rebuilt.begin()->second, absl::ToUnixSeconds(absl::Now()) - 3600);
    const Counts updates = Series(text, "contour_cachehandler_onupdate_duration_seconds");
    EXPECT_GE(updates.at({{"quantile", "0.5"}}), 0);
    // Ours: the xDS server has published, nobody is connected, this instance acts alone.
    EXPECT_EQ(Series(text, "contour_xds_snapshots_total").at({}), 1);
    EXPECT_EQ(Series(text, "contour_dag_builds_total").at({}), 1);
    EXPECT_EQ(Series(text, "contour_secret_waits_expired_total").at({}), 0);
    EXPECT_EQ(Series(text, "contour_xds_streams").at({}), 0);
    EXPECT_EQ(Series(text, "contour_xds_nacks_total").size(), 5u);
    EXPECT_EQ(Series(text, "contour_leader").at({}), 1);
    EXPECT_EQ(Series(text, "process_open_fds").size(), 1u);
    server_.reset();
  }
}

TEST_F(HttpEndpointsTest, LabelSetsVanishWithTheirObjects) {
  const std::string golden =
      std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/golden/ingressroute-delegation-tree";
  const std::string file = dir_.Write("routes.yaml", ReadFile(golden + "/input.yaml"));
  StartFromManifests(file, {});
  ASSERT_TRUE(Series(Scrape(), "contour_ingressroute_total").contains({{"namespace", "blog"}}));

  // Every IngressRoute gone: each family keeps no series at all.
  dir_.Write("routes.yaml", "---\n");
  const absl::Time deadline = absl::Now() + kWait;
  while (!Series(Scrape(), "contour_ingressroute_total").empty() && absl::Now() < deadline) {
    server_->loop().WaitForBuilds(server_->loop().builds() + 1, absl::Milliseconds(200));
  }
  const std::string text = Scrape();
  for (const char* family :
       {"contour_ingressroute_total", "contour_ingressroute_root_total",
        "contour_ingressroute_valid_total", "contour_ingressroute_invalid_total",
        "contour_ingressroute_orphaned_total"}) {
    EXPECT_TRUE(Series(text, family).empty()) << family << "\n" << text;
  }
}

TEST_F(HttpEndpointsTest, HealthWithoutKubernetesAndTheDag) {
  const std::string golden =
      std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/golden/ingressroute-delegation-tree";
  StartFromManifests(golden + "/input.yaml", {});
  for (const char* path : {"/healthz", "/health"}) {
    Answer health = Get(server_->http_port(), path);
    EXPECT_EQ(health.status, 200) << path;
    EXPECT_EQ(health.body, "OK") << path;
  }
  EXPECT_EQ(Get(server_->http_port(), "/debug/dag").status, 404) << "debug is on its own port";
  Answer dag = Get(server_->debug_http_port(), "/debug/dag");
  EXPECT_EQ(dag.status, 200);
  EXPECT_THAT(dag.body, StartsWith("digraph DAG {\nrankdir=\"LR\"\n"));
  EXPECT_THAT(dag.body, HasSubstr("{http://tree.example.com}"));
  EXPECT_THAT(dag.body, HasSubstr("{httpservice|"));
  EXPECT_EQ(Get(server_->debug_http_port(), "/metrics").status, 404);
}

TEST_F(HttpEndpointsTest, AnHttpPortInUseStopsServe) {
  const std::string golden =
      std::string(CONTOUR_SOURCE_DIR) + "/tests/testdata/golden/ingressroute-delegation-tree";
  StartFromManifests(golden + "/input.yaml", {});
  config::ServeConfig config = LocalConfig();
  config.manifest_paths = {golden + "/input.yaml"};
  config.http_port = static_cast<uint32_t>(server_->http_port());
  absl::StatusOr<std::unique_ptr<ContourServer>> second = ContourServer::Start(config);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("127.0.0.1:" + std::to_string(server_->http_port())));
}

// Instances with leader election against a fake API server.
class HttpEndpointsKubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::FakeApiServerOptions options;
    options.contour_crds = true;
    absl::StatusOr<std::unique_ptr<testing::FakeApiServer>> api =
        testing::FakeApiServer::Start(options);
    ASSERT_TRUE(api.ok()) << api.status();
    api_ = *std::move(api);
  }

  // Renewal at three quarters of the lease, retries every 300 ms.
  config::ServeConfig ElectionConfig(absl::Duration lease) {
    config::ServeConfig config = LocalConfig();
    config.kubeconfig = dir_.Write("kubeconfig", api_->Kubeconfig());
    config.leader_election.enabled = true;
    config.leader_election.lease_duration = lease;
    config.leader_election.renew_deadline = lease * 3 / 4;
    config.leader_election.retry_period = absl::Milliseconds(300);
    return config;
  }

  std::unique_ptr<testing::FakeApiServer> api_;
  testing::TempDir dir_;
};

TEST_F(HttpEndpointsKubernetesTest, HealthAsksTheApiServerAndNamesTheLeader) {
  absl::StatusOr<std::unique_ptr<ContourServer>> server =
      ContourServer::Start(ElectionConfig(absl::Seconds(2)));
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->WaitForServing(kWait)) << "never led";
  const int port = (*server)->http_port();

  Answer health = Get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK leader");
  const std::string text = Get(port, "/metrics").body;
  EXPECT_EQ(Series(text, "contour_leader").at({}), 1);
  EXPECT_GE(Series(text, "contour_leader_elected_total").at({}), 1);
  EXPECT_EQ(Series(text, "contour_kubernetes_watch_restarts_total").size(), 1u);
  EXPECT_EQ(Series(text, "contour_status_writes_total").size(), 4u);

  // The API server answers 500 to the version check: Contour's failure answer.
  api_->FailRequests(500, 1, "/version");
  Answer failed = Get(port, "/healthz");
  EXPECT_EQ(failed.status, 503);
  EXPECT_THAT(failed.body, StartsWith("Failed Kubernetes Check: "));
}

TEST_F(HttpEndpointsKubernetesTest, AFollowerSaysSo) {
  // Long enough that the first leader keeps the lease for the whole test.
  const config::ServeConfig config = ElectionConfig(absl::Seconds(60));
  absl::StatusOr<std::unique_ptr<ContourServer>> leader = ContourServer::Start(config);
  ASSERT_TRUE(leader.ok()) << leader.status();
  ASSERT_TRUE((*leader)->WaitForServing(kWait)) << "never led";
  absl::StatusOr<std::unique_ptr<ContourServer>> follower = ContourServer::Start(config);
  ASSERT_TRUE(follower.ok()) << follower.status();
  const int port = (*follower)->http_port();
  // The follower has built (it watches and builds, to take over warm) and is not serving xDS.
  ASSERT_TRUE((*follower)->loop().WaitForBuilds(1, kWait));
  EXPECT_EQ((*follower)->xds_port(), 0);

  Answer health = Get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "OK follower");
  const std::string text = Get(port, "/metrics").body;
  EXPECT_EQ(Series(text, "contour_leader").at({}), 0);
  EXPECT_EQ(Series(text, "contour_leader_elected_total").at({}), 0);
  EXPECT_GE(Series(text, "contour_leader_transitions_total").at({}), 1) << "it saw the leader";
  EXPECT_EQ(Get((*leader)->http_port(), "/healthz").body, "OK leader");
}

}  // namespace
}  // namespace contour::server
