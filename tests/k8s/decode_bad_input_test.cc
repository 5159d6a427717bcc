// Bad input: every row puts one broken document between two valid Services and expects the
// exact messages, with both neighbours still decoded.
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

constexpr char kBefore[] = R"(apiVersion: v1
kind: Service
metadata: {name: before}
spec: {ports: [{port: 80}]}
)";
constexpr char kAfter[] = R"(apiVersion: v1
kind: Service
metadata: {name: after}
spec: {ports: [{port: 80}]}
)";

struct BadInputCase {
  std::string name;
  std::string document;  // becomes document 1 of bad.yaml
  std::vector<std::string> errors;
  std::vector<std::string> warnings = {};
};

std::string Nested(int depth) {
  std::string value;
  for (int i = 0; i < depth; ++i) value += "{a: ";
  value += "1";
  for (int i = 0; i < depth; ++i) value += "}";
  return value;
}

std::vector<BadInputCase> BadInputCases() {
  return {
      {"MalformedYaml",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n   bad: [\n",
       {"bad.yaml: document 1: invalid YAML at line 10, column 7: illegal map value"}},
      {"UnclosedQuote",
       "apiVersion: v1\nkind: Service\nmetadata: {name: \"broken}\n",
       {"bad.yaml: document 1: invalid YAML at line 9, column 1: end of map flow not found"}},
      {"TopLevelScalar",
       "just a string\n",
       {"bad.yaml: document 1: expected an object, got string"}},
      {"TopLevelList", "- a\n- b\n", {"bad.yaml: document 1: expected an object, got array"}},
      {"IngressServicePortArray",
       R"(apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http:
      paths:
      - backend: {serviceName: web, servicePort: [80]}
)",
       {"bad.yaml: document 1: Ingress default/web: "
        "spec.rules[0].http.paths[0].backend.servicePort: expected an integer or a string, got "
        "array"}},
      {"ServicePortString",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: "80"}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[0].port: expected an integer, got "
        "string"}},
      {"FractionalPort",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80.5}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[0].port: expected an integer, got "
        "80.5"}},
      {"PortPastInt64",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 1e30}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[0].port: integer 1e+30 is out of "
        "range for int64"}},
      {"TargetPortPastInt32",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80, targetPort: 4294967296}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[0].targetPort: integer 4294967296 "
        "is out of range for int32"}},
      {"WrongTypesEverywhere",
       R"(apiVersion: contour.heptio.com/v1beta1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec:
  virtualhost: {fqdn: [a], tls: "yes"}
  routes:
  - match: /
    enableWebsockets: "true"
    services: {name: web}
  - 7
status: {currentStatus: 1}
)",
       {"bad.yaml: document 1: IngressRoute shop/web: spec.virtualhost.fqdn: expected a string, "
        "got array",
        "bad.yaml: document 1: IngressRoute shop/web: spec.virtualhost.tls: expected an object, "
        "got string",
        "bad.yaml: document 1: IngressRoute shop/web: spec.routes[0].services: expected an array, "
        "got object",
        "bad.yaml: document 1: IngressRoute shop/web: spec.routes[0].enableWebsockets: expected a "
        "boolean, got string",
        "bad.yaml: document 1: IngressRoute shop/web: spec.routes[1]: expected an object, got "
        "number",
        "bad.yaml: document 1: IngressRoute shop/web: status.currentStatus: expected a string, "
        "got number"}},
      {"LabelValueNotAString",
       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels:\n"
       "    tier: 1\n",
       {"bad.yaml: document 1: Secret default/s: metadata.labels.tier: expected a string, got "
        "number"}},
      {"MissingName",
       "apiVersion: v1\nkind: Service\nmetadata: {namespace: shop}\n",
       {"bad.yaml: document 1: Service: metadata.name: is required"}},
      {"MissingMetadata",
       "apiVersion: v1\nkind: Endpoints\n",
       {"bad.yaml: document 1: Endpoints: metadata.name: is required"}},
      {"MissingServicePort",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, targetPort: 8080}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[0].port: is required"}},
      {"MissingV1beta1Backend",
       R"(apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: web}
spec:
  backend: {}
  rules:
  - http: {paths: [{path: /}]}
)",
       {"bad.yaml: document 1: Ingress default/web: spec.backend.serviceName: is required",
        "bad.yaml: document 1: Ingress default/web: spec.backend.servicePort: is required",
        "bad.yaml: document 1: Ingress default/web: spec.rules[0].http.paths[0].backend: is "
        "required"}},
      {"MissingV1BackendParts",
       R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web}}
  rules:
  - http:
      paths:
      - backend: {service: {port: {number: 80}}}
      - backend: {service: {name: web, port: {}}}
      - backend: {service: {name: web, port: {number: 80, name: http}}}
      - backend: {resource: {kind: Bucket, name: b}}
)",
       {"bad.yaml: document 1: Ingress default/web: spec.defaultBackend.service.port: is required",
        "bad.yaml: document 1: Ingress default/web: "
        "spec.rules[0].http.paths[0].backend.service.name: is required",
        "bad.yaml: document 1: Ingress default/web: "
        "spec.rules[0].http.paths[1].backend.service.port: is required",
        "bad.yaml: document 1: Ingress default/web: "
        "spec.rules[0].http.paths[2].backend.service.port: only one of number and name may be "
        "set",
        "bad.yaml: document 1: Ingress default/web: spec.rules[0].http.paths[3].backend.service: "
        "is required"}},
      {"NegativeServicePort",
       R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}, {port: -1}]}
)",
       {"bad.yaml: document 1: Service default/web: spec.ports[1].port: must be between 1 and "
        "65535, got -1"}},
      {"EndpointsPortTooLarge",
       R"(apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets: [{ports: [{port: 70000}, {name: missing}]}]
)",
       {"bad.yaml: document 1: Endpoints default/web: subsets[0].ports[0].port: must be between 1 "
        "and 65535, got 70000",
        "bad.yaml: document 1: Endpoints default/web: subsets[0].ports[1].port: is required"}},
      {"NameNotASubdomain",
       "apiVersion: v1\nkind: Service\nmetadata: {name: Web_1}\n",
       {"bad.yaml: document 1: Service default/Web_1: metadata.name: \"Web_1\" is not a lowercase "
        "RFC 1123 subdomain"}},
      {"NameTooLong",
       "apiVersion: v1\nkind: Service\nmetadata: {name: " + std::string(254, 'a') + "}\n",
       {"bad.yaml: document 1: Service default/" + std::string(253, 'a') +
        "...: metadata.name: must be no more than 253 characters"}},
      {"NamespaceNotALabel",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a.b}\n",
       {"bad.yaml: document 1: Service a.b/web: metadata.namespace: \"a.b\" is not a lowercase RFC "
        "1123 label"}},
      {"AnnotationsTooLarge",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    a: " +
           std::string(200 * 1024, 'x') + "\n    b: " + std::string(100 * 1024, 'y') + "\n",
       {"bad.yaml: document 1: Service default/web: metadata.annotations: must have at most "
        "262144 bytes in total, got 307202"}},
      {"TenMegabyteString",
       "apiVersion: v1\nkind: Secret\nmetadata: {name: huge}\nstringData:\n  blob: " +
           std::string(10 * 1024 * 1024, 'z') + "\n",
       {"bad.yaml: document 1: Secret default/huge: object is larger than the API server's limit "
        "of 3145728 bytes (3 MiB)"}},
      {"InvalidBase64",
       R"(apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data:
  tls.crt: "not base64!"
  tls.key: YWJj=
  ok: YWJj
)",
       {"bad.yaml: document 1: Secret default/tls: data.tls.crt: invalid base64",
        "bad.yaml: document 1: Secret default/tls: data.tls.key: invalid base64"}},
      {"DeepNesting",
       "apiVersion: v1\nkind: Service\nmetadata: {name: deep}\nextra: " + Nested(100) + "\n",
       {"bad.yaml: document 1: line 9, column 260: document is nested deeper than 64 levels"}},
      {"MissingKindAndApiVersion",
       "metadata: {name: web}\n",
       {"bad.yaml: document 1: default/web: apiVersion: is required",
        "bad.yaml: document 1: default/web: kind: is required"}},
      {"KindNotAString",
       "apiVersion: v1\nkind: [Service]\nmetadata: {name: web}\n",
       {"bad.yaml: document 1: default/web: kind: expected a string, got array"}},
      {"UnknownKind",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
       {},
       {"bad.yaml: document 1: Deployment default/web: kind: unsupported kind \"Deployment\" "
        "(apps/v1), skipped"}},
      {"UnknownIngressVersion",
       "apiVersion: networking.k8s.io/v2\nkind: Ingress\nmetadata: {name: web}\n",
       {},
       {"bad.yaml: document 1: Ingress default/web: apiVersion: \"networking.k8s.io/v2\" is not "
        "supported for kind Ingress, skipped"}},
      {"ListItemsNotAnArray",
       "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
       {"bad.yaml: document 1: List: items: expected an array, got object"}},
      {"ErrorsAreCappedPerObject",
       [] {
         std::string doc =
             "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n";
         for (int i = 0; i < 12; ++i) doc += "  - {port: 0}\n";
         return doc;
       }(),
       [] {
         std::vector<std::string> errors;
         for (int i = 0; i < 10; ++i) {
           errors.push_back("bad.yaml: document 1: Service default/web: spec.ports[" +
                            std::to_string(i) + "].port: must be between 1 and 65535, got 0");
         }
         return errors;
       }()},
  };
}

class DecodeBadInputTest : public ::testing::TestWithParam<BadInputCase> {};

TEST_P(DecodeBadInputTest, ReportsTheProblemAndKeepsTheNeighbours) {
  const BadInputCase& c = GetParam();
  std::string stream = std::string(kBefore) + "---\n" + c.document + "---\n" + kAfter;
  DecodeResult result = DecodeManifests(stream, "bad.yaml");
  EXPECT_EQ(IssueStrings(result.errors), c.errors);
  EXPECT_EQ(IssueStrings(result.warnings), c.warnings);
  EXPECT_THAT(ObjectNames(result), ElementsAre("Service default/before", "Service default/after"));
}

INSTANTIATE_TEST_SUITE_P(BadInput, DecodeBadInputTest, ::testing::ValuesIn(BadInputCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace contour::k8s
