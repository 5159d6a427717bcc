// One row per kind: a manifest that sets every field contour reads, and the typed object.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "k8s/yaml_to_json.h"
#include "tests/k8s/decode_test_util.h"

namespace contour::k8s {
namespace {

using ::contour::k8s::testing::IssueStrings;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct KindCase {
  std::string name;
  std::string manifest;
  Object expected;
};

ObjectMeta Meta(std::string ns, std::string name) {
  ObjectMeta meta;
  meta.namespace_ = std::move(ns);
  meta.name = std::move(name);
  return meta;
}

IntOrString Port(int64_t number) { return IntOrString{false, number, ""}; }
IntOrString PortName(std::string name) { return IntOrString{true, 0, std::move(name)}; }

std::vector<KindCase> KindCases() {
  std::vector<KindCase> cases;

  {
    Service service;
    service.metadata = Meta("shop", "web");
    service.metadata.resource_version = "42";
    service.metadata.uid = "0b7a";
    service.metadata.annotations = {{"contour.heptio.com/upstream-protocol.h2c", "80,http"}};
    service.metadata.labels = {{"app", "web"}};
    service.type = "NodePort";
    service.ports = {
        ServicePort{"http", "TCP", 80, Port(8080)},
        ServicePort{"", "UDP", 53, Port(53)},  // targetPort defaults to port
        ServicePort{"named", "TCP", 443, PortName("https")},
    };
    cases.push_back({"ServiceAllFields", R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  resourceVersion: "42"
  uid: 0b7a
  annotations:
    contour.heptio.com/upstream-protocol.h2c: "80,http"
  labels:
    app: web
spec:
  type: NodePort
  ports:
  - name: http
    port: 80
    targetPort: 8080
  - port: 53
    protocol: UDP
  - name: named
    port: 443
    targetPort: https
)",
                     service});
  }
  {
    Service service;
    service.metadata = Meta("default", "db");
    service.type = "ExternalName";
    service.external_name = "db.example.com";
    cases.push_back({"ServiceExternalNameDefaultNamespace", R"(
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}
)",
                     service});
  }
  {
    Service service;
    service.metadata = Meta("default", "bare");
    service.type = "ClusterIP";  // the API server's default
    cases.push_back(
        {"ServiceWithoutSpec", "apiVersion: v1\nkind: Service\nmetadata: {name: bare}\n", service});
  }
  {
    Endpoints endpoints;
    endpoints.metadata = Meta("shop", "web");
    endpoints.subsets = {
        EndpointSubset{{{"10.0.0.1"}, {"10.0.0.2"}},
                       {{"10.0.0.3"}},
                       {EndpointPort{"http", 8080, "TCP"}, EndpointPort{"dns", 53, "UDP"}}},
        EndpointSubset{{}, {{"10.0.1.1"}}, {EndpointPort{"", 9000, "TCP"}}},
    };
    cases.push_back({"Endpoints", R"(
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: shop}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2, nodeName: n1}]
  notReadyAddresses: [{ip: 10.0.0.3}]
  ports:
  - {name: http, port: 8080}
  - {name: dns, port: 53, protocol: UDP}
- notReadyAddresses: [{ip: 10.0.1.1}]
  ports: [{port: 9000}]
)",
                     endpoints});
  }
  {
    Secret secret;
    secret.metadata = Meta("shop", "tls");
    secret.type = "kubernetes.io/tls";
    secret.data = {{"tls.crt", "cert"},
                   {"tls.key", "overridden"},
                   {"ca.crt", std::string("\0\xff", 2)},
                   {"empty", ""}};
    cases.push_back({"SecretDataAndStringData", R"(
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: shop}
type: kubernetes.io/tls
data:
  tls.crt: Y2VydA==
  tls.key: a2V5
  ca.crt: "AP8=\n"
  empty:
stringData:
  tls.key: overridden
)",
                     secret});
  }
  {
    Secret secret;
    secret.metadata = Meta("default", "opaque");
    secret.type = "Opaque";
    cases.push_back({"SecretTypeDefaultsToOpaque",
                     "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": "
                     "\"opaque\"}}",
                     secret});
  }
  {
    IngressRoute route;
    route.metadata = Meta("shop", "root");
    route.metadata.annotations = {{"kubernetes.io/ingress.class", "contour"}};
    route.virtualhost = VirtualHost{"shop.example.com", TLS{"shop-tls", "1.3", false}};
    IngressRouteService web{"web",
                            80,
                            90,
                            "Cookie",
                            HealthCheck{"/healthz", "hc.local", 5, 1, 4, 3},
                            UpstreamValidation{"ca", "web.shop"}};
    IngressRouteService canary{"canary", 80, 10, "", std::nullopt, std::nullopt};
    route.routes = {
        IngressRouteRoute{"/",
                          {web, canary},
                          std::nullopt,
                          true,
                          true,
                          "/app",
                          TimeoutPolicy{"30s"},
                          RetryPolicy{3, "150ms"}},
        IngressRouteRoute{"/blog",
                          {},
                          Delegate{"blog", "marketing"},
                          false,
                          false,
                          "",
                          std::nullopt,
                          std::nullopt},
    };
    route.routes_given = true;
    route.status = IngressRouteStatus{"valid", "valid IngressRoute"};
    cases.push_back({"IngressRouteAllFields", R"(
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata:
  name: root
  namespace: shop
  annotations: {kubernetes.io/ingress.class: contour}
spec:
  virtualhost:
    fqdn: shop.example.com
    tls: {secretName: shop-tls, minimumProtocolVersion: "1.3"}
  routes:
  - match: /
    enableWebsockets: true
    permitInsecure: true
    prefixRewrite: /app
    timeoutPolicy: {request: 30s}
    retryPolicy: {count: 3, perTryTimeout: 150ms}
    services:
    - name: web
      port: 80
      weight: 90
      strategy: Cookie
      healthCheck:
        path: /healthz
        host: hc.local
        intervalSeconds: 5
        timeoutSeconds: 1
        unhealthyThresholdCount: 4
        healthyThresholdCount: 3
      validation: {caSecret: ca, subjectName: web.shop}
    - {name: canary, port: 80, weight: 10}
  - match: /blog
    delegate: {name: blog, namespace: marketing}
status:
  currentStatus: valid
  description: valid IngressRoute
)",
                     route});
  }
  {
    IngressRoute route;
    route.metadata = Meta("default", "tcp");
    route.virtualhost = VirtualHost{"tcp.example.com", TLS{"", "", true}};
    // Out-of-range numbers are the DAG's to report, so they survive decoding.
    route.tcpproxy = TCPProxy{
        {IngressRouteService{"db", 99999999999, -5, "", std::nullopt, std::nullopt}}, std::nullopt};
    cases.push_back({"IngressRouteTCPProxyKeepsOutOfRangeNumbers", R"(
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: tcp}
spec:
  virtualhost: {fqdn: tcp.example.com, tls: {passthrough: true}}
  tcpproxy:
    services: [{name: db, port: 99999999999, weight: -5}]
)",
                     route});
  }
  {
    IngressRoute route;
    route.metadata = Meta("default", "leaf");
    route.tcpproxy = TCPProxy{{}, Delegate{"other", ""}};
    cases.push_back({"IngressRouteTCPProxyDelegate", R"(
apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: leaf}
spec: {tcpproxy: {delegate: {name: other}}}
)",
                     route});
  }
  {
    TLSCertificateDelegation delegation;
    delegation.metadata = Meta("certs", "wildcard");
    delegation.delegations = {CertificateDelegation{"wildcard-tls", {"shop", "blog"}},
                              CertificateDelegation{"shared", {"*"}}};
    cases.push_back({"TLSCertificateDelegation", R"(
apiVersion: contour.heptio.com/v1beta1
kind: TLSCertificateDelegation
metadata: {name: wildcard, namespace: certs}
spec:
  delegations:
  - secretName: wildcard-tls
    targetNamespaces: [shop, blog]
  - secretName: shared
    targetNamespaces: ["*"]
)",
                     delegation});
  }
  return cases;
}

class DecodeKindTest : public ::testing::TestWithParam<KindCase> {};

TEST_P(DecodeKindTest, DecodesEveryField) {
  const KindCase& c = GetParam();
  DecodeResult result = DecodeManifests(c.manifest, "test.yaml");
  EXPECT_THAT(IssueStrings(result.errors), IsEmpty());
  EXPECT_THAT(IssueStrings(result.warnings), IsEmpty());
  ASSERT_EQ(result.objects.size(), 1u);
  EXPECT_TRUE(result.objects[0] == c.expected) << "kind " << KindOf(result.objects[0]);
}

TEST_P(DecodeKindTest, JsonInputAndDecodeObjectGiveTheSameObject) {
  const KindCase& c = GetParam();
  std::vector<YamlDocument> documents = SplitYamlDocuments(c.manifest);
  ASSERT_EQ(documents.size(), 1u);
  absl::StatusOr<nlohmann::json> json = YamlToJson(documents[0]);
  ASSERT_TRUE(json.ok()) << json.status();

  absl::StatusOr<Object> object = DecodeObject(*json);
  ASSERT_TRUE(object.ok()) << object.status();
  EXPECT_TRUE(*object == c.expected);

  DecodeResult from_json = DecodeManifests(json->dump(2), "test.json");
  EXPECT_THAT(IssueStrings(from_json.errors), IsEmpty());
  ASSERT_EQ(from_json.objects.size(), 1u);
  EXPECT_TRUE(from_json.objects[0] == c.expected);
}

INSTANTIATE_TEST_SUITE_P(Kinds, DecodeKindTest, ::testing::ValuesIn(KindCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace contour::k8s
