// translate::Bootstrap: Contour's internal/envoy/bootstrap_test.go rows, made v3, one row per
// flag, and the TLS rule.
#include "translate/bootstrap.h"

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "tests/translate/proto_test_util.h"

namespace contour::translate {
namespace {

using BootstrapProto = envoy::config::bootstrap::v3::Bootstrap;
using test_util::EqualsProto;
using test_util::ParseText;

// The whole default bootstrap, as Envoy would read it.
constexpr char kDefaultBootstrap[] = R"pb(
  dynamic_resources {
    lds_config {
      resource_api_version: V3
      api_config_source {
        api_type: GRPC
        transport_api_version: V3
        grpc_services { envoy_grpc { cluster_name: "contour" } }
      }
    }
    cds_config {
      resource_api_version: V3
      api_config_source {
        api_type: GRPC
        transport_api_version: V3
        grpc_services { envoy_grpc { cluster_name: "contour" } }
      }
    }
  }
  static_resources {
    clusters {
      name: "contour"
      alt_stat_name: "heptio-contour_contour_8001"
      type: STRICT_DNS
      connect_timeout { seconds: 5 }
      lb_policy: ROUND_ROBIN
      load_assignment {
        cluster_name: "contour"
        endpoints {
          lb_endpoints {
            endpoint {
              address { socket_address { protocol: TCP address: "127.0.0.1" port_value: 8001 } }
            }
          }
        }
      }
      typed_extension_protocol_options {
        key: "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
        value {
          [type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions] {
            explicit_http_config { http2_protocol_options {} }
          }
        }
      }
      circuit_breakers {
        thresholds {
          priority: HIGH
          max_connections { value: 100000 }
          max_pending_requests { value: 100000 }
          max_requests { value: 60000000 }
          max_retries { value: 50 }
        }
        thresholds {
          priority: DEFAULT
          max_connections { value: 100000 }
          max_pending_requests { value: 100000 }
          max_requests { value: 60000000 }
          max_retries { value: 50 }
        }
      }
      upstream_connection_options {
        tcp_keepalive {
          keepalive_probes { value: 3 }
          keepalive_time { value: 30 }
          keepalive_interval { value: 5 }
        }
      }
    }
    clusters {
      name: "service-stats"
      type: LOGICAL_DNS
      connect_timeout { nanos: 250000000 }
      lb_policy: ROUND_ROBIN
      load_assignment {
        cluster_name: "service-stats"
        endpoints {
          lb_endpoints {
            endpoint {
              address { socket_address { protocol: TCP address: "127.0.0.1" port_value: 9001 } }
            }
          }
        }
      }
    }
  }
  admin {
    access_log {
      name: "envoy.access_loggers.file"
      typed_config {
        [type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog] {
          path: "/dev/null"
        }
      }
    }
    address { socket_address { protocol: TCP address: "127.0.0.1" port_value: 9001 } }
  }
)pb";

TEST(BootstrapTest, Defaults) {
  EXPECT_THAT(Bootstrap(BootstrapConfig{}),
              EqualsProto(ParseText<BootstrapProto>(kDefaultBootstrap)));
}

BootstrapConfig With(const std::function<void(BootstrapConfig&)>& change) {
  BootstrapConfig config;
  change(config);
  return config;
}

BootstrapConfig WithTls() {
  return With([](BootstrapConfig& c) {
    c.ca_file = "/certs/ca.crt";
    c.cert_file = "/certs/tls.crt";
    c.key_file = "/certs/tls.key";
  });
}

const envoy::config::cluster::v3::Cluster& ContourCluster(const BootstrapProto& b) {
  return b.static_resources().clusters(0);
}
const envoy::config::cluster::v3::Cluster& StatsCluster(const BootstrapProto& b) {
  return b.static_resources().clusters(1);
}
const envoy::config::core::v3::SocketAddress& OnlyEndpoint(
    const envoy::config::cluster::v3::Cluster& cluster) {
  return cluster.load_assignment()
      .endpoints(0)
      .lb_endpoints(0)
      .endpoint()
      .address()
      .socket_address();
}

// One field of the bootstrap, and what it must hold (text format of that field's type). With
// `partial`, fields that `want` leaves unset are not compared.
struct FieldCase {
  std::string name;
  BootstrapConfig config;
  std::function<const google::protobuf::Message&(const BootstrapProto&)> field;
  std::string want;
  bool partial = false;

  friend void PrintTo(const FieldCase& c, std::ostream* os) { *os << c.name; }
};

class BootstrapFieldTest : public testing::TestWithParam<FieldCase> {};

TEST_P(BootstrapFieldTest, SetsField) {
  const FieldCase& c = GetParam();
  const BootstrapProto bootstrap = Bootstrap(c.config);
  ASSERT_EQ(bootstrap.static_resources().clusters_size(), 2);
  const google::protobuf::Message& got = c.field(bootstrap);
  std::unique_ptr<google::protobuf::Message> want(got.New());
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(c.want, want.get())) << c.want;
  google::protobuf::util::MessageDifferencer differencer;
  if (c.partial) differencer.set_scope(google::protobuf::util::MessageDifferencer::PARTIAL);
  std::string diff;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(*want, got)) << "differences (expected → actual):\n" << diff;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BootstrapFieldTest,
    testing::Values(
        FieldCase{"AdminAddressOnAdmin",
                  With([](BootstrapConfig& c) { c.admin_address = "10.0.0.9"; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return b.admin().address();
                  },
                  R"pb(socket_address { protocol: TCP address: "10.0.0.9" port_value: 9001 })pb"},
        FieldCase{"AdminAddressOnServiceStats",
                  With([](BootstrapConfig& c) { c.admin_address = "10.0.0.9"; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return OnlyEndpoint(StatsCluster(b));
                  },
                  R"pb(protocol: TCP address: "10.0.0.9" port_value: 9001)pb"},
        FieldCase{"AdminPortOnAdmin", With([](BootstrapConfig& c) { c.admin_port = 9100; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return b.admin().address();
                  },
                  R"pb(socket_address { protocol: TCP address: "127.0.0.1" port_value: 9100 })pb"},
        FieldCase{"AdminPortOnServiceStats", With([](BootstrapConfig& c) { c.admin_port = 9100; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return OnlyEndpoint(StatsCluster(b));
                  },
                  R"pb(protocol: TCP address: "127.0.0.1" port_value: 9100)pb"},
        FieldCase{"XdsAddress",
                  With([](BootstrapConfig& c) { c.xds_address = "contour.projectcontour"; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return OnlyEndpoint(ContourCluster(b));
                  },
                  R"pb(protocol: TCP address: "contour.projectcontour" port_value: 8001)pb"},
        FieldCase{"XdsPort", With([](BootstrapConfig& c) { c.xds_port = 8444; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return OnlyEndpoint(ContourCluster(b));
                  },
                  R"pb(protocol: TCP address: "127.0.0.1" port_value: 8444)pb"},
        FieldCase{"XdsPortInAltStatName", With([](BootstrapConfig& c) { c.xds_port = 8444; }),
                  ContourCluster, R"pb(alt_stat_name: "heptio-contour_contour_8444")pb",
                  /*partial=*/true},
        FieldCase{"NamespaceInAltStatName",
                  With([](BootstrapConfig& c) { c.namespace_ = "projectcontour"; }), ContourCluster,
                  R"pb(alt_stat_name: "projectcontour_contour_8001")pb",
                  /*partial=*/true},
        FieldCase{"NoTlsNoTransportSocket", BootstrapConfig{},
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return ContourCluster(b).transport_socket();
                  },
                  ""},
        FieldCase{
            "TlsFilesOnContourCluster", WithTls(),
            [](const BootstrapProto& b) -> const google::protobuf::Message& {
              return ContourCluster(b).transport_socket();
            },
            R"pb(
              name: "envoy.transport_sockets.tls"
              typed_config {
                [type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext] {
                  common_tls_context {
                    tls_certificates {
                      certificate_chain { filename: "/certs/tls.crt" }
                      private_key { filename: "/certs/tls.key" }
                    }
                    validation_context {
                      trusted_ca { filename: "/certs/ca.crt" }
                      match_typed_subject_alt_names {
                        san_type: DNS
                        matcher { exact: "contour" }
                      }
                    }
                  }
                }
              }
            )pb"},
        FieldCase{"TlsLeavesServiceStatsPlain", WithTls(),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return StatsCluster(b).transport_socket();
                  },
                  ""},
        FieldCase{"AdsDynamicResources", With([](BootstrapConfig& c) { c.ads = true; }),
                  [](const BootstrapProto& b) -> const google::protobuf::Message& {
                    return b.dynamic_resources();
                  },
                  R"pb(
                    lds_config {
                      resource_api_version: V3
                      ads {}
                    }
                    cds_config {
                      resource_api_version: V3
                      ads {}
                    }
                    ads_config {
                      api_type: GRPC
                      transport_api_version: V3
                      grpc_services { envoy_grpc { cluster_name: "contour" } }
                    }
                  )pb"}),
    [](const testing::TestParamInfo<FieldCase>& info) { return info.param.name; });

struct TlsRuleCase {
  std::string name;
  BootstrapConfig config;
  bool ok;

  friend void PrintTo(const TlsRuleCase& c, std::ostream* os) { *os << c.name; }
};

class BootstrapTlsRuleTest : public testing::TestWithParam<TlsRuleCase> {};

TEST_P(BootstrapTlsRuleTest, AllThreeOrNone) {
  const absl::Status status = ValidateBootstrapConfig(GetParam().config);
  if (GetParam().ok) {
    EXPECT_TRUE(status.ok()) << status;
    return;
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "you must supply all three TLS parameters - --envoy-cafile, --envoy-cert-file, "
            "--envoy-key-file, or none of them");
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BootstrapTlsRuleTest,
    testing::Values(
        TlsRuleCase{"None", BootstrapConfig{}, true}, TlsRuleCase{"AllThree", WithTls(), true},
        TlsRuleCase{"OnlyCa", With([](BootstrapConfig& c) { c.ca_file = "ca"; }), false},
        TlsRuleCase{"OnlyCert", With([](BootstrapConfig& c) { c.cert_file = "cert"; }), false},
        TlsRuleCase{"OnlyKey", With([](BootstrapConfig& c) { c.key_file = "key"; }), false},
        TlsRuleCase{"NoKey", With([](BootstrapConfig& c) {
                      c.ca_file = "ca";
                      c.cert_file = "cert";
                    }),
                    false}),
    [](const testing::TestParamInfo<TlsRuleCase>& info) { return info.param.name; });

}  // namespace
}  // namespace contour::translate
