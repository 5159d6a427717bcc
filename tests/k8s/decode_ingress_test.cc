// Every Ingress version decodes to the one Ingress type; the same Ingress written in each form
// gives equal values apart from api_version.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "tests/k8s/decode_test_util.h"

namespace contour::k8s {
namespace {

using ::contour::k8s::testing::IssueStrings;
using ::testing::IsEmpty;

Ingress ExpectedIngress() {
  Ingress ingress;
  ingress.metadata.name = "web";
  ingress.metadata.namespace_ = "shop";
  ingress.metadata.annotations = {{"ingress.kubernetes.io/force-ssl-redirect", "true"}};
  ingress.ingress_class_name = "contour";
  ingress.default_backend = IngressBackend{"fallback", IntOrString{false, 80, ""}};
  ingress.tls = {IngressTLS{{"shop.example.com", "www.example.com"}, "certs/shop-tls"}};
  ingress.rules = {
      IngressRule{
          "shop.example.com",
          {IngressPath{"/", "Prefix", IngressBackend{"web", IntOrString{false, 8080, ""}}},
           IngressPath{"/api", "Exact", IngressBackend{"api", IntOrString{true, 0, "grpc"}}}}},
      IngressRule{"",
                  {IngressPath{"", "ImplementationSpecific",
                               IngressBackend{"web", IntOrString{false, 8080, ""}}}}},
      IngressRule{"nohttp.example.com", {}},
  };
  return ingress;
}

constexpr char kMetadata[] = R"(
metadata:
  name: web
  namespace: shop
  annotations:
    ingress.kubernetes.io/force-ssl-redirect: "true"
)";

constexpr char kV1Spec[] = R"(
spec:
  ingressClassName: contour
  defaultBackend:
    service: {name: fallback, port: {number: 80}}
  tls:
  - hosts: [shop.example.com, www.example.com]
    secretName: certs/shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {number: 8080}}
      - path: /api
        pathType: Exact
        backend:
          service: {name: api, port: {name: grpc}}
  - http:
      paths:
      - pathType: ImplementationSpecific
        backend:
          service: {name: web, port: {number: 8080}}
  - host: nohttp.example.com
)";

constexpr char kV1beta1Spec[] = R"(
spec:
  ingressClassName: contour
  backend: {serviceName: fallback, servicePort: 80}
  tls:
  - hosts: [shop.example.com, www.example.com]
    secretName: certs/shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {serviceName: web, servicePort: 8080}
      - path: /api
        pathType: Exact
        backend: {serviceName: api, servicePort: grpc}
  - http:
      paths:
      - pathType: ImplementationSpecific
        backend: {serviceName: web, servicePort: 8080}
  - host: nohttp.example.com
)";

struct VersionCase {
  std::string name;
  std::string api_version;
  const char* spec;
};

class DecodeIngressVersionTest : public ::testing::TestWithParam<VersionCase> {};

TEST_P(DecodeIngressVersionTest, DecodesToTheSameIngress) {
  const VersionCase& c = GetParam();
  std::string manifest = "apiVersion: " + c.api_version + "\nkind: Ingress\n" + kMetadata + c.spec;
  DecodeResult result = DecodeManifests(manifest, "ingress.yaml");
  EXPECT_THAT(IssueStrings(result.errors), IsEmpty());
  EXPECT_THAT(IssueStrings(result.warnings), IsEmpty());
  ASSERT_EQ(result.objects.size(), 1u);
  const Ingress* ingress = std::get_if<Ingress>(&result.objects[0]);
  ASSERT_NE(ingress, nullptr);
  EXPECT_EQ(ingress->api_version, c.api_version);
  Ingress expected = ExpectedIngress();
  expected.api_version = c.api_version;
  EXPECT_EQ(ingress->metadata, expected.metadata);
  EXPECT_EQ(ingress->default_backend, expected.default_backend);
  EXPECT_EQ(ingress->tls, expected.tls);
  EXPECT_EQ(ingress->rules, expected.rules);
  EXPECT_TRUE(*ingress == expected);
}

INSTANTIATE_TEST_SUITE_P(
    Versions, DecodeIngressVersionTest,
    ::testing::Values(VersionCase{"NetworkingV1", "networking.k8s.io/v1", kV1Spec},
                      VersionCase{"NetworkingV1beta1", "networking.k8s.io/v1beta1", kV1beta1Spec},
                      VersionCase{"ExtensionsV1beta1", "extensions/v1beta1", kV1beta1Spec}),
    [](const auto& info) { return info.param.name; });

TEST(DecodeIngressTest, AbsentClassAndDefaultBackendStayUnset) {
  DecodeResult result = DecodeManifests(R"(
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: plain}
spec:
  rules:
  - host: a.example.com
)",
                                        "");
  ASSERT_EQ(result.objects.size(), 1u);
  const Ingress& ingress = std::get<Ingress>(result.objects[0]);
  EXPECT_EQ(ingress.ingress_class_name, std::nullopt);
  EXPECT_EQ(ingress.default_backend, std::nullopt);
  EXPECT_EQ(ingress.metadata.namespace_, "default");
  ASSERT_EQ(ingress.rules.size(), 1u);
  EXPECT_TRUE(ingress.rules[0].paths.empty());
}

TEST(DecodeIngressTest, V1beta1StringPortThatLooksNumericStaysAString) {
  DecodeResult result = DecodeManifests(R"(
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: quoted}
spec:
  backend: {serviceName: web, servicePort: "80"}
)",
                                        "");
  ASSERT_EQ(result.objects.size(), 1u);
  const Ingress& ingress = std::get<Ingress>(result.objects[0]);
  ASSERT_TRUE(ingress.default_backend.has_value());
  EXPECT_EQ(ingress.default_backend->service_port, (IntOrString{true, 0, "80"}));
}

}  // namespace
}  // namespace contour::k8s
