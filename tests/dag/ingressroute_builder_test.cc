// dag::Build with IngressRoutes: Contour v0.15.3's TestDAGInsert IngressRoute rows (names kept,
// fixtures rebuilt: ir1 = default/example-com for example.com → kuard:8080, and so on), then a row
// for every status string and rule of contour.md §5. Each row states the whole DAG (one line per
// vhost, route and tcp proxy; ingressroute_test_objects.h) and every status.
#include <algorithm>
#include <cctype>
#include <ostream>
#include <string>
#include <vector>

#include "dag/builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/dag/dag_test_objects.h"
#include "tests/dag/ingressroute_test_objects.h"

namespace contour::dag {
namespace {

using namespace dagtest;  // NOLINT: test object constructors
using namespace irtest;   // NOLINT: IngressRoute constructors

constexpr char kUpstreamTls[] = "contour.heptio.com/upstream-protocol.tls";
constexpr char kOrphaned[] =
    "orphaned: this IngressRoute is not part of a delegation chain from a root IngressRoute";

struct Row {
  std::string name;
  std::vector<k8s::Object> objects;
  std::vector<std::string> want_dag;
  std::vector<std::string> want_statuses;
  bool disable_permit_insecure = false;
  std::vector<std::string> root_namespaces;
};

// gtest prints a failing row by its name rather than its bytes.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

// --- fixtures shared by several rows (Contour's names) ---
k8s::Service S1() { return HttpService("default", "kuard"); }
k8s::Service S1a() { return HttpService("default", "kuard", 8080, {{kUpstreamTls, "8080"}}); }
k8s::Service S2() { return HttpService("default", "kuarder"); }
k8s::Secret Sec1() { return TlsSecret("default", "secret"); }
k8s::Secret Cert1() { return CaSecret("default", "ca"); }

k8s::IngressRoute Ir1() {
  return IR("default", "example-com", "example.com", {RouteTo("/", {Svc("kuard", 8080)})});
}

k8s::IngressRoute RootWith(k8s::IngressRouteRoute route, const std::string& fqdn = "example.com") {
  return IR("default", "example-com", fqdn, {std::move(route)});
}

k8s::IngressRouteRoute WithTimeout(k8s::IngressRouteRoute route, const std::string& request) {
  route.timeout_policy = k8s::TimeoutPolicy{request};
  return route;
}

k8s::IngressRouteRoute WithRetry(k8s::IngressRouteRoute route, int64_t count,
                                 const std::string& per_try) {
  route.retry_policy = k8s::RetryPolicy{count, per_try};
  return route;
}

k8s::IngressRouteRoute Websocket(k8s::IngressRouteRoute route) {
  route.enable_websockets = true;
  return route;
}

k8s::IngressRouteRoute Insecure(k8s::IngressRouteRoute route) {
  route.permit_insecure = true;
  return route;
}

k8s::IngressRouteRoute Rewrite(k8s::IngressRouteRoute route, const std::string& to) {
  route.prefix_rewrite = to;
  return route;
}

k8s::IngressRouteService WithHealthCheck(k8s::IngressRouteService service, k8s::HealthCheck hc) {
  service.health_check = std::move(hc);
  return service;
}

k8s::IngressRouteService WithValidation(k8s::IngressRouteService service, const std::string& ca,
                                        const std::string& subject) {
  service.validation = k8s::UpstreamValidation{ca, subject};
  return service;
}

// The tcp proxy rows' root: kuard.example.com, TLS by secret (or passthrough when "").
k8s::IngressRoute TcpRoot(const std::string& secret, std::vector<k8s::IngressRouteService> services,
                          std::optional<k8s::Delegate> delegate = std::nullopt) {
  k8s::IngressRoute root = IR("default", "kuard-tcp", "kuard.example.com");
  root = WithTls(std::move(root), secret, "", /*passthrough=*/secret.empty());
  return WithTcpProxy(std::move(root), std::move(services), std::move(delegate));
}

k8s::Ingress IngressFor(const std::string& host, const std::string& service) {
  k8s::Ingress ingress;
  ingress.metadata = Meta("default", "ingress");
  ingress.rules.push_back(Rule(host, {Path("/", Backend(service, PortNumber(8080)))}));
  return ingress;
}

const char kValidExample[] = "default/example-com valid: valid IngressRoute @example.com";
const char kValidFoo[] = "default/example-com valid: valid IngressRoute @foo.com";
const char kValidTcp[] = "default/kuard-tcp valid: valid IngressRoute @kuard.example.com";

std::vector<Row> ContourInsertRows() {
  return {
      {"insert ingressroute",
       {Ir1(), S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"insert ingressroute w/ healthcheck",
       {RootWith(RouteTo("/", {WithHealthCheck(Svc("kuard", 8080), {.path = "/healthz"})})), S1()},
       {"http example.com prefix:/ -> default/kuard:8080"
        "{hc /healthz contour-envoy-healthcheck 10/2/3/2 given 0/0/0/0}"},
       {kValidExample}},
      {"insert ingressroute with websocket route",  // Contour's fixture ir11: a prefix rewrite
       {IR("default", "example-com", "example.com",
           {RouteTo("/", {Svc("kuard", 8080)}),
            Rewrite(RouteTo("/websocket", {Svc("kuard", 8080)}), "/")}),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080",
        "http example.com prefix:/websocket -> default/kuard:8080 rewrite=/"},
       {kValidExample}},
      {"insert ingressroute with tcp forward with TLS termination",
       {[] {
          k8s::IngressRoute ir = TcpRoot("secret", {Svc("kuard", 8080)});
          ir.routes = {RouteTo("/", {Svc("kuard", 8080)})};  // ignored: the tcpproxy wins
          return ir;
        }(),
        S1(), Sec1()},
       {"https kuard.example.com secret=default/secret tls=1.1",
        "https kuard.example.com tcpproxy -> default/kuard:8080"},
       {kValidTcp}},
      {"insert ingressroute with tcp forward without TLS termination w/ passthrough",
       {TcpRoot("", {Svc("kuard", 8080)}), S1()},
       {"https kuard.example.com secret=none tls=1.1",
        "https kuard.example.com tcpproxy -> default/kuard:8080"},
       {kValidTcp}},
      {"insert root ingress route and delegate ingress route for a tcp proxy",
       {WithTcpProxy(IR("marketing", "kuard-tcp", std::nullopt), {Svc("kuard", 8080)}),
        HttpService("marketing", "kuard"),
        TcpRoot("", {}, k8s::Delegate{"kuard-tcp", "marketing"})},
       {"https kuard.example.com secret=none tls=1.1",
        "https kuard.example.com tcpproxy -> marketing/kuard:8080"},
       {kValidTcp, "marketing/kuard-tcp valid: valid IngressRoute @kuard.example.com"}},
      {"insert ingressroute with prefix rewrite route",  // Contour's fixture ir10: a websocket
       {IR("default", "example-com", "example.com",
           {RouteTo("/", {Svc("kuard", 8080)}),
            Websocket(RouteTo("/websocket", {Svc("kuard", 8080)}))}),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080",
        "http example.com prefix:/websocket -> default/kuard:8080 websocket"},
       {kValidExample}},
      {"insert ingressroute with multiple upstreams prefix rewrite route, websocket routes are "
       "dropped",
       {IR("default", "example-com", "example.com",
           {RouteTo("/", {Svc("kuard", 8080)}),
            Websocket(RouteTo("/websocket", {Svc("kuard", 8080), Svc("kuard", 8080)}))}),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {"default/example-com invalid: route \"/websocket\": cannot specify multiple services and "
        "enable websockets @example.com"}},
      {"insert ingressroute without tls version",
       {WithTls(RootWith(RouteTo("/", {Svc("kuard", 8080)}), "foo.com"), "secret"), S1(), Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080 redirect",
        "https foo.com secret=default/secret tls=1.1",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo}},
      {"insert ingressroute with TLS one insecure",
       {WithTls(RootWith(Insecure(RouteTo("/", {Svc("kuard", 8080)})), "foo.com"), "secret"), S1(),
        Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080",
        "https foo.com secret=default/secret tls=1.1",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo}},
      {"insert ingressroute with TLS one insecure - disablePermitInsecure=true",
       {WithTls(RootWith(Insecure(RouteTo("/", {Svc("kuard", 8080)})), "foo.com"), "secret"), S1(),
        Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080 redirect",
        "https foo.com secret=default/secret tls=1.1",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo},
       /*disable_permit_insecure=*/true},
      {"insert ingressroute with tls version 1.2",
       {WithTls(RootWith(RouteTo("/", {Svc("kuard", 8080)}), "foo.com"), "secret", "1.2"), S1(),
        Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080 redirect",
        "https foo.com secret=default/secret tls=1.2",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo}},
      {"insert ingressroute with tls version 1.3",
       {WithTls(RootWith(RouteTo("/", {Svc("kuard", 8080)}), "foo.com"), "secret", "1.3"), S1(),
        Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080 redirect",
        "https foo.com secret=default/secret tls=1.3",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo}},
      {"insert ingressroute with invalid tls version",
       {WithTls(RootWith(RouteTo("/", {Svc("kuard", 8080)}), "foo.com"), "secret", "0.9999"), S1(),
        Sec1()},
       {"http foo.com prefix:/ -> default/kuard:8080 redirect",
        "https foo.com secret=default/secret tls=1.1",
        "https foo.com prefix:/ -> default/kuard:8080"},
       {kValidFoo}},
      {"insert ingressroute referencing two backends, one missing",
       {RootWith(RouteTo("/", {Svc("kuard", 8080), Svc("kuarder", 8080)})), S2()},
       {},
       {"default/example-com invalid: Service [kuard:8080] is invalid or missing"}},
      {"insert ingressroute referencing two backends",
       {RootWith(RouteTo("/", {Svc("kuard", 8080), Svc("kuarder", 8080)})), S1(), S2()},
       {"http example.com prefix:/ -> default/kuard:8080,default/kuarder:8080"},
       {kValidExample}},
      {"insert ingressroute w/ invalid timeoutpolicy",
       {RootWith(WithTimeout(RouteTo("/", {Svc("kuard", 8080)}), "peanut"), "bar.com"), S1()},
       {"http bar.com prefix:/ -> default/kuard:8080 timeout=infinity"},
       {"default/example-com valid: valid IngressRoute @bar.com"}},
      {"insert ingressroute w/ valid timeoutpolicy",
       {RootWith(WithTimeout(RouteTo("/", {Svc("kuard", 8080)}), "1m30s"), "bar.com"), S1()},
       {"http bar.com prefix:/ -> default/kuard:8080 timeout=1m30s"},
       {"default/example-com valid: valid IngressRoute @bar.com"}},
      {"insert ingressroute w/ infinite timeoutpolicy",
       {RootWith(WithTimeout(RouteTo("/", {Svc("kuard", 8080)}), "infinite"), "bar.com"), S1()},
       {"http bar.com prefix:/ -> default/kuard:8080 timeout=infinity"},
       {"default/example-com valid: valid IngressRoute @bar.com"}},
      {"insert ingressroute w/ missing tls annotation",
       {Cert1(), RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"insert ingressroute w/ missing certificate",
       {RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})), S1a()},
       {"http example.com prefix:/ -> default/kuard:8080(tls)"},
       {"default/example-com invalid: route \"/\": service \"kuard\": upstreamValidation "
        "requested but secret not found or misconfigured @example.com"}},
      {"insert ingressroute expecting verification",
       {Cert1(), RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})),
        S1a()},
       {"http example.com prefix:/ -> default/kuard:8080(tls){ca ca example.com}"},
       {kValidExample}},
      {"insert root ingress route and delegate ingress route",
       {IR("operations", "marketing-admin", std::nullopt,
           {RouteTo("/blog/admin", {Svc("blog-admin", 8080)})}),
        HttpService("marketing", "blog"),
        IR("marketing", "blog", std::nullopt,
           {RouteTo("/blog", {Svc("blog", 8080)}),
            DelegateTo("/blog/admin", "marketing-admin", "operations")}),
        HttpService("operations", "blog-admin"),
        IR("default", "example-com", "example.com", {DelegateTo("/blog", "blog", "marketing")})},
       {"http example.com prefix:/blog -> marketing/blog:8080",
        "http example.com prefix:/blog/admin -> operations/blog-admin:8080"},
       {kValidExample, "marketing/blog valid: valid IngressRoute @example.com",
        "operations/marketing-admin valid: valid IngressRoute @example.com"}},
      {"insert ingressroute with two routes to the same service",
       {IR("default", "example-com", "example.com",
           {RouteTo("/a", {Svc("kuard", 8080, 90)}), RouteTo("/b", {Svc("kuard", 8080, 60)})}),
        S1()},
       {"http example.com prefix:/a -> default/kuard:8080*90",
        "http example.com prefix:/b -> default/kuard:8080*60"},
       {kValidExample}},
      {"insert ingressroute with one routes to the same service with two different weights",
       {RootWith(RouteTo("/a", {Svc("kuard", 8080, 90), Svc("kuard", 8080, 60)})), S1()},
       {"http example.com prefix:/a -> default/kuard:8080*90,default/kuard:8080*60"},
       {kValidExample}},
      {"ingressroute delegated to non existent object",
       {RootWith(DelegateTo("/finance", "non-existent", "non-existent"))},
       {},
       {kValidExample}},
      {"ingressroute delegates to itself",
       {RootWith(DelegateTo("/finance", "example-com", "default"))},
       {},
       {"default/example-com invalid: route creates a delegation cycle: default/example-com -> "
        "default/example-com @example.com"}},
      {"ingressroute delegates to incorrect prefix",
       {RootWith(DelegateTo("/finance", "finance-root", "finance")),
        IR("finance", "finance-root", std::nullopt,
           {RouteTo("/prefixDoesntMatch", {Svc("home", 0)})})},
       {},
       {kValidExample,
        "finance/finance-root invalid: the path prefix \"/prefixDoesntMatch\" does not match the "
        "parent's path prefix \"/finance\" @example.com"}},
      {"ingressroute delegate to prefix, but no matching path in delegate",
       {RootWith(DelegateTo("/foo", "finance-root", "finance")),
        IR("finance", "finance-root", std::nullopt,
           {RouteTo("/foobar", {Svc("home", 0)}), RouteTo("/foo/bar", {Svc("home", 0)})})},
       {},
       {kValidExample,
        "finance/finance-root invalid: the path prefix \"/foobar\" does not match the parent's "
        "path prefix \"/foo\" @example.com"}},
      {"ingressroute cycle",
       {RootWith(DelegateTo("/finance", "finance-root", "finance")),
        IR("finance", "finance-root", std::nullopt,
           {RouteTo("/finance", {Svc("home", 8080)}),
            DelegateTo("/finance/stocks", "example-com", "default")}),
        HttpService("finance", "home")},
       {"http example.com prefix:/finance -> finance/home:8080"},
       {kValidExample,
        "finance/finance-root invalid: route creates a delegation cycle: default/example-com -> "
        "finance/finance-root -> default/example-com @example.com"}},
  };
}

// Roots, fqdns, namespaces and TLS.
std::vector<Row> RootRows() {
  return {
      {"duplicate fqdn invalidates every root using it; their delegates stay orphaned",
       {IR("ns2", "b", "example.com", {RouteTo("/", {Svc("kuard", 8080)})}),
        IR("ns1", "a", "example.com", {DelegateTo("/", "child")}),
        IR("ns1", "child", std::nullopt, {RouteTo("/", {Svc("kuard", 8080)})}),
        IR("ns1", "c", "other.com", {RouteTo("/", {Svc("kuard", 8080)})}),
        HttpService("ns1", "kuard"), HttpService("ns2", "kuard")},
       {"http other.com prefix:/ -> ns1/kuard:8080"},
       {"ns1/a invalid: fqdn \"example.com\" is used in multiple IngressRoutes: ns1/a, ns2/b "
        "@example.com",
        "ns1/c valid: valid IngressRoute @other.com", std::string("ns1/child ") + kOrphaned,
        "ns2/b invalid: fqdn \"example.com\" is used in multiple IngressRoutes: ns1/a, ns2/b "
        "@example.com"}},
      {"fqdns differing only in case are different (v0.15)",
       {IR("default", "lower", "example.com", {RouteTo("/", {Svc("kuard", 8080)})}),
        IR("default", "upper", "Example.com", {RouteTo("/", {Svc("kuard", 8080)})}), S1()},
       {"http Example.com prefix:/ -> default/kuard:8080",
        "http example.com prefix:/ -> default/kuard:8080"},
       {"default/lower valid: valid IngressRoute @example.com",
        "default/upper valid: valid IngressRoute @Example.com"}},
      {"two roots without an fqdn conflict on the empty fqdn",
       {IR("default", "a", "", {RouteTo("/", {Svc("kuard", 8080)})}),
        IR("default", "b", "", {RouteTo("/", {Svc("kuard", 8080)})}), S1()},
       {},
       {"default/a invalid: fqdn \"\" is used in multiple IngressRoutes: default/a, default/b",
        "default/b invalid: fqdn \"\" is used in multiple IngressRoutes: default/a, default/b"}},
      {"blank fqdn",
       {RootWith(RouteTo("/", {Svc("kuard", 8080)}), "  "), S1()},
       {},
       {"default/example-com invalid: Spec.VirtualHost.Fqdn must be specified"}},
      {"wildcard fqdn",
       {RootWith(RouteTo("/", {Svc("kuard", 8080)}), "*.example.com"), S1()},
       {},
       {"default/example-com invalid: Spec.VirtualHost.Fqdn \"*.example.com\" cannot use "
        "wildcards @*.example.com"}},
      {"root outside the root namespaces; a delegate outside them is fine",
       {IR("other", "root", "other.com", {RouteTo("/", {Svc("kuard", 8080)})}),
        IR("roots", "root", "example.com", {DelegateTo("/", "child", "other")}),
        IR("other", "child", std::nullopt, {RouteTo("/", {Svc("kuard", 8080)})}),
        HttpService("other", "kuard")},
       {"http example.com prefix:/ -> other/kuard:8080"},
       {"other/child valid: valid IngressRoute @example.com",
        "other/root invalid: root IngressRoute cannot be defined in this namespace",
        "roots/root valid: valid IngressRoute @example.com"},
       false,
       {"roots"}},
      {"root namespaces also scope secrets: a delegate's CA outside them is not found",
       {WithTls(IR("roots", "root", "example.com", {DelegateTo("/", "child", "team")}), "secret"),
        TlsSecret("roots", "secret"),
        IR("team", "child", std::nullopt,
           {RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})}),
        CaSecret("team", "ca"), HttpService("team", "kuard", 8080, {{kUpstreamTls, "8080"}})},
       {"http example.com prefix:/ -> team/kuard:8080(tls) redirect",
        "https example.com secret=roots/secret tls=1.1",
        "https example.com prefix:/ -> team/kuard:8080(tls)"},
       {"roots/root valid: valid IngressRoute @example.com",
        "team/child invalid: route \"/\": service \"kuard\": upstreamValidation requested but "
        "secret not found or misconfigured @example.com"},
       false,
       {"roots"}},
      {"root namespace checked before the fqdn",
       {IR("other", "root", "", {RouteTo("/", {Svc("kuard", 8080)})})},
       {},
       {"other/root invalid: root IngressRoute cannot be defined in this namespace"},
       false,
       {"roots"}},
      {"missing TLS secret: invalid, but the routes are served on port 80 without redirect",
       {WithTls(Ir1(), "missing"), S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {"default/example-com invalid: TLS Secret [missing] not found or is malformed"}},
      {"missing TLS secret status wins over a later route error",
       {WithTls(IR("default", "example-com", "example.com",
                   {RouteTo("/", {Svc("kuard", 8080)}), RouteTo("/bad", {Svc("kuard", 0)})}),
                "missing"),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {"default/example-com invalid: TLS Secret [missing] not found or is malformed"}},
      {"TLS secret from another namespace with a delegation",
       {WithTls(Ir1(), "certs/wildcard", "1.2"), S1(), TlsSecret("certs", "wildcard"),
        Delegation("certs", "delegation", "wildcard", {"default"})},
       {"http example.com prefix:/ -> default/kuard:8080 redirect",
        "https example.com secret=certs/wildcard tls=1.2",
        "https example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"TLS secret from another namespace delegated to *",
       {WithTls(Ir1(), "certs/wildcard"), S1(), TlsSecret("certs", "wildcard"),
        Delegation("certs", "delegation", "wildcard", {"*"})},
       {"http example.com prefix:/ -> default/kuard:8080 redirect",
        "https example.com secret=certs/wildcard tls=1.1",
        "https example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      // Contour v0.15.3 would find the secret and say "valid"; our cache does not keep a secret
      // that no one may use, so it is "not found".
      // Contour v0.15.3: the secret is found, the delegation check fails quietly, the routes are
      // served over plain HTTP and the root is valid.
      {"TLS secret from another namespace without a delegation",
       {WithTls(Ir1(), "certs/wildcard"), S1(), TlsSecret("certs", "wildcard")},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"TLS secret that is not kubernetes.io/tls",
       {WithTls(Ir1(), "opaque"), S1(),
        MakeSecret("default", "opaque", "Opaque", {{"ca.crt", Pem("rsa.crt")}})},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {"default/example-com invalid: TLS Secret [opaque] not found or is malformed"}},
      {"orphan",
       {IR("default", "child", std::nullopt, {RouteTo("/", {Svc("kuard", 8080)})}), S1()},
       {},
       {std::string("default/child ") + kOrphaned}},
      {"IngressRoute replaces an Ingress route for the same host and prefix",
       {IngressFor("example.com", "kuarder"), Ir1(), S1(), S2()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"IngressRoute routes join an Ingress's TLS vhost for the same host",
       {[] {
          k8s::Ingress ingress = IngressFor("example.com", "kuarder");
          ingress.tls.push_back(Tls({"example.com"}, "secret"));
          return ingress;
        }(),
        RootWith(RouteTo("/ir", {Svc("kuard", 8080)})), S1(), S2(), Sec1()},
       {"http example.com prefix:/ -> default/kuarder:8080",
        "http example.com prefix:/ir -> default/kuard:8080",
        "https example.com secret=default/secret tls=1.1",
        "https example.com prefix:/ -> default/kuarder:8080",
        "https example.com prefix:/ir -> default/kuard:8080"},
       {kValidExample}},
  };
}

// Delegation, tcp proxies and route options.
std::vector<Row> RouteRows() {
  const k8s::IngressRoute tls_root =
      WithTls(IR("roots", "root", "example.com", {DelegateTo("/", "mid", "team-a")}), "secret");
  return {
      {"delegation depth 3 across namespaces under TLS; permitInsecure at the leaf",
       {tls_root, TlsSecret("roots", "secret"),
        IR("team-a", "mid", std::nullopt,
           {RouteTo("/", {Svc("web", 80)}), DelegateTo("/api", "leaf", "team-b")}),
        IR("team-b", "leaf", std::nullopt,
           {RouteTo("/api", {Svc("api", 80)}), Insecure(RouteTo("/api/public", {Svc("api", 80)}))}),
        HttpService("team-a", "web", 80), HttpService("team-b", "api", 80)},
       {"http example.com prefix:/ -> team-a/web:80 redirect",
        "http example.com prefix:/api -> team-b/api:80 redirect",
        "http example.com prefix:/api/public -> team-b/api:80",
        "https example.com secret=roots/secret tls=1.1",
        "https example.com prefix:/ -> team-a/web:80",
        "https example.com prefix:/api -> team-b/api:80",
        "https example.com prefix:/api/public -> team-b/api:80"},
       {"roots/root valid: valid IngressRoute @example.com",
        "team-a/mid valid: valid IngressRoute @example.com",
        "team-b/leaf valid: valid IngressRoute @example.com"}},
      {"delegate namespace defaults to the delegating object's; prefix with trailing slash",
       {IR("default", "root", "example.com", {DelegateTo("/app/", "child")}),
        IR("default", "child", std::nullopt, {RouteTo("/app", {Svc("kuard", 8080)})}), S1()},
       {"http example.com prefix:/app -> default/kuard:8080"},
       {"default/child valid: valid IngressRoute @example.com",
        "default/root valid: valid IngressRoute @example.com"}},
      {"three-object cycle: status on the object that closes it",
       {IR("default", "a", "example.com", {DelegateTo("/", "b")}),
        IR("default", "b", std::nullopt, {DelegateTo("/", "c")}),
        IR("default", "c", std::nullopt, {DelegateTo("/", "b")})},
       {},
       {"default/a valid: valid IngressRoute @example.com",
        "default/b valid: valid IngressRoute @example.com",
        "default/c invalid: route creates a delegation cycle: default/a -> default/b -> default/c "
        "-> default/b @example.com"}},
      {"route with services and a delegate",
       {RootWith([] {
          k8s::IngressRouteRoute route = RouteTo("/foo", {Svc("kuard", 8080)});
          route.delegate = k8s::Delegate{"child", ""};
          return route;
        }()),
        S1()},
       {},
       {"default/example-com invalid: route \"/foo\": cannot specify services and delegate in "
        "the same route @example.com"}},
      {"port out of range",
       {IR("default", "example-com", "example.com",
           {RouteTo("/", {Svc("kuard", 8080)}), RouteTo("/big", {Svc("kuard", 65536)})}),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {"default/example-com invalid: route \"/big\": service \"kuard\": port must be in the "
        "range 1-65535 @example.com"}},
      {"negative weight",
       {RootWith(RouteTo("/", {Svc("kuard", 8080, -1)})), S1()},
       {},
       {"default/example-com invalid: route \"/\": service \"kuard\": weight must be greater than "
        "or equal to zero @example.com"}},
      {"all weights zero are kept as written (the translator splits evenly)",
       {RootWith(RouteTo("/", {Svc("kuard", 8080), Svc("kuarder", 8080)})), S1(), S2()},
       {"http example.com prefix:/ -> default/kuard:8080,default/kuarder:8080"},
       {kValidExample}},
      {"strategies",
       {IR("default", "example-com", "example.com",
           {RouteTo("/cookie", {Svc("kuard", 8080, 0, "Cookie")}),
            RouteTo("/random", {Svc("kuard", 8080, 0, "Random")}),
            RouteTo("/wlr", {Svc("kuard", 8080, 3, "WeightedLeastRequest"),
                             Svc("kuarder", 8080, 1, "RoundRobin")})}),
        S1(), S2()},
       {"http example.com prefix:/cookie -> default/kuard:8080[Cookie]",
        "http example.com prefix:/random -> default/kuard:8080[Random]",
        "http example.com prefix:/wlr -> default/kuard:8080*3[WeightedLeastRequest],"
        "default/kuarder:8080*1[RoundRobin]"},
       {kValidExample}},
      {"health check with every field set",
       {RootWith(
            RouteTo("/", {WithHealthCheck(Svc("kuard", 8080), {.path = "/healthz",
                                                               .host = "probe.local",
                                                               .interval_seconds = 5,
                                                               .timeout_seconds = 3,
                                                               .unhealthy_threshold_count = 4,
                                                               .healthy_threshold_count = 1})})),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"
        "{hc /healthz probe.local 5/3/4/1 given 5/3/4/1}"},
       {kValidExample}},
      {"health check with negative values falls back to the defaults",
       {RootWith(
            RouteTo("/", {WithHealthCheck(Svc("kuard", 8080), {.path = "/hz",
                                                               .interval_seconds = -5,
                                                               .timeout_seconds = -1,
                                                               .unhealthy_threshold_count = -4,
                                                               .healthy_threshold_count = -1})})),
        S1()},
       {"http example.com prefix:/ -> default/kuard:8080"
        "{hc /hz contour-envoy-healthcheck 10/2/3/2 given 0/0/0/0}"},
       {kValidExample}},
      {"websocket with one service",
       {RootWith(Websocket(RouteTo("/ws", {Svc("kuard", 8080)}))), S1()},
       {"http example.com prefix:/ws -> default/kuard:8080 websocket"},
       {kValidExample}},
      {"timeouts: empty and 0s leave Envoy's default; infinity",
       {IR("default", "example-com", "example.com",
           {WithTimeout(RouteTo("/empty", {Svc("kuard", 8080)}), ""),
            WithTimeout(RouteTo("/zero", {Svc("kuard", 8080)}), "0s"),
            WithTimeout(RouteTo("/inf", {Svc("kuard", 8080)}), "infinity")}),
        S1()},
       {"http example.com prefix:/empty -> default/kuard:8080",
        "http example.com prefix:/inf -> default/kuard:8080 timeout=infinity",
        "http example.com prefix:/zero -> default/kuard:8080"},
       {kValidExample}},
      {"retry policies",
       {IR("default", "example-com", "example.com",
           {WithRetry(RouteTo("/six", {Svc("kuard", 8080)}), 6, "10s"),
            WithRetry(RouteTo("/please", {Svc("kuard", 8080)}), 6, "please"),
            WithRetry(RouteTo("/zero", {Svc("kuard", 8080)}), 0, "10s"),
            WithRetry(RouteTo("/negative", {Svc("kuard", 8080)}), -3, "-1s")}),
        S1()},
       {"http example.com prefix:/negative -> default/kuard:8080 retry=5xx/1/0",
        "http example.com prefix:/please -> default/kuard:8080 retry=5xx/6/0",
        "http example.com prefix:/six -> default/kuard:8080 retry=5xx/6/10s",
        "http example.com prefix:/zero -> default/kuard:8080 retry=5xx/1/10s"},
       {kValidExample}},
      {"upstream validation without a subject name",
       {Cert1(), RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "")})), S1a()},
       {"http example.com prefix:/ -> default/kuard:8080(tls)"},
       {"default/example-com invalid: route \"/\": service \"kuard\": upstreamValidation "
        "requested but subject alt name not found or misconfigured @example.com"}},
      {"upstream validation CA must be in the IngressRoute's namespace",
       {CaSecret("other", "ca"),
        RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})), S1a()},
       {"http example.com prefix:/ -> default/kuard:8080(tls)"},
       {"default/example-com invalid: route \"/\": service \"kuard\": upstreamValidation "
        "requested but secret not found or misconfigured @example.com"}},
      {"tcpproxy without TLS is ignored; routes are used",
       {WithTcpProxy(Ir1(), {Svc("kuard", 8080)}), S1()},
       {"http example.com prefix:/ -> default/kuard:8080"},
       {kValidExample}},
      {"passthrough counts only without a secretName",
       {[] {
          k8s::IngressRoute ir = TcpRoot("missing", {Svc("kuard", 8080)});
          ir.virtualhost->tls->passthrough = true;
          ir.routes = {RouteTo("/", {Svc("kuard", 8080)})};
          return ir;
        }(),
        S1()},
       {"http kuard.example.com prefix:/ -> default/kuard:8080"},
       {"default/kuard-tcp invalid: TLS Secret [missing] not found or is malformed"}},
      {"tcpproxy with several services; weights not read",
       {TcpRoot("", {Svc("kuard", 8080, 5, "Random"), Svc("kuarder", 8080, 7)}), S1(), S2()},
       {"https kuard.example.com secret=none tls=1.1",
        "https kuard.example.com tcpproxy -> default/kuard:8080[Random],default/kuarder:8080"},
       {kValidTcp}},
      {"tcpproxy with services and a delegate",
       {TcpRoot("", {Svc("kuard", 8080)}, k8s::Delegate{"other", ""}), S1()},
       {},
       {"default/kuard-tcp invalid: tcpproxy: cannot specify services and delegate in the same "
        "tcpproxy @kuard.example.com"}},
      {"tcpproxy service not found",
       {TcpRoot("", {Svc("missing", 8080)})},
       {},
       {"default/kuard-tcp invalid: tcpproxy: service default/missing/8080: not found "
        "@kuard.example.com"}},
      {"terminated tcpproxy whose service is missing keeps the secure vhost",
       {TcpRoot("secret", {Svc("missing", 8080)}), Sec1()},
       {"https kuard.example.com secret=default/secret tls=1.1"},
       {"default/kuard-tcp invalid: tcpproxy: service default/missing/8080: not found "
        "@kuard.example.com"}},
      {"tcpproxy cycle",
       {TcpRoot("", {}, k8s::Delegate{"child", ""}),
        WithTcpProxy(IR("default", "child", std::nullopt), {}, k8s::Delegate{"kuard-tcp", ""})},
       {},
       {"default/child invalid: tcpproxy creates a delegation cycle: default/kuard-tcp -> "
        "default/child -> default/kuard-tcp @kuard.example.com",
        kValidTcp}},
      {"tcpproxy delegate to a missing object is ignored",
       {TcpRoot("", {}, k8s::Delegate{"nobody", "nowhere"})},
       {},
       {kValidTcp}},
      // v0.15.3 dereferences null here; we treat the missing tcpproxy as an empty one.
      {"tcpproxy delegate to an object without a tcpproxy",
       {TcpRoot("", {}, k8s::Delegate{"child", ""}),
        IR("default", "child", std::nullopt, {RouteTo("/", {Svc("kuard", 8080)})}), S1()},
       {},
       {kValidTcp}},
  };
}

class IngressRouteBuildTest : public testing::TestWithParam<Row> {};

TEST_P(IngressRouteBuildTest, DagAndStatuses) {
  const Row& row = GetParam();
  CacheConfig cache_config;
  cache_config.root_namespaces = row.root_namespaces;
  BuilderConfig builder_config;
  builder_config.disable_permit_insecure = row.disable_permit_insecure;
  const Dag dag = BuildFrom(row.objects, cache_config, builder_config);
  EXPECT_EQ(DescribeDag(dag), row.want_dag);
  EXPECT_EQ(DescribeStatuses(dag), row.want_statuses);
}

std::string RowName(const testing::TestParamInfo<Row>& info) {
  std::string name;
  for (char c : info.param.name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(ContourInsert, IngressRouteBuildTest,
                         testing::ValuesIn(ContourInsertRows()), RowName);
INSTANTIATE_TEST_SUITE_P(Roots, IngressRouteBuildTest, testing::ValuesIn(RootRows()), RowName);
INSTANTIATE_TEST_SUITE_P(Routes, IngressRouteBuildTest, testing::ValuesIn(RouteRows()), RowName);

TEST(IngressRouteBuildTest, ValidationCarriesTheCaCertificate) {
  const Dag dag = BuildFrom(
      {Cert1(), RootWith(RouteTo("/", {WithValidation(Svc("kuard", 8080), "ca", "example.com")})),
       S1a()});
  const Route& route = dag.http_hosts.at("example.com").routes.at("prefix:/");
  ASSERT_EQ(route.clusters.size(), 1u);
  ASSERT_TRUE(route.clusters[0].validation.has_value());
  EXPECT_EQ(route.clusters[0].validation->ca_certificate, Pem("rsa.crt"));
}

TEST(IngressRouteBuildTest, RoutesShareServiceNodes) {
  const Dag dag =
      BuildFrom({IR("default", "example-com", "example.com",
                    {RouteTo("/a", {Svc("kuard", 8080)}), RouteTo("/b", {Svc("kuard", 8080)})}),
                 S1()});
  const VirtualHost& vhost = dag.http_hosts.at("example.com");
  EXPECT_EQ(vhost.routes.at("prefix:/a").clusters[0].upstream,
            vhost.routes.at("prefix:/b").clusters[0].upstream);
}

TEST(IngressRouteBuildTest, OutputDoesNotDependOnInsertOrder) {
  std::vector<k8s::Object> objects = {
      IR("ns2", "b", "b.com", {DelegateTo("/", "shared", "common")}),
      IR("ns1", "a", "a.com", {DelegateTo("/", "shared", "common")}),
      IR("common", "shared", std::nullopt, {RouteTo("/", {Svc("kuard", 8080)})}),
      HttpService("common", "kuard")};
  const Dag forward = BuildFrom(objects);
  std::reverse(objects.begin(), objects.end());
  const Dag backward = BuildFrom(objects);
  EXPECT_EQ(DescribeDag(forward), DescribeDag(backward));
  EXPECT_EQ(DescribeStatuses(forward), DescribeStatuses(backward));
  // The first root in namespace/name order gives the shared delegate its vhost.
  EXPECT_THAT(DescribeStatuses(forward),
              testing::Contains("common/shared valid: valid IngressRoute @a.com"));
}

}  // namespace
}  // namespace contour::dag
