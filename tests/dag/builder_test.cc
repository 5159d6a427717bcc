// dag::Build with Ingresses: Contour's TestDAGInsert Ingress rows (names kept) and our additions.
// Each row's objects go through the cache (with the wanted secrets re-supplied, as the sources
// do), then Build; the DAG is compared as one line per vhost and route with the fields that
// matter to the row.
#include "dag/builder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"

namespace contour::dag {
namespace {

using namespace dagtest;  // NOLINT: test object constructors

std::string DescribeService(const Service& s) {
  std::string out = absl::StrCat(s.namespace_, "/", s.name, ":", s.port);
  switch (s.protocol) {
    case UpstreamProtocol::kH2:
      absl::StrAppend(&out, "(h2)");
      break;
    case UpstreamProtocol::kH2c:
      absl::StrAppend(&out, "(h2c)");
      break;
    case UpstreamProtocol::kTls:
      absl::StrAppend(&out, "(tls)");
      break;
    case UpstreamProtocol::kHttp1:
      break;
  }
  if (s.circuit_breakers.Any()) {
    const CircuitBreakers& cb = s.circuit_breakers;
    absl::StrAppend(&out, "{cb ", cb.max_connections, "/", cb.max_pending_requests, "/",
                    cb.max_requests, "/", cb.max_retries, "}");
  }
  if (!s.external_name.empty()) absl::StrAppend(&out, "{external ", s.external_name, "}");
  return out;
}

std::string DescribeRoute(const std::string& key, const Route& r) {
  std::vector<std::string> clusters;
  for (const Cluster& c : r.clusters) clusters.push_back(DescribeService(*c.upstream));
  std::string out = absl::StrCat(key, " -> ", absl::StrJoin(clusters, ","));
  if (r.https_redirect) absl::StrAppend(&out, " redirect");
  if (r.websocket) absl::StrAppend(&out, " websocket");
  switch (r.timeout.kind) {
    case Timeout::Kind::kInfinite:
      absl::StrAppend(&out, " timeout=infinity");
      break;
    case Timeout::Kind::kValue:
      absl::StrAppend(&out, " timeout=", absl::FormatDuration(r.timeout.value));
      break;
    case Timeout::Kind::kDefault:
      break;
  }
  if (r.retry) {
    absl::StrAppend(&out, " retry=", r.retry->retry_on, "/", r.retry->num_retries, "/",
                    absl::FormatDuration(r.retry->per_try_timeout));
  }
  return out;
}

std::vector<std::string> Describe(const Dag& dag) {
  std::vector<std::string> lines;
  for (const auto& [name, vhost] : dag.http_hosts) {
    EXPECT_EQ(vhost.name, name);
    for (const auto& [key, route] : vhost.routes) {
      lines.push_back(absl::StrCat("http ", name, " ", DescribeRoute(key, route)));
    }
  }
  for (const auto& [name, vhost] : dag.https_hosts) {
    EXPECT_EQ(vhost.host.name, name);
    const char* tls = vhost.min_tls_version == TlsVersion::k1_3   ? "1.3"
                      : vhost.min_tls_version == TlsVersion::k1_2 ? "1.2"
                                                                  : "1.1";
    std::string secret =
        vhost.secret ? absl::StrCat(vhost.secret->namespace_, "/", vhost.secret->name) : "none";
    lines.push_back(absl::StrCat("https ", name, " secret=", secret, " tls=", tls));
    for (const auto& [key, route] : vhost.host.routes) {
      lines.push_back(absl::StrCat("https ", name, " ", DescribeRoute(key, route)));
    }
  }
  return lines;
}

struct BuildCase {
  std::string name;
  std::vector<k8s::Object> objects;
  std::vector<std::string> want;
};

k8s::Ingress MakeIngress(const std::string& name, Annotations annotations = {},
                         const std::string& namespace_ = "default") {
  k8s::Ingress ingress;
  ingress.metadata = Meta(namespace_, name, std::move(annotations));
  return ingress;
}

k8s::Ingress WithDefaultBackend(k8s::Ingress ingress, k8s::IngressBackend backend) {
  ingress.default_backend = std::move(backend);
  return ingress;
}

k8s::Ingress WithRule(k8s::Ingress ingress, k8s::IngressRule rule) {
  ingress.rules.push_back(std::move(rule));
  return ingress;
}

k8s::Ingress WithTls(k8s::Ingress ingress, k8s::IngressTLS tls) {
  ingress.tls.push_back(std::move(tls));
  return ingress;
}

const char kAllowHttp[] = "kubernetes.io/ingress.allow-http";
const char kForceSsl[] = "ingress.kubernetes.io/force-ssl-redirect";

std::vector<BuildCase> Cases() {
  const k8s::Service s1 = MakeService("default", "kuard", {Port("http", 8080)});
  const k8s::Service s1b = MakeService("default", "kuard", {Port("http", 8080)},
                                       {{"contour.heptio.com/max-connections", "9000"},
                                        {"contour.heptio.com/max-pending-requests", "4096"},
                                        {"contour.heptio.com/max-requests", "404"},
                                        {"contour.heptio.com/max-retries", "7"}});
  const k8s::Service s2 = MakeService("default", "kuarder", {Port("http", 8080)});
  const k8s::Service s3 = MakeService("default", "kuard", {Port("http", 9999)});
  auto s3_with = [](const std::string& protocol) {
    return MakeService("default", "kuard", {Port("http", 80)},
                       {{"contour.heptio.com/upstream-protocol." + protocol, "80,http"}});
  };
  const k8s::Secret sec1 = TlsSecret("default", "secret");
  const k8s::Secret sec2 = MakeSecret("default", "secret", "kubernetes.io/tls",
                                      {{"tls.crt", "wrong"}, {"tls.key", "wronger"}});
  k8s::Secret sec3 = sec1;
  sec3.data["ca.crt"] = "";  // cert-manager's blank ca.crt, issue 1644

  const k8s::IngressBackend kuard8080 = Backend("kuard", PortNumber(8080));
  const k8s::IngressBackend kuard_http = Backend("kuard", PortName("http"));
  const k8s::IngressBackend kuarder8080 = Backend("kuarder", PortNumber(8080));

  const k8s::Ingress i1 = WithDefaultBackend(MakeIngress("kuard"), kuard8080);
  const k8s::Ingress i1a =
      WithDefaultBackend(MakeIngress("kuard", {{kAllowHttp, "false"}}), kuard8080);
  const k8s::Ingress i2 = WithRule(MakeIngress("kuard"), Rule("", {Path("", kuard8080)}));
  const k8s::Ingress i2a = WithRule(MakeIngress("kuard"), Rule("test1.test.com", {}));
  const k8s::Ingress i3 =
      WithTls(WithRule(MakeIngress("kuard"), Rule("kuard.example.com", {Path("", kuard8080)})),
              Tls({"kuard.example.com"}, "secret"));
  const k8s::Ingress i4 = WithDefaultBackend(MakeIngress("kuard"), kuard_http);
  const k8s::Ingress i5 = WithRule(MakeIngress("kuard"), Rule("", {Path("", kuard_http)}));
  auto two_vhosts = [&](Annotations annotations) {
    return WithTls(WithRule(WithRule(MakeIngress("two-vhosts", std::move(annotations)),
                                     Rule("a.example.com", {Path("", kuard8080)})),
                            Rule("b.example.com", {Path("", kuard_http)})),
                   Tls({"b.example.com"}, "secret"));
  };
  const k8s::Ingress i6 = two_vhosts({});
  const k8s::Ingress i6a = two_vhosts({{kAllowHttp, "false"}});
  auto one_tls_vhost = [&](Annotations annotations) {
    return WithTls(WithRule(MakeIngress("two-vhosts", std::move(annotations)),
                            Rule("b.example.com", {Path("", kuard_http)})),
                   Tls({"b.example.com"}, "secret"));
  };
  const k8s::Ingress i6b = one_tls_vhost({{kForceSsl, "true"}});
  const k8s::Ingress i6c = one_tls_vhost({{kForceSsl, "true"}, {kAllowHttp, "false"}});
  const k8s::Ingress i7 = WithTls(
      WithRule(MakeIngress("two-paths"),
               Rule("b.example.com", {Path("", kuard_http), Path("/kuarder", kuarder8080)})),
      Tls({"b.example.com"}, "secret"));
  auto two_rules = [&](Annotations annotations) {
    return WithTls(WithRule(WithRule(MakeIngress("two-rules", std::move(annotations)),
                                     Rule("b.example.com", {Path("", kuard_http)})),
                            Rule("b.example.com", {Path("/kuarder", kuarder8080)})),
                   Tls({"b.example.com"}, "secret"));
  };
  const k8s::Ingress i8 = two_rules({});
  const k8s::Ingress i9 = two_rules({{kAllowHttp, "false"}});
  const k8s::Ingress i10 =
      one_tls_vhost({{"contour.heptio.com/tls-minimum-protocol-version", "1.3"}});
  const k8s::Ingress i11 =
      WithRule(MakeIngress("websocket", {{"contour.heptio.com/websocket-routes", "/ws1 , /ws2"}}),
               Rule("", {Path("", kuard_http), Path("/ws1", kuard_http)}));
  auto with_annotations = [&](Annotations annotations) {
    return WithRule(MakeIngress("timeout", std::move(annotations)),
                    Rule("", {Path("/", kuard_http)}));
  };
  const k8s::Ingress i13a =
      WithTls(WithRule(MakeIngress("app", {{kForceSsl, "true"}}),
                       Rule("example.com", {Path("/", Backend("app-service", PortNumber(8080)))})),
              Tls({"example.com"}, "example-tls"));
  const std::string challenge =
      "/.well-known/acme-challenge/gVJl5NWL2owUqZekjHkt_bo3OHYC2XNDURRRgLI5JTk";
  const k8s::Ingress i13b = WithRule(
      MakeIngress("challenge", {}, "nginx-ingress"),
      Rule("example.com", {Path(challenge, Backend("challenge-service", PortNumber(8009)))}));
  const k8s::Service s13a = MakeService("default", "app-service", {Port("http", 8080)});
  const k8s::Service s13b = MakeService("nginx-ingress", "challenge-service", {Port("http", 8009)});
  const k8s::Ingress i3a =
      WithRule(MakeIngress("kuard"), Rule("", {Path("", Backend("kuard", PortNumber(80)))}));
  const k8s::Ingress i15 =
      WithRule(MakeIngress("regex"), Rule("", {Path("/[^/]+/invoices(/.*|/?)", kuard_http)}));

  const std::string root = "http * prefix:/ -> default/kuard:8080";
  const std::string kuard_vhost = "http kuard.example.com prefix:/ -> default/kuard:8080";
  const std::string b_root = "http b.example.com prefix:/ -> default/kuard:8080";
  const std::string b_kuarder = "http b.example.com prefix:/kuarder -> default/kuarder:8080";
  const std::string sb = "https b.example.com secret=default/secret tls=1.1";
  const std::string sb_root = "https b.example.com prefix:/ -> default/kuard:8080";
  const std::string sb_kuarder = "https b.example.com prefix:/kuarder -> default/kuarder:8080";

  return {
      // --- Contour's TestDAGInsert, Ingress rows ---
      {"insert_ingress_w_default_backend_wo_matching_service", {i1}, {}},
      {"insert_ingress_w_default_backend", {i1, s1}, {root}},
      {"insert_ingress_w_single_unnamed_backend_wo_matching_service", {i2}, {}},
      {"insert_ingress_w_single_unnamed_backend", {i2, s1}, {root}},
      {"insert_ingress_with_missing_spec_rule_http_key", {i2a}, {}},
      {"insert_ingress_w_host_name_and_single_backend_wo_matching_service", {i3}, {}},
      {"insert_ingress_w_host_name_and_single_backend", {i3, s1}, {kuard_vhost}},
      {"insert_non_matching_service_then_ingress_w_default_backend", {s2, i1}, {}},
      {"insert_ingress_w_default_backend_then_matching_service_with_wrong_port", {i1, s3}, {}},
      {"insert_unnamed_ingress_w_single_backend_then_matching_service_with_wrong_port",
       {i2, s3},
       {}},
      {"insert_ingress_w_default_backend_then_matching_service_w_named_port", {i4, s1}, {root}},
      {"insert_service_w_named_port_then_ingress_w_default_backend", {s1, i4}, {root}},
      {"insert_ingress_w_single_unnamed_backend_w_named_service_port_then_service",
       {i5, s1},
       {root}},
      {"insert_service_then_ingress_w_single_unnamed_backend_w_named_service_port",
       {s1, i5},
       {root}},
      {"insert_secret", {sec1}, {}},
      {"insert_secret_then_ingress_wo_tls", {sec1, i1}, {}},
      {"insert_service_secret_then_ingress_wo_tls", {s1, sec1, i1}, {root}},
      {"insert_secret_then_ingress_w_tls",
       {sec1, i3},
       {"https kuard.example.com secret=default/secret tls=1.1"}},
      {"insert_service_secret_then_ingress_w_tls",
       {s1, sec1, i3},
       {kuard_vhost, "https kuard.example.com secret=default/secret tls=1.1",
        "https kuard.example.com prefix:/ -> default/kuard:8080"}},
      {"insert_service_w_secret_with_w_blank_ca_crt",
       {s1, sec3, i3},
       {kuard_vhost, "https kuard.example.com secret=default/secret tls=1.1",
        "https kuard.example.com prefix:/ -> default/kuard:8080"}},
      {"insert_invalid_secret_then_ingress_wo_tls", {sec2, i1}, {}},
      {"insert_service_invalid_secret_then_ingress_wo_tls", {s1, sec2, i1}, {root}},
      {"insert_invalid_secret_then_ingress_w_tls", {sec2, i3}, {}},
      {"insert_service_invalid_secret_then_ingress_w_tls", {s1, sec2, i3}, {kuard_vhost}},
      {"insert_ingress_w_two_vhosts", {i6}, {}},
      {"insert_ingress_w_two_vhosts_then_matching_service",
       {i6, s1},
       {"http a.example.com prefix:/ -> default/kuard:8080", b_root}},
      {"insert_service_then_ingress_w_two_vhosts",
       {s1, i6},
       {"http a.example.com prefix:/ -> default/kuard:8080", b_root}},
      {"insert_ingress_w_two_vhosts_then_service_then_secret",
       {i6, s1, sec1},
       {"http a.example.com prefix:/ -> default/kuard:8080", b_root, sb, sb_root}},
      {"insert_service_then_secret_then_ingress_w_two_vhosts",
       {s1, sec1, i6},
       {"http a.example.com prefix:/ -> default/kuard:8080", b_root, sb, sb_root}},
      {"insert_ingress_w_two_paths_then_one_service", {i7, s1}, {b_root}},
      {"insert_ingress_w_two_paths_then_services", {i7, s2, s1}, {b_root, b_kuarder}},
      {"insert_two_services_then_ingress_w_two_ingress_rules", {s1, s2, i8}, {b_root, b_kuarder}},
      {"insert_ingress_w_two_paths_http_allowed_false", {i9}, {}},
      {"insert_ingress_w_two_paths_http_allowed_false_then_tls_and_service",
       {i9, sec1, s1, s2},
       {sb, sb_root, sb_kuarder}},
      {"insert_default_ingress_http_allowed_false", {i1a}, {}},
      {"insert_default_ingress_http_allowed_false_then_tls_and_service", {i1a, sec1, s1}, {}},
      {"insert_ingress_w_two_vhosts_http_allowed_false", {i6a}, {}},
      {"insert_ingress_w_two_vhosts_http_allowed_false_then_tls_and_service",
       {i6a, sec1, s1},
       {sb, sb_root}},
      {"insert_ingress_w_force_ssl_redirect_true",
       {i6b, sec1, s1},
       {b_root + " redirect", sb, sb_root}},
      {"insert_ingress_w_force_ssl_redirect_true_and_allow_http_false",
       {i6c, sec1, s1},
       {b_root + " redirect", sb, sb_root}},
      {"insert_ingress_w_tls_min_proto_annotation",
       {i10, sec1, s1},
       {b_root, "https b.example.com secret=default/secret tls=1.3", sb_root}},
      {"insert_ingress_w_websocket_route_annotation",
       {i11, s1},
       {root, "http * prefix:/ws1 -> default/kuard:8080 websocket"}},
      {"insert_ingress_w_invalid_timeout_annotation",
       {with_annotations({{"contour.heptio.com/request-timeout", "peanut"}}), s1},
       {root + " timeout=infinity"}},
      {"insert_ingress_w_valid_timeout_annotation",
       {with_annotations({{"contour.heptio.com/request-timeout", "1m30s"}}), s1},
       {root + " timeout=1m30s"}},
      {"insert_ingress_w_infinite_timeout_annotation",
       {with_annotations({{"contour.heptio.com/request-timeout", "infinite"}}), s1},
       {root + " timeout=infinity"}},
      {"insert_ingress_with_retry_annotations",
       {with_annotations({{"contour.heptio.com/retry-on", "gateway-error"},
                          {"contour.heptio.com/num-retries", "6"},
                          {"contour.heptio.com/per-try-timeout", "10s"}}),
        s1},
       {root + " retry=gateway-error/6/10s"}},
      {"insert_ingress_with_regex_route",
       {i15, s1},
       {"http * regex:/[^/]+/invoices(/.*|/?) -> default/kuard:8080"}},
      {"insert_ingress_overlay",
       {i13a, i13b, TlsSecret("default", "example-tls"), s13a, s13b},
       {"http example.com prefix:/ -> default/app-service:8080 redirect",
        "http example.com prefix:" + challenge + " -> nginx-ingress/challenge-service:8009",
        "https example.com secret=default/example-tls tls=1.1",
        "https example.com prefix:/ -> default/app-service:8080",
        "https example.com prefix:" + challenge + " -> nginx-ingress/challenge-service:8009"}},
      {"h2c_service_annotation",
       {i3a, s3_with("h2c")},
       {"http * prefix:/ -> default/kuard:80(h2c)"}},
      {"h2_service_annotation", {i3a, s3_with("h2")}, {"http * prefix:/ -> default/kuard:80(h2)"}},
      {"tls_service_annotation",
       {i3a, s3_with("tls")},
       {"http * prefix:/ -> default/kuard:80(tls)"}},
      {"insert_ingress_then_service_w_upstream_annotations",
       {i1, s1b},
       {"http * prefix:/ -> default/kuard:8080{cb 9000/4096/404/7}"}},

      // --- Beyond Contour's table ---
      {"request_timeout_zero_is_default",
       {with_annotations({{"contour.heptio.com/request-timeout", "0s"}}), s1},
       {root}},
      {"request_timeout_infinity",
       {with_annotations({{"contour.heptio.com/request-timeout", "infinity"}}), s1},
       {root + " timeout=infinity"}},
      {"retry_with_invalid_per_try_timeout_and_count",
       {with_annotations({{"contour.heptio.com/retry-on", "5xx"},
                          {"contour.heptio.com/num-retries", "x"},
                          {"contour.heptio.com/per-try-timeout", "peanut"}}),
        s1},
       {root + " retry=5xx/0/0"}},
      {"num_retries_without_retry_on_ignored",
       {with_annotations({{"contour.heptio.com/num-retries", "3"}}), s1},
       {root}},
      {"tls_minimum_protocol_1_2_and_unknown",
       {one_tls_vhost({{"contour.heptio.com/tls-minimum-protocol-version", "1.2"}}), sec1, s1},
       {b_root, "https b.example.com secret=default/secret tls=1.2", sb_root}},
      {"v1_exact_path_type",
       {WithRule(MakeIngress("exact"), Rule("", {Path("/exact", kuard_http, "Exact"),
                                                 Path("/prefix", kuard_http, "Prefix")})),
        s1},
       {"http * exact:/exact -> default/kuard:8080",
        "http * prefix:/prefix -> default/kuard:8080"}},
      {"regex_characters_each_make_a_regex",
       {WithRule(MakeIngress("chars"), Rule("", {Path("/a^", kuard_http), Path("/b+", kuard_http),
                                                 Path("/c*", kuard_http), Path("/d[", kuard_http),
                                                 Path("/e]", kuard_http), Path("/f%", kuard_http),
                                                 Path("/g.h", kuard_http)})),
        s1},
       {"http * prefix:/g.h -> default/kuard:8080", "http * regex:/a^ -> default/kuard:8080",
        "http * regex:/b+ -> default/kuard:8080", "http * regex:/c* -> default/kuard:8080",
        "http * regex:/d[ -> default/kuard:8080", "http * regex:/e] -> default/kuard:8080",
        "http * regex:/f% -> default/kuard:8080"}},
      {"service_port_number_as_string",
       {WithDefaultBackend(MakeIngress("kuard"), Backend("kuard", PortName("8080"))), s1},
       {root}},
      {"missing_port_skips_only_that_path",
       {WithRule(MakeIngress("kuard"),
                 Rule("", {Path("/ok", kuard8080), Path("/bad", Backend("kuard", PortNumber(1)))})),
        s1},
       {"http * prefix:/ok -> default/kuard:8080"}},
      {"later_ingress_by_name_overwrites_same_host_and_path",
       {WithDefaultBackend(MakeIngress("b"), kuarder8080),
        WithDefaultBackend(MakeIngress("a"), kuard8080), s1, s2},
       {"http * prefix:/ -> default/kuarder:8080"}},
      {"rule_and_default_backend_same_path_default_backend_last",
       {WithDefaultBackend(WithRule(MakeIngress("kuard"), Rule("", {Path("/", kuarder8080)})),
                           kuard8080),
        s1, s2},
       {root}},
      {"secure_vhost_not_for_star_host",
       {WithTls(WithDefaultBackend(MakeIngress("kuard"), kuard8080), Tls({"*"}, "secret")), sec1,
        s1},
       {root, "https * secret=default/secret tls=1.1"}},
      {"force_ssl_redirect_without_secret_still_redirects", {i6b, s1}, {b_root + " redirect"}},
      {"tls_delegation_across_namespaces",
       {WithTls(WithRule(MakeIngress("kuard", {}, "extra"),
                         Rule("b.example.com", {Path("", Backend("kuard", PortNumber(8080)))})),
                Tls({"b.example.com"}, "default/secret")),
        MakeService("extra", "kuard", {Port("http", 8080)}), sec1,
        Delegation("default", "delegation", "secret", {"extra"})},
       {"http b.example.com prefix:/ -> extra/kuard:8080", sb,
        "https b.example.com prefix:/ -> extra/kuard:8080"}},
      {"tls_delegation_wildcard",
       {WithTls(WithRule(MakeIngress("kuard", {}, "extra"),
                         Rule("b.example.com", {Path("", Backend("kuard", PortNumber(8080)))})),
                Tls({"b.example.com"}, "default/secret")),
        MakeService("extra", "kuard", {Port("http", 8080)}), sec1,
        Delegation("default", "delegation", "secret", {"*"})},
       {"http b.example.com prefix:/ -> extra/kuard:8080", sb,
        "https b.example.com prefix:/ -> extra/kuard:8080"}},
      {"tls_without_delegation",
       {WithTls(WithRule(MakeIngress("kuard", {}, "extra"),
                         Rule("b.example.com", {Path("", Backend("kuard", PortNumber(8080)))})),
                Tls({"b.example.com"}, "default/secret")),
        MakeService("extra", "kuard", {Port("http", 8080)}), sec1},
       {"http b.example.com prefix:/ -> extra/kuard:8080"}},
      {"tls_delegation_in_wrong_namespace",
       {WithTls(WithRule(MakeIngress("kuard", {}, "extra"),
                         Rule("b.example.com", {Path("", Backend("kuard", PortNumber(8080)))})),
                Tls({"b.example.com"}, "default/secret")),
        MakeService("extra", "kuard", {Port("http", 8080)}), sec1,
        Delegation("extra", "delegation", "secret", {"extra"})},
       {"http b.example.com prefix:/ -> extra/kuard:8080"}},
      {"ca_only_secret_is_no_tls_secret",
       {i3, s1, MakeSecret("default", "secret", "Opaque", {{"ca.crt", Pem("rsa.crt")}})},
       {kuard_vhost}},
      {"ingress_of_other_class_ignored",
       {WithDefaultBackend(MakeIngress("kuard", {{"kubernetes.io/ingress.class", "nginx"}}),
                           kuard8080),
        s1},
       {}},
      {"external_name_service",
       {i1,
        [] {
          k8s::Service s = MakeService("default", "kuard", {Port("http", 8080)});
          s.type = "ExternalName";
          s.external_name = "foo.example.com";
          return s;
        }()},
       {"http * prefix:/ -> default/kuard:8080{external foo.example.com}"}},
  };
}

class BuildIngressTest : public ::testing::TestWithParam<BuildCase> {};

TEST_P(BuildIngressTest, Builds) {
  const BuildCase& c = GetParam();
  KubernetesCache cache(CacheConfig{});
  Fill(cache, c.objects);
  Dag dag = Build(cache, BuilderConfig{});
  EXPECT_THAT(Describe(dag), ::testing::ElementsAreArray(c.want));
  EXPECT_TRUE(dag.statuses.empty());
}

INSTANTIATE_TEST_SUITE_P(Ingress, BuildIngressTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.name; });

TEST(BuildIngressTest, RoutesShareOneServiceNodePerPort) {
  KubernetesCache cache(CacheConfig{});
  Fill(cache, {MakeService("default", "kuard", {Port("http", 8080)}),
               WithRule(MakeIngress("kuard"),
                        Rule("", {Path("/a", Backend("kuard", PortNumber(8080))),
                                  Path("/b", Backend("kuard", PortName("http")))}))});
  Dag dag = Build(cache, BuilderConfig{});
  const VirtualHost& vhost = dag.http_hosts.at("*");
  ASSERT_EQ(vhost.routes.size(), 2u);
  EXPECT_EQ(vhost.routes.at("prefix:/a").clusters[0].upstream,
            vhost.routes.at("prefix:/b").clusters[0].upstream);
  EXPECT_EQ(vhost.routes.at("prefix:/a").clusters[0].upstream->port_name, "http");
}

TEST(BuildIngressTest, SecretPayloadCarried) {
  KubernetesCache cache(CacheConfig{});
  Fill(cache, {TlsSecret("default", "secret"),
               WithTls(MakeIngress("kuard"), Tls({"kuard.example.com"}, "secret"))});
  Dag dag = Build(cache, BuilderConfig{});
  const SecureVirtualHost& vhost = dag.https_hosts.at("kuard.example.com");
  ASSERT_NE(vhost.secret, nullptr);
  EXPECT_EQ(vhost.secret->certificate_chain, Pem("rsa.crt"));
  EXPECT_EQ(vhost.secret->private_key, Pem("rsa.key"));
}

TEST(BuildIngressTest, Deterministic) {
  std::vector<k8s::Object> objects;
  for (int i = 0; i < 20; ++i) {
    const std::string name = "svc" + std::to_string(i);
    objects.push_back(MakeService("default", name, {Port("http", 80)}));
    objects.push_back(
        WithRule(MakeIngress("ing" + std::to_string(i)),
                 Rule("host" + std::to_string(i % 3), {Path("/", Backend(name, PortNumber(80)))})));
  }
  KubernetesCache forward(CacheConfig{});
  KubernetesCache backward(CacheConfig{});
  Fill(forward, objects);
  Fill(backward, std::vector<k8s::Object>(objects.rbegin(), objects.rend()));
  EXPECT_EQ(Describe(Build(forward, BuilderConfig{})), Describe(Build(backward, BuilderConfig{})));
}

}  // namespace
}  // namespace contour::dag
