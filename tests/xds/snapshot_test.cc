// MakeSnapshot: versions that move only with the contents of their type, the two config-source
// variants, and the api_listeners for proxyless gRPC clients.
//
// An inconsistent result (the error path) cannot be made from manifests: translation derives
// every cluster and secret from the routes and hosts that name them. CheckConsistency's
// failures are tested on edited resources in consistency_test.cc.
#include "xds/snapshot.h"

#include <string>
#include <vector>

#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/xds/xds_test_util.h"

namespace contour::xds {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using xdstest::IngressYaml;
using xdstest::MustSnapshot;
using xdstest::ServiceYaml;
using xdstest::TlsIngressYaml;
using xdstest::TlsSecretYaml;

std::string Services() { return ServiceYaml("web") + ServiceYaml("api"); }

std::string IngressWithPath(const std::string& path) {
  return "---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: app, namespace: "
         "default}\nspec:\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n"
         "      - path: " +
         path + "\n        backend: {serviceName: web, servicePort: 80}\n";
}

std::vector<std::string> Keys(const ResourceMap& map) {
  std::vector<std::string> keys;
  for (const auto& [name, resource] : map) keys.push_back(name);
  return keys;
}

struct VersionCase {
  std::string name;
  std::string before;
  std::string after;
  std::vector<ResourceType> moved;
};

class SnapshotVersionTest : public testing::TestWithParam<VersionCase> {};

TEST_P(SnapshotVersionTest, MovesOnlyWithTheContents) {
  const VersionCase& c = GetParam();
  SnapshotPtr before = MustSnapshot(c.before, nullptr);
  ASSERT_NE(before, nullptr);
  SnapshotPtr after = MustSnapshot(c.after, before.get());
  ASSERT_NE(after, nullptr);
  for (ResourceType type : kAllResourceTypes) {
    if (type == ResourceType::kEndpoint) continue;
    const int index = static_cast<int>(type);
    const bool moved = std::find(c.moved.begin(), c.moved.end(), type) != c.moved.end();
    EXPECT_EQ(before->versions[index], "1") << ShortTypeName(type);
    EXPECT_EQ(after->versions[index], moved ? "2" : "1") << ShortTypeName(type);
  }
}

std::string Base() { return Services() + IngressYaml("app", "a.example.com", "web"); }

INSTANTIATE_TEST_SUITE_P(
    Changes, SnapshotVersionTest,
    testing::Values(
        VersionCase{"Identical", Base(), Base(), {}},
        VersionCase{"UnusedServiceAdded", Base(), Base() + ServiceYaml("idle"), {}},
        VersionCase{"PathChanged",
                    Services() + IngressWithPath("/"),
                    Services() + IngressWithPath("/v2"),
                    {ResourceType::kRoute}},
        VersionCase{"BackendChanged",
                    Base(),
                    Services() + IngressYaml("app", "a.example.com", "api"),
                    {ResourceType::kCluster, ResourceType::kRoute}},
        // A new host is a new api_listener as well as a new virtual host.
        VersionCase{"HostChanged",
                    Base(),
                    Services() + IngressYaml("app", "b.example.com", "web"),
                    {ResourceType::kListener, ResourceType::kRoute}},
        VersionCase{"TlsAdded",
                    Base(),
                    Services() + TlsIngressYaml("app", "a.example.com", "web", "tls") +
                        TlsSecretYaml("tls"),
                    {ResourceType::kListener, ResourceType::kRoute, ResourceType::kSecret}},
        VersionCase{"EverythingGone",
                    Base(),
                    Services(),
                    {ResourceType::kCluster, ResourceType::kListener, ResourceType::kRoute}}),
    [](const testing::TestParamInfo<VersionCase>& info) { return info.param.name; });

TEST(SnapshotTest, VersionsCountChangesAcrossAChain) {
  const std::vector<std::pair<std::string, std::string>> steps = {
      {Base(), "1"},
      {Services() + IngressYaml("app", "a.example.com", "api"), "2"},
      {Services() + IngressYaml("app", "a.example.com", "api"), "2"},
      {Base(), "3"},  // back to the first contents: still a new version
  };
  SnapshotPtr previous;
  for (const auto& [yaml, cds_version] : steps) {
    SnapshotPtr snapshot = MustSnapshot(yaml, previous.get());
    ASSERT_NE(snapshot, nullptr);
    EXPECT_EQ(snapshot->versions[static_cast<int>(ResourceType::kCluster)], cds_version);
    previous = snapshot;
  }
}

TEST(SnapshotTest, VariantsDifferOnlyInConfigSources) {
  SnapshotPtr snapshot = MustSnapshot(
      Services() + TlsIngressYaml("app", "a.example.com", "web", "tls") + TlsSecretYaml("tls"),
      nullptr);
  ASSERT_NE(snapshot, nullptr);
  constexpr int kPerType = static_cast<int>(StreamKind::kPerType);
  constexpr int kAds = static_cast<int>(StreamKind::kAggregated);
  EXPECT_THAT(Keys(*snapshot->listeners[kPerType]),
              ElementsAre("ingress_http", "ingress_https", "stats-health"));
  EXPECT_THAT(Keys(*snapshot->listeners[kAds]),
              ElementsAreArray(Keys(*snapshot->listeners[kPerType])));
  EXPECT_THAT(Keys(*snapshot->clusters[kAds]), ElementsAre(xdstest::ClusterName("web")));
  EXPECT_THAT(Keys(*snapshot->clusters[kPerType]), ElementsAre(xdstest::ClusterName("web")));
  EXPECT_THAT(Keys(*snapshot->secrets), testing::SizeIs(1));
  EXPECT_EQ(&snapshot->Resources(ResourceType::kRoute, StreamKind::kPerType),
            &snapshot->Resources(ResourceType::kRoute, StreamKind::kAggregated));

  // The ADS variant points everything at ads {}: EDS in clusters, RDS and SDS in listeners.
  const auto cluster_of = [&](int variant) {
    google::protobuf::Any any;
    EXPECT_TRUE(any.ParseFromString(snapshot->clusters[variant]->begin()->second->any_bytes));
    return xdstest::Unpack<envoy::config::cluster::v3::Cluster>(any);
  };
  EXPECT_TRUE(cluster_of(kAds).eds_cluster_config().eds_config().has_ads());
  EXPECT_TRUE(cluster_of(kPerType).eds_cluster_config().eds_config().has_api_config_source());
  const auto https_of = [&](int variant) {
    google::protobuf::Any any;
    EXPECT_TRUE(any.ParseFromString(snapshot->listeners[variant]->at("ingress_https")->any_bytes));
    return xdstest::Unpack<envoy::config::listener::v3::Listener>(any).DebugString();
  };
  EXPECT_THAT(https_of(kAds), testing::HasSubstr("ads {"));
  EXPECT_THAT(https_of(kAds), testing::Not(testing::HasSubstr("api_config_source")));
  EXPECT_THAT(https_of(kPerType), testing::Not(testing::HasSubstr("ads {")));
  EXPECT_THAT(https_of(kPerType), testing::HasSubstr("api_config_source"));
}

TEST(SnapshotTest, ApiListenersForNamedHostsOnly) {
  const std::string default_backend =
      "---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: fallback, "
      "namespace: default}\nspec:\n  backend: {serviceName: api, servicePort: 80}\n";
  SnapshotPtr snapshot =
      MustSnapshot(Services() + IngressYaml("app", "a.example.com", "web") +
                       IngressYaml("app2", "b.example.com", "web") + default_backend,
                   nullptr);
  ASSERT_NE(snapshot, nullptr);
  for (StreamKind kind : {StreamKind::kPerType, StreamKind::kAggregated}) {
    const ResourceMap& api = *snapshot->api_listeners[static_cast<int>(kind)];
    EXPECT_THAT(Keys(api), ElementsAre("a.example.com", "b.example.com"));
    google::protobuf::Any any;
    ASSERT_TRUE(any.ParseFromString(api.at("a.example.com")->any_bytes));
    const auto listener = xdstest::Unpack<envoy::config::listener::v3::Listener>(any);
    envoy::extensions::filters::network::http_connection_manager::v3::HttpConnectionManager hcm;
    ASSERT_TRUE(listener.api_listener().api_listener().UnpackTo(&hcm));
    EXPECT_EQ(hcm.rds().route_config_name(), "ingress_http");
    EXPECT_EQ(hcm.rds().config_source().has_ads(), kind == StreamKind::kAggregated);
    ASSERT_GT(hcm.http_filters_size(), 0);
    EXPECT_EQ(hcm.http_filters(hcm.http_filters_size() - 1).name(), "envoy.filters.http.router");
  }
  // Never in the wildcard set.
  EXPECT_FALSE(snapshot->listeners[0]->contains("a.example.com"));
}

TEST(SnapshotTest, EmptyDagStillServesTheStaticParts) {
  SnapshotPtr snapshot = MustSnapshot(Services(), nullptr);
  ASSERT_NE(snapshot, nullptr);
  EXPECT_THAT(Keys(*snapshot->listeners[0]), ElementsAre("stats-health"));
  EXPECT_THAT(Keys(*snapshot->routes), ElementsAre("ingress_http", "ingress_https"));
  EXPECT_THAT(Keys(*snapshot->clusters[0]), IsEmpty());
  EXPECT_THAT(Keys(*snapshot->secrets), IsEmpty());
  EXPECT_THAT(Keys(*snapshot->api_listeners[0]), IsEmpty());
  EXPECT_THAT(Keys(snapshot->Resources(ResourceType::kEndpoint, StreamKind::kPerType)), IsEmpty());
}

}  // namespace
}  // namespace contour::xds
