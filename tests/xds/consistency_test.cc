// CheckConsistency: what translate::Translate produces passes (every golden input, both config
// source modes, and a 10,000-route DAG); each kind of dangling reference or duplicate name, made
// by editing translated resources, fails with a message that names it.
#include "xds/consistency.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dag/builder.h"
#include "dag/cache.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/translate/proto_test_util.h"

namespace contour::xds {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using translate::ConfigSourceMode;
using translate::Resources;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Manifests → cache → DAG → resources, as `contour translate` does.
Resources TranslateObjects(const std::vector<k8s::Object>& objects, ConfigSourceMode mode) {
  dag::KubernetesCache cache(dag::CacheConfig{});
  dag::dagtest::Fill(cache, objects);
  translate::TranslateConfig config;
  config.config_source = mode;
  return translate::Translate(dag::Build(cache, dag::BuilderConfig{}), config);
}

std::vector<k8s::Object> Decode(const std::string& yaml, const std::string& source) {
  k8s::DecodeResult decoded = k8s::DecodeManifests(yaml, source);
  EXPECT_THAT(decoded.errors, ::testing::IsEmpty()) << source;
  return std::move(decoded.objects);
}

// Every golden input: realistic DAGs, including the ones with invalid objects left out.
std::vector<std::string> GoldenCases() {
  std::vector<std::string> names;
  const fs::path dir = fs::path(CONTOUR_SOURCE_DIR) / "tests/testdata/golden";
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (fs::exists(entry.path() / "input.yaml")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenConsistencyTest
    : public testing::TestWithParam<std::tuple<std::string, ConfigSourceMode>> {};

TEST_P(GoldenConsistencyTest, TranslationIsConsistent) {
  const auto& [name, mode] = GetParam();
  const fs::path input =
      fs::path(CONTOUR_SOURCE_DIR) / "tests/testdata/golden" / name / "input.yaml";
  // Some inputs hold malformed objects on purpose; the rest still make a snapshot.
  const k8s::DecodeResult decoded = k8s::DecodeManifests(ReadFile(input), input.string());
  const Resources resources = TranslateObjects(decoded.objects, mode);
  EXPECT_TRUE(CheckConsistency(resources).ok()) << CheckConsistency(resources);
}

INSTANTIATE_TEST_SUITE_P(
    Golden, GoldenConsistencyTest,
    testing::Combine(testing::ValuesIn(GoldenCases()),
                     testing::Values(ConfigSourceMode::kGrpcContour, ConfigSourceMode::kAds)),
    [](const testing::TestParamInfo<GoldenConsistencyTest::ParamType>& info) {
      std::string name = std::get<0>(info.param);
      std::replace(name.begin(), name.end(), '-', '_');
      return name + (std::get<1>(info.param) == ConfigSourceMode::kAds ? "_ads" : "_grpc");
    });

// One of each reference: an Ingress on ingress_http, a TLS IngressRoute with weighted routes and
// a TLS tcpproxy over two services (weighted clusters) on ingress_https, one secret.
constexpr char kShop[] = R"yaml(
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: plain, namespace: shop}
spec:
  rules:
  - host: plain.example.com
    http:
      paths:
      - backend: {serviceName: blue, servicePort: 80}
---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec:
  virtualhost:
    fqdn: web.example.com
    tls: {secretName: web-cert}
  routes:
  - match: /
    services:
    - {name: blue, port: 80, weight: 10}
    - {name: green, port: 80, weight: 90}
  - match: /blue
    services:
    - {name: blue, port: 80}
---
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: db, namespace: shop}
spec:
  virtualhost:
    fqdn: db.example.com
    tls: {secretName: web-cert}
  tcpproxy:
    services:
    - {name: db, port: 5432}
    - {name: replica, port: 5432}
---
apiVersion: v1
kind: Service
metadata: {name: blue, namespace: shop}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: green, namespace: shop}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: replica, namespace: shop}
spec:
  ports: [{port: 5432}]
)yaml";

Resources Shop() {
  std::vector<k8s::Object> objects = Decode(kShop, "shop.yaml");
  objects.push_back(dag::dagtest::TlsSecret("shop", "web-cert"));
  return TranslateObjects(objects, ConfigSourceMode::kGrpcContour);
}

TEST(ConsistencyTest, ShopIsConsistentAndHasEveryKindOfReference) {
  const Resources shop = Shop();
  EXPECT_TRUE(CheckConsistency(shop).ok()) << CheckConsistency(shop);
  // The rows below edit these; make sure they are there.
  ASSERT_EQ(shop.listeners.size(), 3u);  // ingress_http, ingress_https, stats-health
  ASSERT_EQ(shop.listeners[1].filter_chains_size(), 2);
  ASSERT_EQ(shop.routes.size(), 2u);
  ASSERT_EQ(shop.clusters.size(), 4u);
  ASSERT_EQ(shop.secrets.size(), 1u);
}

namespace hcm_v3 = envoy::extensions::filters::network::http_connection_manager::v3;
namespace tcp_v3 = envoy::extensions::filters::network::tcp_proxy::v3;

envoy::config::listener::v3::Listener& Listener(Resources& r, const std::string& name) {
  for (auto& listener : r.listeners) {
    if (listener.name() == name) return listener;
  }
  ADD_FAILURE() << "no listener " << name;
  return r.listeners.front();
}

// The typed_config of the first network filter of `name` on ingress_https.
google::protobuf::Any& HttpsFilter(Resources& r, const std::string& filter_name) {
  for (auto& chain : *Listener(r, "ingress_https").mutable_filter_chains()) {
    for (auto& filter : *chain.mutable_filters()) {
      if (filter.name() == filter_name) return *filter.mutable_typed_config();
    }
  }
  ADD_FAILURE() << "no filter " << filter_name;
  return *r.listeners.front().mutable_filter_chains(0)->mutable_filters(0)->mutable_typed_config();
}

void EditTcpProxy(Resources& r, const std::function<void(tcp_v3::TcpProxy&)>& edit) {
  google::protobuf::Any& any = HttpsFilter(r, "envoy.filters.network.tcp_proxy");
  tcp_v3::TcpProxy proxy;
  ASSERT_TRUE(any.UnpackTo(&proxy));
  edit(proxy);
  any.PackFrom(proxy);
}

envoy::config::route::v3::RouteAction& FirstAction(Resources& r, bool weighted) {
  for (auto& configuration : r.routes) {
    for (auto& vhost : *configuration.mutable_virtual_hosts()) {
      for (auto& route : *vhost.mutable_routes()) {
        if (route.has_route() && route.route().has_weighted_clusters() == weighted) {
          return *route.mutable_route();
        }
      }
    }
  }
  ADD_FAILURE() << "no route action, weighted: " << weighted;
  return *r.routes.front().mutable_virtual_hosts(0)->mutable_routes(0)->mutable_route();
}

template <typename T>
void Remove(std::vector<T>& resources, const std::string& name) {
  std::erase_if(resources, [&](const T& resource) { return resource.name() == name; });
}

struct EditCase {
  std::string name;
  std::function<void(Resources&)> edit;
  std::vector<std::string> want;  // substrings of the error message; empty: still consistent

  friend void PrintTo(const EditCase& c, std::ostream* os) { *os << c.name; }
};

class ConsistencyEditTest : public testing::TestWithParam<EditCase> {};

TEST_P(ConsistencyEditTest, Check) {
  Resources resources = Shop();
  GetParam().edit(resources);
  const absl::Status status = CheckConsistency(resources);
  if (GetParam().want.empty()) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  for (const std::string& want : GetParam().want) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(want));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rows, ConsistencyEditTest,
    testing::Values(
        EditCase{"Unchanged", [](Resources&) {}, {}},
        EditCase{"HttpRdsRouteMissing",
                 [](Resources& r) { Remove(r.routes, "ingress_http"); },
                 {"inconsistent snapshot: listener \"ingress_http\" names missing route "
                  "configuration \"ingress_http\""}},
        EditCase{"HttpsRdsRouteRenamed",
                 [](Resources& r) {
                   google::protobuf::Any& any =
                       HttpsFilter(r, "envoy.filters.network.http_connection_manager");
                   hcm_v3::HttpConnectionManager hcm;
                   ASSERT_TRUE(any.UnpackTo(&hcm));
                   hcm.mutable_rds()->set_route_config_name("elsewhere");
                   any.PackFrom(hcm);
                 },
                 {"listener \"ingress_https\" names missing route configuration \"elsewhere\""}},
        EditCase{"InlineRouteConfigNeedsNoRds",
                 [](Resources& r) {
                   // stats-health's HCM carries its routes inline; an HTTP one may too.
                   google::protobuf::Any& any = *Listener(r, "ingress_http")
                                                     .mutable_filter_chains(0)
                                                     ->mutable_filters(0)
                                                     ->mutable_typed_config();
                   hcm_v3::HttpConnectionManager hcm;
                   ASSERT_TRUE(any.UnpackTo(&hcm));
                   *hcm.mutable_route_config() = r.routes[0];
                   any.PackFrom(hcm);
                   Remove(r.routes, "ingress_http");
                 },
                 {}},
        EditCase{"RouteClusterMissing",
                 [](Resources& r) { FirstAction(r, false).set_cluster("shop/gone/80/da39a3ee5e"); },
                 {"names missing cluster \"shop/gone/80/da39a3ee5e\"", "route configuration \""}},
        EditCase{"WeightedRouteClusterMissing",
                 [](Resources& r) {
                   FirstAction(r, true).mutable_weighted_clusters()->mutable_clusters(1)->set_name(
                       "shop/gone/80/da39a3ee5e");
                 },
                 {"route configuration \"ingress_https\" (virtual host \"web.example.com\") names "
                  "missing cluster \"shop/gone/80/da39a3ee5e\""}},
        EditCase{"MirrorClusterMissing",
                 [](Resources& r) {
                   FirstAction(r, false).add_request_mirror_policies()->set_cluster("mirror");
                 },
                 {"names missing cluster \"mirror\""}},
        EditCase{"ClusterRemovedUnderWeightedRoutes",
                 [](Resources& r) { Remove(r.clusters, "shop/green/80/da39a3ee5e"); },
                 {"names missing cluster \"shop/green/80/da39a3ee5e\""}},
        EditCase{"TcpProxyClusterMissing",
                 [](Resources& r) {
                   EditTcpProxy(r, [](tcp_v3::TcpProxy& proxy) {
                     proxy.clear_weighted_clusters();
                     proxy.set_cluster("shop/gone/5432/da39a3ee5e");
                   });
                 },
                 {"inconsistent snapshot: listener \"ingress_https\" names missing cluster "
                  "\"shop/gone/5432/da39a3ee5e\""}},
        EditCase{"TcpProxyWeightedClusterMissing",
                 [](Resources& r) { Remove(r.clusters, "shop/replica/5432/da39a3ee5e"); },
                 {"inconsistent snapshot: listener \"ingress_https\" names missing cluster "
                  "\"shop/replica/5432/da39a3ee5e\""}},
        EditCase{"SecretMissing",
                 [](Resources& r) { r.secrets.clear(); },
                 // Both secure filter chains name it: two problems, both shown.
                 {"inconsistent snapshot: listener \"ingress_https\" names missing secret "
                  "\"shop/web-cert/",
                  "; listener \"ingress_https\" names missing secret \"shop/web-cert/"}},
        EditCase{"DuplicateListener",
                 [](Resources& r) { r.listeners.push_back(r.listeners[0]); },
                 {"inconsistent snapshot: duplicate listener name \"ingress_http\""}},
        EditCase{"DuplicateRouteConfiguration",
                 [](Resources& r) { r.routes.push_back(r.routes[1]); },
                 {"duplicate route configuration name \"ingress_https\""}},
        EditCase{"DuplicateCluster",
                 [](Resources& r) { r.clusters.push_back(r.clusters[0]); },
                 {"duplicate cluster name \"shop/blue/80/da39a3ee5e\""}},
        EditCase{"DuplicateSecret",
                 [](Resources& r) { r.secrets.push_back(r.secrets[0]); },
                 {"duplicate secret name \"shop/web-cert/"}},
        EditCase{"UnreadableFilter",
                 [](Resources& r) {
                   HttpsFilter(r, "envoy.filters.network.tcp_proxy").set_value("\xff\xff\xff");
                 },
                 {"listener \"ingress_https\" has an unreadable filter "
                  "\"envoy.filters.network.tcp_proxy\""}},
        EditCase{"ManyProblemsShowFive",
                 [](Resources& r) { r.clusters.clear(); },
                 // blue (plain, web /, web /blue), green, db, replica: more than five.
                 {"inconsistent snapshot (", " problems, first 5): "}}),
    [](const testing::TestParamInfo<EditCase>& info) { return info.param.name; });

TEST(ConsistencyTest, ShowsAtMostFiveProblems) {
  Resources resources = Shop();
  resources.clusters.clear();
  const std::string message(CheckConsistency(resources).message());
  size_t shown = 0;
  for (size_t at = message.find("names missing"); at != std::string::npos;
       at = message.find("names missing", at + 1)) {
    ++shown;
  }
  EXPECT_EQ(shown, 5u) << message;
}

TEST(ConsistencyTest, EmptySnapshotIsConsistent) {
  EXPECT_TRUE(CheckConsistency(Resources{}).ok());
}

// The size the check must stay fast at: 1,000 hosts of 10 routes on each listener, 100 secure
// hosts each with its own secret.
TEST(ConsistencyTest, TenThousandRoutesAreConsistent) {
  dag::Dag dag;
  for (int host = 0; host < 1000; ++host) {
    const std::string name = absl::StrCat("host", host, ".example.com");
    dag::VirtualHost& vhost = dag.http_hosts[name];
    vhost.name = name;
    for (int path = 0; path < 10; ++path) {
      dag::Route route;
      route.path = absl::StrCat("/p", path);
      route.clusters = {translate::test_util::MakeCluster(
          translate::test_util::MakeService("ns", absl::StrCat("svc", host * 10 + path), 80))};
      vhost.routes[absl::StrCat("prefix:", route.path)] = route;
    }
    if (host < 100) {
      dag::SecureVirtualHost& secure = dag.https_hosts[name];
      secure.host = vhost;
      secure.secret = std::make_shared<dag::Secret>(
          dag::Secret{"ns", absl::StrCat("tls", host), "cert", "key"});
    }
  }
  const Resources resources = translate::Translate(dag, translate::TranslateConfig{});
  ASSERT_EQ(resources.clusters.size(), 10000u);
  ASSERT_EQ(resources.secrets.size(), 100u);
  EXPECT_TRUE(CheckConsistency(resources).ok()) << CheckConsistency(resources);

  Resources broken = resources;
  broken.clusters.pop_back();
  EXPECT_FALSE(CheckConsistency(broken).ok());
}

}  // namespace
}  // namespace contour::xds
