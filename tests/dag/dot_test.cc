// DagToDot: Contour's /debug/dag picture of a built DAG, byte for byte, with our stable node ids.
#include "dag/dot.h"

#include <algorithm>
#include <string>
#include <vector>

#include "dag/builder.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {
namespace {

using namespace dagtest;  // NOLINT: test object constructors
using namespace irtest;   // NOLINT: IngressRoute constructors

k8s::Ingress IngressFor(const std::string& host, const std::string& path,
                        const std::string& service) {
  k8s::Ingress ingress;
  ingress.metadata = Meta("default", "ingress");
  ingress.rules.push_back(Rule(host, {Path(path, Backend(service, PortNumber(8080)))}));
  return ingress;
}

// An Ingress for foo.com, a TLS IngressRoute for example.com that splits / over one Service, and
// a TLS IngressRoute for kuard.example.com that proxies TCP; both roots share one secret.
std::vector<k8s::Object> SmallCluster() {
  return {
      HttpService("default", "kuard"),
      HttpService("default", "kuarder"),
      TlsSecret("default", "secret"),
      IngressFor("foo.com", "/", "kuard"),
      WithTls(IR("default", "example-com", "example.com",
                 {RouteTo("/", {Svc("kuard", 8080, 90), Svc("kuard", 8080, 10)})}),
              "secret"),
      WithTcpProxy(WithTls(IR("default", "kuard-tcp", "kuard.example.com"), "secret"),
                   {Svc("kuarder", 8080)}),
  };
}

// Read as Contour's visit: a node when first reached, its subtree, then the edge to it.
constexpr char kSmallClusterDot[] = R"(digraph DAG {
rankdir="LR"
"n0" [shape=record, label="{listener|:80}"]
"n1" [shape=record, label="{http://example.com}"]
"n2" [shape=record, label="{prefix|/}"]
"n3" [shape=record, label="{cluster|{default/kuard/8080|weight 90}}"]
"n4" [shape=record, label="{httpservice|default/kuard:8080}"]
"n3" -> "n4"
"n2" -> "n3"
"n5" [shape=record, label="{cluster|{default/kuard/8080|weight 10}}"]
"n5" -> "n4"
"n2" -> "n5"
"n1" -> "n2"
"n0" -> "n1"
"n6" [shape=record, label="{http://foo.com}"]
"n7" [shape=record, label="{prefix|/}"]
"n8" [shape=record, label="{cluster|{default/kuard/8080|weight 0}}"]
"n8" -> "n4"
"n7" -> "n8"
"n6" -> "n7"
"n0" -> "n6"
"n9" [shape=record, label="{listener|:443}"]
"n10" [shape=record, label="{https://example.com}"]
"n11" [shape=record, label="{prefix|/}"]
"n12" [shape=record, label="{cluster|{default/kuard/8080|weight 90}}"]
"n12" -> "n4"
"n11" -> "n12"
"n13" [shape=record, label="{cluster|{default/kuard/8080|weight 10}}"]
"n13" -> "n4"
"n11" -> "n13"
"n10" -> "n11"
"n14" [shape=record, label="{secret|default/secret}"]
"n10" -> "n14"
"n9" -> "n10"
"n15" [shape=record, label="{https://kuard.example.com}"]
"n16" [shape=record, label="{tcpproxy}"]
"n17" [shape=record, label="{cluster|{default/kuarder/8080|weight 0}}"]
"n18" [shape=record, label="{tcpservice|default/kuarder:8080}"]
"n17" -> "n18"
"n16" -> "n17"
"n15" -> "n16"
"n15" -> "n14"
"n9" -> "n15"
}
)";

TEST(DagToDotTest, SmallClusterGolden) {
  EXPECT_EQ(DagToDot(BuildFrom(SmallCluster())), kSmallClusterDot);
}

TEST(DagToDotTest, EmptyDagHasNoNodes) {
  EXPECT_EQ(DagToDot(Dag{}), "digraph DAG {\nrankdir=\"LR\"\n}\n");
}

TEST(DagToDotTest, IdenticalInputsGiveIdenticalText) {
  const std::string first = DagToDot(BuildFrom(SmallCluster()));
  const std::string second = DagToDot(BuildFrom(SmallCluster()));
  EXPECT_EQ(first, second);
  // Nor does the order the objects arrived in matter.
  std::vector<k8s::Object> reversed = SmallCluster();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(DagToDot(BuildFrom(reversed)), first);
}

TEST(DagToDotTest, ClusterNamerLabelsClusters) {
  const Dag dag = BuildFrom({HttpService("default", "kuard"), IngressFor("foo.com", "/", "kuard")});
  const std::string dot =
      DagToDot(dag, [](const Cluster& c) { return "cds|" + c.upstream->name + "/<hash>"; });
  EXPECT_NE(dot.find(R"("n3" [shape=record, label="{cluster|{cds\|kuard/\<hash\>|weight 0}}"])"),
            std::string::npos)
      << dot;
}

struct EscapeRow {
  std::string name;
  std::string text;
  std::string want;
};

TEST(DagToDotTest, EscapeDotRecordLabel) {
  const std::vector<EscapeRow> rows = {
      {"plain", "default/kuard:8080", "default/kuard:8080"},
      {"empty", "", ""},
      {"braces", "/{id}", R"(/\{id\})"},
      {"bar", "/(a|b)", R"(/(a\|b))"},
      {"angles", "<port>", R"(\<port\>)"},
      {"quote", R"(say "hi")", R"(say \"hi\")"},
      {"backslash", R"(a\.b\)", R"(a\\.b\\)"},
      {"newline", "a\nb", R"(a\nb)"},
      {"kept", "^/api/[a-z]+ *%", "^/api/[a-z]+ *%"},
  };
  for (const EscapeRow& row : rows) {
    EXPECT_EQ(EscapeDotRecordLabel(row.text), row.want) << row.name;
  }
}

TEST(DagToDotTest, RouteLabelsAreEscaped) {
  // '*' makes Contour treat an Ingress path as a regex.
  const Dag dag = BuildFrom(
      {HttpService("default", "kuard"), IngressFor("foo.com", R"(/v1/{id}|"x"<y>\.*)", "kuard")});
  const std::string dot = DagToDot(dag);
  EXPECT_NE(dot.find(R"("n2" [shape=record, label="{regex|/v1/\{id\}\|\"x\"\<y\>\\.*}"])"),
            std::string::npos)
      << dot;
}

}  // namespace
}  // namespace contour::dag
