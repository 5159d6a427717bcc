// The whole pipeline from a (fake) Kubernetes API server: `contour serve --kubeconfig` opens its
// xDS port only once every kind is listed and built, serves what the objects say (the TLS Secret
// an Ingress references included), follows changes, and writes IngressRoute status back.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "k8s/yaml_to_json.h"
#include "server/contour_server.h"
#include "tests/support/fake_apiserver.h"
#include "tests/support/temp_dir.h"
#include "tests/xds/xds_test_client.h"
#include "tests/xds/xds_test_util.h"

namespace contour::server {
namespace {

using testing::FakeApiServer;
using testing::FakeApiServerOptions;
using namespace xds::xdstest;  // NOLINT: the xDS test vocabulary

constexpr char kRoutes[] = R"(---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: root, namespace: default}
spec:
  virtualhost: {fqdn: root.example.com}
  routes:
  - match: /
    services:
    - {name: web, port: 80}
---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: stray, namespace: default}
spec:
  routes:
  - match: /
    services:
    - {name: web, port: 80}
)";

void CreateAll(FakeApiServer& server, const std::string& yaml) {
  for (const k8s::YamlDocument& document : k8s::SplitYamlDocuments(yaml)) {
    absl::StatusOr<nlohmann::json> json = k8s::YamlToJson(document);
    ASSERT_TRUE(json.ok()) << json.status();
    absl::StatusOr<nlohmann::json> created = server.Create(*json);
    ASSERT_TRUE(created.ok()) << created.status();
  }
}

std::string StatusOf(const FakeApiServer& server, const std::string& name) {
  std::optional<nlohmann::json> route =
      server.Get("contour.heptio.com/v1beta1", "IngressRoute", "default", name);
  if (!route.has_value() || !route->contains("status")) return "";
  return (*route)["status"].value("currentStatus", "");
}

TEST(ContourServerKubernetesTest, ServesWhatTheApiServerHoldsAndWritesStatus) {
  FakeApiServerOptions options;
  options.tls = true;
  options.token = "secret-token";
  options.ingress_versions = {"extensions/v1beta1"};
  absl::StatusOr<std::unique_ptr<FakeApiServer>> started = FakeApiServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  FakeApiServer& api = **started;
  CreateAll(api, ServiceYaml("web") + EndpointsYaml("web", {"10.0.0.1"}) + TlsSecretYaml("tls") +
                     TlsIngressYaml("secure", "secure.example.com", "web", "tls") + kRoutes);
  // Unrelated Secrets: neither kept nor served.
  CreateAll(api, TlsSecretYaml("unused"));

  testing::TempDir dir;
  config::ServeConfig config;
  config.kubeconfig = dir.Write("kubeconfig", api.Kubeconfig());
  config.xds_port = 0;
  config.http_port = 0;
  config.debug_http_port = 0;
  config.insecure = true;
  absl::StatusOr<std::unique_ptr<ContourServer>> server = ContourServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->WaitForServing(kWait));
  ASSERT_NE((*server)->kubernetes(), nullptr);
  EXPECT_TRUE((*server)->kubernetes()->synced());

  XdsTestClient client(NewChannel((*server)->xds_port()));
  std::unique_ptr<SotwStream> clusters = client.PerType(kCds);
  clusters->Send(Request(kCds, {}));
  std::optional<discovery_v3::DiscoveryResponse> cds = clusters->Next();
  ASSERT_TRUE(cds.has_value());
  EXPECT_EQ(Join(Names(*cds)), ClusterName("web"));

  // The first build already had the Secret the Ingress references: the TLS listener and the
  // secret are there, the unused Secret is not.
  std::unique_ptr<SotwStream> secrets = client.PerType(kSds);
  secrets->Send(Request(kSds, {}));
  std::optional<discovery_v3::DiscoveryResponse> sds = secrets->Next();
  ASSERT_TRUE(sds.has_value());
  ASSERT_EQ(Names(*sds).size(), 1u);
  EXPECT_NE(Names(*sds)[0].find("default/tls/"), std::string::npos) << Names(*sds)[0];

  // Status goes back to the API server.
  EXPECT_TRUE(WaitUntil([&] { return StatusOf(api, "root") == "valid"; }));
  EXPECT_TRUE(WaitUntil([&] { return StatusOf(api, "stray") == "orphaned"; }));

  // A change on the server reaches the xDS client.
  clusters->Send(Answer(*cds, {}, cds->version_info()));
  CreateAll(api, ServiceYaml("other") + IngressYaml("other", "other.example.com", "other"));
  std::optional<discovery_v3::DiscoveryResponse> updated = clusters->Next();
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(Join(Names(*updated)), ClusterName("other") + "," + ClusterName("web"));

  // The status writes were not repeated by later builds.
  EXPECT_TRUE((*server)->status_writer()->WaitForIdle(kWait));
  EXPECT_EQ((*server)->status_writer()->stats().writes, 2u);
  (*server)->Stop();
}

TEST(ContourServerKubernetesTest, ServesNothingUntilTheApiServerAnswers) {
  absl::StatusOr<std::unique_ptr<FakeApiServer>> started = FakeApiServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  FakeApiServer& api = **started;
  CreateAll(api, ServiceYaml("web"));
  api.SetStalled(true);

  testing::TempDir dir;
  config::ServeConfig config;
  config.kubeconfig = dir.Write("kubeconfig", api.Kubeconfig());
  config.xds_port = 0;
  config.http_port = 0;
  config.debug_http_port = 0;
  config.insecure = true;
  absl::StatusOr<std::unique_ptr<ContourServer>> server = ContourServer::Start(config);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(api.WaitForRequests(1, kWait));  // it is asking, and hears nothing
  EXPECT_EQ((*server)->xds_port(), 0);
  api.SetStalled(false);
  ASSERT_TRUE((*server)->WaitForServing(kWait));
  EXPECT_NE((*server)->xds_port(), 0);
  (*server)->Stop();
}

TEST(ContourServerKubernetesTest, ABadKubeconfigIsAnError) {
  testing::TempDir dir;
  config::ServeConfig config;
  config.kubeconfig = dir.Write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\n");
  config.insecure = true;
  absl::StatusOr<std::unique_ptr<ContourServer>> server = ContourServer::Start(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("kubeconfig"), absl::string_view::npos)
      << server.status();
}

}  // namespace
}  // namespace contour::server
