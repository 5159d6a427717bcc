// DecodeManifests as a whole: input forms, Lists, document numbering, issue text, and
// DecodeObject for API-server JSON.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "k8s/decode.h"
#include "tests/k8s/decode_test_util.h"

namespace contour::k8s {
namespace {

using ::contour::k8s::testing::IssueStrings;
using ::contour::k8s::testing::ObjectNames;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DecodeManifestsTest, EmptyInputs) {
  for (std::string_view text : {"", "\n\n", "# just a comment\n", "---\n---\n", "null\n", "{}"}) {
    DecodeResult result = DecodeManifests(text, "empty.yaml");
    EXPECT_THAT(ObjectNames(result), IsEmpty()) << text;
    if (text != "{}") {
      EXPECT_THAT(IssueStrings(result.errors), IsEmpty()) << text;
    } else {
      EXPECT_THAT(IssueStrings(result.errors),
                  ElementsAre("empty.yaml: document 0: apiVersion: is required",
                              "empty.yaml: document 0: kind: is required"));
    }
  }
}

TEST(DecodeManifestsTest, MultiDocumentWithBrokenMiddleDocument) {
  DecodeResult result = DecodeManifests(R"(# leading comment
---
apiVersion: v1
kind: Service
metadata: {name: one}
---
---
apiVersion: v1
kind: Service
metadata: {name: two
  namespace: x
---
apiVersion: v1
kind: Secret
metadata: {name: three, namespace: x}
...
---
apiVersion: v1
kind: Endpoints
metadata: {name: four}
)",
                                        "multi.yaml");
  EXPECT_THAT(IssueStrings(result.errors),
              ElementsAre("multi.yaml: document 2: invalid YAML at line 11, column 12: end of map "
                          "flow not found"));
  EXPECT_THAT(ObjectNames(result),
              ElementsAre("Service default/one", "Secret x/three", "Endpoints default/four"));
}

TEST(DecodeManifestsTest, YamlListsExpand) {
  DecodeResult result = DecodeManifests(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
- apiVersion: v1
  kind: Service
  metadata: {name: b}
  spec: {ports: [{port: 0}]}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: c}
- apiVersion: v1
  kind: Secret
  metadata: {name: d}
---
apiVersion: v1
kind: ServiceList
metadata: {resourceVersion: "7"}
items:
- apiVersion: v1
  kind: Service
  metadata: {name: e}
---
apiVersion: v1
kind: SecretList
items: null
)",
                                        "list.yaml");
  EXPECT_THAT(ObjectNames(result),
              ElementsAre("Service default/a", "Secret default/d", "Service default/e"));
  EXPECT_THAT(IssueStrings(result.errors),
              ElementsAre("list.yaml: document 0: Service default/b: items[1].spec.ports[0].port: "
                          "must be between 1 and 65535, got 0"));
  EXPECT_THAT(IssueStrings(result.warnings),
              ElementsAre("list.yaml: document 0: Deployment default/c: items[2].kind: "
                          "unsupported kind \"Deployment\" (apps/v1), skipped"));
}

TEST(DecodeManifestsTest, JsonListExpands) {
  DecodeResult result = DecodeManifests(R"({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n"},
     "spec": {"ports": [{"port": 80, "targetPort": "http"}]}},
    {"apiVersion": "contour.heptio.com/v1beta1", "kind": "IngressRoute",
     "metadata": {"name": "r"}, "spec": {"routes": [{"match": "/", "services": [
       {"name": "a", "port": 80.0}]}]}},
    "not an object"
  ]
})",
                                        "list.json");
  EXPECT_THAT(ObjectNames(result), ElementsAre("Service n/a", "IngressRoute default/r"));
  EXPECT_THAT(IssueStrings(result.errors),
              ElementsAre("list.json: document 0: items[2]: expected an object, got string"));
  const IngressRoute& route = std::get<IngressRoute>(result.objects[1]);
  ASSERT_EQ(route.routes.size(), 1u);
  ASSERT_EQ(route.routes[0].services.size(), 1u);
  EXPECT_EQ(route.routes[0].services[0].port, 80);  // an integral float is an integer
}

TEST(DecodeManifestsTest, FlowYamlThatIsNotJsonIsReadAsYaml) {
  DecodeResult result =
      DecodeManifests("{apiVersion: v1, kind: Service, metadata: {name: flow}}\n", "flow.yaml");
  EXPECT_THAT(IssueStrings(result.errors), IsEmpty());
  EXPECT_THAT(ObjectNames(result), ElementsAre("Service default/flow"));
}

TEST(DecodeManifestsTest, DeeplyNestedJsonIsRejectedBeforeParsing) {
  std::string json = R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
                         "extra": )" +
                     std::string(100000, '[') + std::string(100000, ']') + "}";
  DecodeResult result = DecodeManifests(json, "deep.json");
  EXPECT_THAT(ObjectNames(result), IsEmpty());
  EXPECT_THAT(IssueStrings(result.errors),
              ElementsAre("deep.json: document 0: document is nested deeper than 64 levels"));
}

struct IssueTextCase {
  std::string name;
  DecodeIssue issue;
  std::string text;
};

class DecodeIssueTextTest : public ::testing::TestWithParam<IssueTextCase> {};

TEST_P(DecodeIssueTextTest, Formats) { EXPECT_EQ(GetParam().issue.ToString(), GetParam().text); }

INSTANTIATE_TEST_SUITE_P(
    Issues, DecodeIssueTextTest,
    ::testing::Values(
        IssueTextCase{"Everything",
                      {"app.yaml", 2, "Ingress", "default", "web", "spec.rules[0].host",
                       "expected a string, got number"},
                      "app.yaml: document 2: Ingress default/web: spec.rules[0].host: expected a "
                      "string, got number"},
        IssueTextCase{"FromTheApiServer",
                      {"", -1, "Service", "shop", "web", "spec.ports[0].port", "is required"},
                      "Service shop/web: spec.ports[0].port: is required"},
        IssueTextCase{
            "NoObject", {"-", 0, "", "", "", "", "invalid YAML"}, "-: document 0: invalid YAML"},
        IssueTextCase{"KindWithoutName",
                      {"f", 1, "Service", "", "", "metadata.name", "is required"},
                      "f: document 1: Service: metadata.name: is required"},
        IssueTextCase{"NameWithoutKind",
                      {"f", 1, "", "default", "web", "kind", "is required"},
                      "f: document 1: default/web: kind: is required"}),
    [](const auto& info) { return info.param.name; });

TEST(DecodeObjectTest, DecodesAnApiServerObject) {
  nlohmann::json json = nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "Endpoints",
    "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "12", "uid": "u-1",
                 "creationTimestamp": "2019-01-01T00:00:00Z", "managedFields": [{}]},
    "subsets": [{"addresses": [{"ip": "10.0.0.1", "targetRef": {"kind": "Pod"}}],
                 "ports": [{"port": 8080, "protocol": "TCP"}]}]})");
  absl::StatusOr<Object> object = DecodeObject(json);
  ASSERT_TRUE(object.ok()) << object.status();
  const Endpoints& endpoints = std::get<Endpoints>(*object);
  EXPECT_EQ(endpoints.metadata.resource_version, "12");
  EXPECT_EQ(endpoints.metadata.uid, "u-1");
  ASSERT_EQ(endpoints.subsets.size(), 1u);
  EXPECT_EQ(endpoints.subsets[0].addresses, (std::vector<EndpointAddress>{{"10.0.0.1"}}));
  EXPECT_EQ(endpoints.subsets[0].ports, (std::vector<EndpointPort>{{"", 8080, "TCP"}}));
}

TEST(DecodeObjectTest, UnknownKindIsNotFound) {
  absl::StatusOr<Object> object = DecodeObject(nlohmann::json::parse(
      R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})"));
  EXPECT_EQ(object.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(object.status().message()),
            "ConfigMap default/c: kind: unsupported kind \"ConfigMap\" (v1), skipped");
}

TEST(DecodeObjectTest, MalformedObjectIsInvalidArgumentWithEveryProblem) {
  absl::StatusOr<Object> object = DecodeObject(nlohmann::json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"rules": [{"host": 7, "http": {"paths": [{"backend": {}}]}}]}})"));
  EXPECT_EQ(object.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(object.status().message()),
            "Ingress shop/web: spec.rules[0].host: expected a string, got number; "
            "Ingress shop/web: spec.rules[0].http.paths[0].backend.service: is required");
}

TEST(DecodeObjectTest, NotAnObject) {
  absl::StatusOr<Object> object = DecodeObject(nlohmann::json::array());
  EXPECT_EQ(object.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(object.status().message()), "expected an object, got array");
}

}  // namespace
}  // namespace contour::k8s
