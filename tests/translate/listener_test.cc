#include "translate/listener.h"

#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"
#include "translate/http_connection_manager.h"
#include "translate/stats_listener.h"
#include "translate/tcp_proxy.h"

namespace contour::translate {
namespace {

using test_util::EqualsProto;
using test_util::MakeCluster;
using test_util::MakeService;
using test_util::ParseText;
namespace listener_v3 = envoy::config::listener::v3;
namespace hcm = envoy::extensions::filters::network::http_connection_manager::v3;

constexpr char kHcmType[] =
    "type.googleapis.com/"
    "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

// Contour's HCM for $ROUTE, logging to $LOG, RDS from $SOURCE.
constexpr char kHcmTemplate[] = R"pb(
  stat_prefix: "$ROUTE"
  rds { route_config_name: "$ROUTE" config_source { $SOURCE } }
  http_filters {
    name: "envoy.filters.http.compressor"
    typed_config {
      [type.googleapis.com/envoy.extensions.filters.http.compressor.v3.Compressor] {
        compressor_library {
          name: "envoy.compression.gzip.compressor"
          typed_config {
            [type.googleapis.com/envoy.extensions.compression.gzip.compressor.v3.Gzip] {}
          }
        }
      }
    }
  }
  http_filters {
    name: "envoy.filters.http.grpc_web"
    typed_config {
      [type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWeb] {}
    }
  }
  http_filters {
    name: "envoy.filters.http.router"
    typed_config {
      [type.googleapis.com/envoy.extensions.filters.http.router.v3.Router] {}
    }
  }
  http_protocol_options { accept_http_10: true }
  access_log {
    name: "envoy.access_loggers.file"
    typed_config {
      [type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog] { path: "$LOG" }
    }
  }
  use_remote_address { value: true }
  normalize_path { value: true }
  common_http_protocol_options { idle_timeout { seconds: 60 } }
  preserve_external_request_id: true
)pb";

constexpr char kGrpcSource[] =
    R"pb(api_config_source {
           api_type: GRPC
           transport_api_version: V3
           grpc_services { envoy_grpc { cluster_name: "contour" } }
         }
         resource_api_version: V3)pb";
constexpr char kAdsSource[] = R"pb(ads {}
                                   resource_api_version: V3)pb";

std::string Hcm(const std::string& route, const std::string& log, const std::string& source) {
  return absl::StrReplaceAll(kHcmTemplate, {{"$ROUTE", route}, {"$LOG", log}, {"$SOURCE", source}});
}

std::string HcmFilter(const std::string& route, const std::string& log,
                      const std::string& source = kGrpcSource) {
  return std::string("name: \"envoy.filters.network.http_connection_manager\" typed_config { [") +
         kHcmType + "] {" + Hcm(route, log, source) + "} }";
}

constexpr char kCiphers[] = R"pb(
  cipher_suites: "[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]"
  cipher_suites: "[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]"
  cipher_suites: "ECDHE-ECDSA-AES128-SHA"
  cipher_suites: "ECDHE-RSA-AES128-SHA"
  cipher_suites: "ECDHE-ECDSA-AES256-GCM-SHA384"
  cipher_suites: "ECDHE-RSA-AES256-GCM-SHA384"
  cipher_suites: "ECDHE-ECDSA-AES256-SHA"
  cipher_suites: "ECDHE-RSA-AES256-SHA"
)pb";

// The downstream TLS transport socket for a secret, minimum version and ALPN list.
std::string DownstreamTls(const std::string& secret, const std::string& min_version,
                          const std::string& alpn) {
  return std::string(
             R"pb(transport_socket {
                    name: "envoy.transport_sockets.tls"
                    typed_config {
                      [type.googleapis.com/
                       envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext] {
                        common_tls_context { tls_params { tls_minimum_protocol_version:)pb") +
         min_version + " tls_maximum_protocol_version: TLSv1_3 " + kCiphers +
         "} tls_certificate_sds_secret_configs { name: \"" + secret + "\" sds_config {" +
         kGrpcSource + "} } " + alpn + "} } } }";
}

constexpr char kH2Alpn[] = R"pb(alpn_protocols: "h2" alpn_protocols: "http/1.1")pb";

constexpr char kTlsInspector[] = R"pb(
  listener_filters {
    name: "envoy.filters.listener.tls_inspector"
    typed_config {
      [type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector] {}
    }
  })pb";

constexpr char kProxyProtocol[] = R"pb(
  listener_filters {
    name: "envoy.filters.listener.proxy_protocol"
    typed_config {
      [type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol] {}
    }
  })pb";

constexpr char kStatsListener[] = R"pb(
  name: "stats-health"
  address { socket_address { address: "0.0.0.0" port_value: 8002 } }
  filter_chains {
    filters {
      name: "envoy.filters.network.http_connection_manager"
      typed_config {
        [type.googleapis.com/
         envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager] {
          stat_prefix: "stats"
          route_config {
            virtual_hosts {
              name: "backend"
              domains: "*"
              routes {
                match { prefix: "/stats" }
                route { cluster: "service-stats" }
              }
            }
          }
          http_filters {
            name: "envoy.filters.http.health_check"
            typed_config {
              [type.googleapis.com/envoy.extensions.filters.http.health_check.v3.HealthCheck] {
                pass_through_mode { value: false }
                headers {
                  name: ":path"
                  string_match { exact: "/healthz" }
                }
              }
            }
          }
          http_filters {
            name: "envoy.filters.http.router"
            typed_config {
              [type.googleapis.com/envoy.extensions.filters.http.router.v3.Router] {}
            }
          }
          normalize_path { value: true }
        }
      }
    }
  })pb";

std::shared_ptr<const dag::Secret> MakeSecret() {
  return std::make_shared<dag::Secret>(dag::Secret{"default", "tls", "cert", "key"});
}

dag::VirtualHost HttpHost(const std::string& name) {
  dag::VirtualHost vhost;
  vhost.name = name;
  dag::Route route;
  route.path = "/";
  route.clusters = {MakeCluster(MakeService("default", "kuard", 80))};
  vhost.routes["prefix:/"] = route;
  return vhost;
}

dag::SecureVirtualHost SecureHost(const std::string& name, dag::TlsVersion version) {
  dag::SecureVirtualHost vhost;
  vhost.host = HttpHost(name);
  vhost.min_tls_version = version;
  vhost.secret = MakeSecret();
  return vhost;
}

TEST(HttpConnectionManagerTest, MatchesContour) {
  EXPECT_THAT(HttpConnectionManager("ingress_http", "/dev/stdout", ConfigSourceMode::kGrpcContour),
              EqualsProto(ParseText<hcm::HttpConnectionManager>(
                  Hcm("ingress_http", "/dev/stdout", kGrpcSource))));
  EXPECT_THAT(HttpConnectionManager("ingress_https", "/tmp/log", ConfigSourceMode::kAds),
              EqualsProto(ParseText<hcm::HttpConnectionManager>(
                  Hcm("ingress_https", "/tmp/log", kAdsSource))));
}

TEST(StatsListenerTest, MatchesContour) {
  EXPECT_THAT(StatsListener("0.0.0.0", 8002),
              EqualsProto(ParseText<listener_v3::Listener>(kStatsListener)));
}

struct ListenersRow {
  std::string name;
  dag::Dag dag;
  TranslateConfig config;
  std::vector<std::string> want;  // text format Listeners, in order
};

TEST(ListenersTest, Table) {
  std::vector<ListenersRow> rows;
  rows.push_back({"empty dag has only stats", dag::Dag{}, TranslateConfig{}, {kStatsListener}});
  {
    dag::Dag dag;
    dag.http_hosts["*"] = HttpHost("*");
    rows.push_back({"http only",
                    dag,
                    TranslateConfig{},
                    {R"pb(name: "ingress_http"
                          address { socket_address { address: "0.0.0.0" port_value: 8080 } }
                          filter_chains { filters {)pb" +
                         HcmFilter("ingress_http", "/dev/stdout") + "} }",
                     kStatsListener}});
  }
  {
    dag::Dag dag;
    dag.http_hosts["*"] = HttpHost("*");
    TranslateConfig config;
    config.http_address = "::";
    config.http_port = 80;
    config.http_access_log = "/var/log/http";
    config.use_proxy_protocol = true;
    config.stats_address = "127.0.0.1";
    config.stats_port = 9001;
    rows.push_back(
        {"http on :: with proxy protocol",
         dag,
         config,
         {R"pb(name: "ingress_http"
               address { socket_address { address: "::" port_value: 80 ipv4_compat: true } })pb" +
              std::string(kProxyProtocol) + " filter_chains { filters { " +
              HcmFilter("ingress_http", "/var/log/http") + "} }",
          absl::StrReplaceAll(kStatsListener, {{"0.0.0.0", "127.0.0.1"}, {"8002", "9001"}})}});
  }
  {
    dag::Dag dag;
    dag.https_hosts["b.example.com"] = SecureHost("b.example.com", dag::TlsVersion::k1_3);
    dag.https_hosts["a.example.com"] = SecureHost("a.example.com", dag::TlsVersion::k1_1);
    TranslateConfig config;
    config.use_proxy_protocol = true;
    rows.push_back(
        {"https chains sorted by server name with proxy protocol first",
         dag,
         config,
         {R"pb(name: "ingress_https"
               address { socket_address { address: "0.0.0.0" port_value: 8443 } })pb" +
              std::string(kProxyProtocol) + kTlsInspector +
              R"pb(filter_chains { filter_chain_match { server_names: "a.example.com" })pb" +
              DownstreamTls("default/tls/cd1b506996", "TLSv1_1", kH2Alpn) + " filters { " +
              HcmFilter("ingress_https", "/dev/stdout") + "} }" +
              R"pb(filter_chains { filter_chain_match { server_names: "b.example.com" })pb" +
              DownstreamTls("default/tls/cd1b506996", "TLSv1_3", kH2Alpn) + " filters { " +
              HcmFilter("ingress_https", "/dev/stdout") + "} }",
          kStatsListener}});
  }
  for (const auto& row : rows) {
    const auto got = Listeners(row.dag, row.config);
    ASSERT_EQ(got.size(), row.want.size()) << row.name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_THAT(got[i], EqualsProto(ParseText<listener_v3::Listener>(row.want[i])))
          << row.name << " listener " << i;
    }
  }
}

struct TlsVersionRow {
  std::string name;
  dag::TlsVersion global;
  dag::TlsVersion vhost;
  envoy::extensions::transport_sockets::tls::v3::TlsParameters::TlsProtocol want;
};

TEST(SecureFilterChainTest, MinimumTlsVersionIsTheHigherOfGlobalAndVhost) {
  using envoy::extensions::transport_sockets::tls::v3::TlsParameters;
  const std::vector<TlsVersionRow> rows = {
      {"defaults", dag::TlsVersion::k1_1, dag::TlsVersion::k1_1, TlsParameters::TLSv1_1},
      {"vhost raises", dag::TlsVersion::k1_1, dag::TlsVersion::k1_2, TlsParameters::TLSv1_2},
      {"vhost 1.3", dag::TlsVersion::k1_2, dag::TlsVersion::k1_3, TlsParameters::TLSv1_3},
      {"global wins", dag::TlsVersion::k1_3, dag::TlsVersion::k1_1, TlsParameters::TLSv1_3},
      {"global 1.2", dag::TlsVersion::k1_2, dag::TlsVersion::k1_1, TlsParameters::TLSv1_2},
  };
  for (const auto& row : rows) {
    TranslateConfig config;
    config.min_tls_version = row.global;
    const auto chain = SecureFilterChain(SecureHost("www.example.com", row.vhost), config);
    envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext context;
    ASSERT_TRUE(chain.transport_socket().typed_config().UnpackTo(&context)) << row.name;
    EXPECT_EQ(context.common_tls_context().tls_params().tls_minimum_protocol_version(), row.want)
        << row.name;
    EXPECT_EQ(context.common_tls_context().tls_params().tls_maximum_protocol_version(),
              TlsParameters::TLSv1_3)
        << row.name;
  }
}

TEST(SecureFilterChainTest, TcpProxyWithSecretHasNoAlpn) {
  dag::SecureVirtualHost vhost;
  vhost.host.name = "tcp.example.com";
  vhost.secret = MakeSecret();
  vhost.tcp_proxy = dag::TcpProxy{{MakeCluster(MakeService("default", "backend", 443))}};
  const auto chain = SecureFilterChain(vhost, TranslateConfig{});
  EXPECT_THAT(
      chain,
      EqualsProto(ParseText<listener_v3::FilterChain>(
          R"pb(filter_chain_match { server_names: "tcp.example.com" })pb" +
          DownstreamTls("default/tls/cd1b506996", "TLSv1_1", "") + R"pb(
            filters {
              name: "envoy.filters.network.tcp_proxy"
              typed_config {
                [type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy] {
                  stat_prefix: "ingress_https"
                  cluster: "default/backend/443/da39a3ee5e"
                  access_log {
                    name: "envoy.access_loggers.file"
                    typed_config {
                      [type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog] {
                        path: "/dev/stdout"
                      }
                    }
                  }
                  idle_timeout { seconds: 9001 }
                }
              }
            })pb")));
}

TEST(SecureFilterChainTest, PassthroughHasNoTransportSocket) {
  dag::SecureVirtualHost vhost;
  vhost.host.name = "tcp.example.com";
  vhost.tcp_proxy = dag::TcpProxy{{MakeCluster(MakeService("default", "backend", 443))}};
  const auto chain = SecureFilterChain(vhost, TranslateConfig{});
  EXPECT_FALSE(chain.has_transport_socket());
  ASSERT_EQ(chain.filters_size(), 1);
  EXPECT_EQ(chain.filters(0).name(), "envoy.filters.network.tcp_proxy");
}

TEST(TcpProxyTest, SeveralClustersAreWeightedOneEachSortedByName) {
  dag::TcpProxy proxy{{MakeCluster(MakeService("default", "zeta", 443), 80),
                       MakeCluster(MakeService("default", "alpha", 443), 20)}};
  EXPECT_THAT(
      TcpProxy("ingress_https", proxy, "/dev/stdout"),
      EqualsProto(ParseText<envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy>(
          R"pb(stat_prefix: "ingress_https"
               weighted_clusters {
                 clusters { name: "default/alpha/443/da39a3ee5e" weight: 1 }
                 clusters { name: "default/zeta/443/da39a3ee5e" weight: 1 }
               }
               access_log {
                 name: "envoy.access_loggers.file"
                 typed_config {
                   [type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog] {
                     path: "/dev/stdout"
                   }
                 }
               }
               idle_timeout { seconds: 9001 })pb")));
}

}  // namespace
}  // namespace contour::translate
