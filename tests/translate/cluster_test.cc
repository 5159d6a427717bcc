#include "translate/cluster.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"
#include "translate/names.h"

namespace contour::translate {
namespace {

using test_util::EqualsProto;
using test_util::MakeCluster;
using test_util::MakeService;
using test_util::ParseText;
namespace cluster_v3 = envoy::config::cluster::v3;

constexpr char kGrpcContourSource[] = R"pb(
  api_config_source {
    api_type: GRPC
    transport_api_version: V3
    grpc_services { envoy_grpc { cluster_name: "contour" } }
  }
  resource_api_version: V3
)pb";

// The fields every EDS cluster for default/kuard:80 (port name "http") has.
std::string KuardCluster(const std::string& name, const std::string& extra) {
  return "name: \"" + name + "\"\n" +
         R"pb(alt_stat_name: "default_kuard_80"
              type: EDS
              eds_cluster_config { eds_config {)pb" +
         kGrpcContourSource + R"pb(}
                                   service_name: "default/kuard/http"
              }
              connect_timeout { nanos: 250000000 }
              common_lb_config { healthy_panic_threshold {} }
         )pb" +
         extra;
}

std::shared_ptr<dag::Service> KuardService() {
  auto service = std::make_shared<dag::Service>();
  service->namespace_ = "default";
  service->name = "kuard";
  service->port = 80;
  service->port_name = "http";
  return service;
}

dag::Cluster WithService(std::shared_ptr<dag::Service> service) {
  return MakeCluster(std::move(service));
}

struct ClusterRow {
  std::string name;
  dag::Cluster cluster;
  std::string want;  // text format Cluster
};

TEST(ClusterTest, Table) {
  std::vector<ClusterRow> rows;
  rows.push_back({"plain EDS", WithService(KuardService()),
                  KuardCluster("default/kuard/80/da39a3ee5e", "lb_policy: ROUND_ROBIN")});
  for (const auto& [strategy, policy] :
       std::vector<std::pair<std::string, std::string>>{{"RoundRobin", "ROUND_ROBIN"},
                                                        {"WeightedLeastRequest", "LEAST_REQUEST"},
                                                        {"Random", "RANDOM"},
                                                        {"Cookie", "RING_HASH"}}) {
    dag::Cluster cluster = WithService(KuardService());
    cluster.load_balancer_strategy = strategy;
    rows.push_back({"strategy " + strategy, cluster,
                    KuardCluster("default/kuard/80/" + Sha1Hex(strategy).substr(0, 10),
                                 "lb_policy: " + policy)});
  }
  {
    auto service = KuardService();
    service->port_name = "";
    auto cluster = WithService(service);
    auto want = KuardCluster("default/kuard/80/da39a3ee5e", "");
    want.replace(want.find("default/kuard/http"), 18, "default/kuard");
    rows.push_back({"unnamed port", cluster, want});
  }
  {
    auto service = KuardService();
    service->protocol = dag::UpstreamProtocol::kH2c;
    rows.push_back(
        {"h2c", WithService(service), KuardCluster("default/kuard/80/da39a3ee5e", R"pb(
           typed_extension_protocol_options {
             key: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
             value {
               [type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions] {
                 explicit_http_config { http2_protocol_options {} }
               }
             }
           })pb")});
  }
  {
    auto service = KuardService();
    service->protocol = dag::UpstreamProtocol::kH2;
    rows.push_back(
        {"h2", WithService(service), KuardCluster("default/kuard/80/da39a3ee5e", R"pb(
           typed_extension_protocol_options {
             key: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
             value {
               [type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions] {
                 explicit_http_config { http2_protocol_options {} }
               }
             }
           }
           transport_socket {
             name: "envoy.transport_sockets.tls"
             typed_config {
               [type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext] {
                 common_tls_context { alpn_protocols: "h2" }
               }
             }
           })pb")});
  }
  {
    auto service = KuardService();
    service->protocol = dag::UpstreamProtocol::kTls;
    rows.push_back(
        {"tls", WithService(service), KuardCluster("default/kuard/80/da39a3ee5e", R"pb(
           transport_socket {
             name: "envoy.transport_sockets.tls"
             typed_config {
               [type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext] {
                 common_tls_context {}
               }
             }
           })pb")});
  }
  {
    auto service = KuardService();
    service->protocol = dag::UpstreamProtocol::kTls;
    auto cluster = WithService(service);
    cluster.validation = dag::UpstreamValidation{"ca", "-----CA-----", "backend.example.com"};
    rows.push_back(
        {"tls with validation", cluster,
         KuardCluster("default/kuard/80/" + Sha1Hex("cabackend.example.com").substr(0, 10), R"pb(
           transport_socket {
             name: "envoy.transport_sockets.tls"
             typed_config {
               [type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext] {
                 common_tls_context {
                   validation_context {
                     trusted_ca { inline_bytes: "-----CA-----" }
                     match_typed_subject_alt_names {
                       san_type: DNS
                       matcher { exact: "backend.example.com" }
                     }
                   }
                 }
               }
             }
           })pb")});
  }
  {
    // Validation applies only to TLS upstreams (it still changes the name).
    auto cluster = WithService(KuardService());
    cluster.validation = dag::UpstreamValidation{"ca", "-----CA-----", "backend.example.com"};
    rows.push_back(
        {"validation on plaintext is ignored", cluster,
         KuardCluster("default/kuard/80/" + Sha1Hex("cabackend.example.com").substr(0, 10), "")});
  }
  {
    auto service = KuardService();
    service->circuit_breakers.max_connections = 9000;
    service->circuit_breakers.max_retries = 7;
    rows.push_back({"circuit breakers only non-zero fields", WithService(service),
                    KuardCluster("default/kuard/80/da39a3ee5e", R"pb(
                      circuit_breakers {
                        thresholds {
                          max_connections { value: 9000 }
                          max_retries { value: 7 }
                        }
                      })pb")});
  }
  {
    auto service = KuardService();
    service->circuit_breakers = dag::CircuitBreakers{1, 2, 3, 4};
    rows.push_back({"all circuit breakers", WithService(service),
                    KuardCluster("default/kuard/80/da39a3ee5e", R"pb(
                      circuit_breakers {
                        thresholds {
                          max_connections { value: 1 }
                          max_pending_requests { value: 2 }
                          max_requests { value: 3 }
                          max_retries { value: 4 }
                        }
                      })pb")});
  }
  {
    auto cluster = WithService(KuardService());
    dag::HealthCheck hc;
    hc.path = "/healthz";
    cluster.health_check = hc;
    rows.push_back({"health check defaults", cluster,
                    KuardCluster("default/kuard/80/" + Sha1Hex("/healthz").substr(0, 10), R"pb(
                      health_checks {
                        timeout { seconds: 2 }
                        interval { seconds: 10 }
                        unhealthy_threshold { value: 3 }
                        healthy_threshold { value: 2 }
                        http_health_check { path: "/healthz" host: "contour-envoy-healthcheck" }
                      }
                      ignore_health_on_host_removal: true)pb")});
  }
  {
    auto cluster = WithService(KuardService());
    dag::HealthCheck hc;
    hc.path = "/ready";
    hc.host = "ready.example.com";
    hc.interval_seconds = hc.given_interval_seconds = 5;
    hc.timeout_seconds = hc.given_timeout_seconds = 30;
    hc.unhealthy_threshold = hc.given_unhealthy_threshold = 4;
    hc.healthy_threshold = hc.given_healthy_threshold = 1;
    cluster.health_check = hc;
    rows.push_back({"health check values", cluster,
                    KuardCluster("default/kuard/80/" + Sha1Hex("30s5s41/ready").substr(0, 10), R"pb(
                      health_checks {
                        timeout { seconds: 30 }
                        interval { seconds: 5 }
                        unhealthy_threshold { value: 4 }
                        healthy_threshold { value: 1 }
                        http_health_check { path: "/ready" host: "ready.example.com" }
                      }
                      ignore_health_on_host_removal: true)pb")});
  }
  {
    auto service = KuardService();
    service->external_name = "foo.io";
    rows.push_back(
        {"external name", WithService(service),
         R"pb(name: "default/kuard/80/da39a3ee5e"
              alt_stat_name: "default_kuard_80"
              type: STRICT_DNS
              load_assignment {
                cluster_name: "default/kuard/http"
                endpoints {
                  lb_endpoints {
                    endpoint { address { socket_address { address: "foo.io" port_value: 80 } } }
                  }
                }
              }
              connect_timeout { nanos: 250000000 }
              common_lb_config { healthy_panic_threshold {} }
         )pb"});
  }
  for (const auto& row : rows) {
    EXPECT_THAT(Cluster(row.cluster, ConfigSourceMode::kGrpcContour),
                EqualsProto(ParseText<cluster_v3::Cluster>(row.want)))
        << row.name;
  }
}

TEST(ClusterTest, AdsConfigSource) {
  const auto cluster = Cluster(WithService(KuardService()), ConfigSourceMode::kAds);
  EXPECT_THAT(cluster.eds_cluster_config().eds_config(),
              EqualsProto(ParseText<envoy::config::core::v3::ConfigSource>(
                  R"pb(ads {}
                       resource_api_version: V3)pb")));
}

TEST(LbPolicyTest, RetiredAndUnknownStrategiesRoundRobin) {
  for (const std::string strategy : {"", "unknown", "RingHash", "Maglev"}) {
    EXPECT_EQ(LbPolicy(strategy), cluster_v3::Cluster::ROUND_ROBIN) << strategy;
  }
}

TEST(ClustersTest, UniqueSortedAndFromEveryRouteAndTcpProxy) {
  dag::Dag dag;
  auto kuard = MakeService("default", "kuard", 80);
  auto nginx = MakeService("default", "nginx", 80);
  auto tcp = MakeService("default", "tcp", 443);
  dag::Route route;
  route.path = "/";
  route.clusters = {MakeCluster(nginx), MakeCluster(kuard)};
  dag.http_hosts["a"].name = "a";
  dag.http_hosts["a"].routes["prefix:/"] = route;
  dag.http_hosts["b"].name = "b";
  dag.http_hosts["b"].routes["prefix:/"] = route;
  dag::SecureVirtualHost secure;
  secure.host.name = "c";
  secure.tcp_proxy = dag::TcpProxy{{MakeCluster(tcp), MakeCluster(kuard, 0, "Random")}};
  dag.https_hosts["c"] = secure;

  std::vector<std::string> names;
  for (const auto& cluster : Clusters(dag, ConfigSourceMode::kGrpcContour)) {
    names.push_back(cluster.name());
  }
  EXPECT_THAT(names,
              ::testing::ElementsAre("default/kuard/80/58d888c08a", "default/kuard/80/da39a3ee5e",
                                     "default/nginx/80/da39a3ee5e", "default/tcp/443/da39a3ee5e"));
}

}  // namespace
}  // namespace contour::translate
