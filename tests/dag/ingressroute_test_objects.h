// IngressRoute constructors for the dag tests, and a one-line-per-fact description of a Dag and
// its statuses, so that table rows can state exactly what they expect.
#ifndef CONTOUR_TESTS_DAG_INGRESSROUTE_TEST_OBJECTS_H_
#define CONTOUR_TESTS_DAG_INGRESSROUTE_TEST_OBJECTS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "dag/builder.h"
#include "dag/dag.h"
#include "k8s/objects.h"
#include "tests/dag/dag_test_objects.h"

namespace contour::dag::irtest {

inline k8s::IngressRouteService Svc(const std::string& name, int64_t port, int64_t weight = 0,
                                    const std::string& strategy = "") {
  k8s::IngressRouteService service;
  service.name = name;
  service.port = port;
  service.weight = weight;
  service.strategy = strategy;
  return service;
}

inline k8s::IngressRouteRoute RouteTo(const std::string& match,
                                      std::vector<k8s::IngressRouteService> services) {
  k8s::IngressRouteRoute route;
  route.match = match;
  route.services = std::move(services);
  return route;
}

inline k8s::IngressRouteRoute DelegateTo(const std::string& match, const std::string& name,
                                         const std::string& namespace_ = "") {
  k8s::IngressRouteRoute route;
  route.match = match;
  route.delegate = k8s::Delegate{name, namespace_};
  return route;
}

// A root when `fqdn` is set (use "" with AsRoot for a root without an fqdn).
inline k8s::IngressRoute IR(const std::string& namespace_, const std::string& name,
                            std::optional<std::string> fqdn,
                            std::vector<k8s::IngressRouteRoute> routes = {}) {
  k8s::IngressRoute object;
  object.metadata = dagtest::Meta(namespace_, name);
  if (fqdn) object.virtualhost = k8s::VirtualHost{*fqdn, std::nullopt};
  object.routes = std::move(routes);
  return object;
}

inline k8s::IngressRoute WithTls(k8s::IngressRoute object, const std::string& secret_name,
                                 const std::string& min_version = "", bool passthrough = false) {
  object.virtualhost->tls = k8s::TLS{secret_name, min_version, passthrough};
  return object;
}

inline k8s::IngressRoute WithTcpProxy(k8s::IngressRoute object,
                                      std::vector<k8s::IngressRouteService> services,
                                      std::optional<k8s::Delegate> delegate = std::nullopt) {
  object.tcpproxy = k8s::TCPProxy{std::move(services), std::move(delegate)};
  return object;
}

// One Service "ns/name" with one port named "http".
inline k8s::Service HttpService(const std::string& namespace_, const std::string& name,
                                int64_t port = 8080, dagtest::Annotations annotations = {}) {
  return dagtest::MakeService(namespace_, name, {dagtest::Port("http", port)},
                              std::move(annotations));
}

inline std::string DescribeCluster(const Cluster& c) {
  const Service& s = *c.upstream;
  std::string out = absl::StrCat(s.namespace_, "/", s.name, ":", s.port);
  if (s.protocol == UpstreamProtocol::kTls) absl::StrAppend(&out, "(tls)");
  if (c.weight != 0) absl::StrAppend(&out, "*", c.weight);
  if (!c.load_balancer_strategy.empty()) absl::StrAppend(&out, "[", c.load_balancer_strategy, "]");
  if (const auto& hc = c.health_check) {
    absl::StrAppend(&out, "{hc ", hc->path, " ", hc->host, " ", hc->interval_seconds, "/",
                    hc->timeout_seconds, "/", hc->unhealthy_threshold, "/", hc->healthy_threshold,
                    " given ", hc->given_interval_seconds, "/", hc->given_timeout_seconds, "/",
                    hc->given_unhealthy_threshold, "/", hc->given_healthy_threshold, "}");
  }
  if (const auto& uv = c.validation) {
    // The CA's bytes are checked on their own (ingressroute_builder_test.cc).
    absl::StrAppend(&out, "{ca ", uv->ca_secret_name, " ", uv->subject_name, "}");
  }
  return out;
}

inline std::string DescribeClusters(const std::vector<Cluster>& clusters) {
  std::vector<std::string> parts;
  for (const Cluster& c : clusters) parts.push_back(DescribeCluster(c));
  return absl::StrJoin(parts, ",");
}

inline std::string DescribeRoute(const std::string& key, const Route& r) {
  std::string out = absl::StrCat(key, " -> ", DescribeClusters(r.clusters));
  if (r.https_redirect) absl::StrAppend(&out, " redirect");
  if (r.websocket) absl::StrAppend(&out, " websocket");
  if (!r.prefix_rewrite.empty()) absl::StrAppend(&out, " rewrite=", r.prefix_rewrite);
  if (r.timeout.kind == Timeout::Kind::kInfinite) absl::StrAppend(&out, " timeout=infinity");
  if (r.timeout.kind == Timeout::Kind::kValue) {
    absl::StrAppend(&out, " timeout=", absl::FormatDuration(r.timeout.value));
  }
  if (r.retry) {
    absl::StrAppend(&out, " retry=", r.retry->retry_on, "/", r.retry->num_retries, "/",
                    absl::FormatDuration(r.retry->per_try_timeout));
  }
  return out;
}

inline const char* TlsName(TlsVersion v) {
  return v == TlsVersion::k1_3 ? "1.3" : v == TlsVersion::k1_2 ? "1.2" : "1.1";
}

// "http <host> <route>", "https <host> secret=<ns/name|none> tls=<v>", "https <host> <route>",
// "https <host> tcpproxy -> <clusters>".
inline std::vector<std::string> DescribeDag(const Dag& dag) {
  std::vector<std::string> lines;
  for (const auto& [name, vhost] : dag.http_hosts) {
    for (const auto& [key, route] : vhost.routes) {
      lines.push_back(absl::StrCat("http ", name, " ", DescribeRoute(key, route)));
    }
  }
  for (const auto& [name, vhost] : dag.https_hosts) {
    const std::string secret =
        vhost.secret ? absl::StrCat(vhost.secret->namespace_, "/", vhost.secret->name) : "none";
    lines.push_back(
        absl::StrCat("https ", name, " secret=", secret, " tls=", TlsName(vhost.min_tls_version)));
    for (const auto& [key, route] : vhost.host.routes) {
      lines.push_back(absl::StrCat("https ", name, " ", DescribeRoute(key, route)));
    }
    if (vhost.tcp_proxy) {
      lines.push_back(absl::StrCat("https ", name, " tcpproxy -> ",
                                   DescribeClusters(vhost.tcp_proxy->clusters)));
    }
  }
  return lines;
}

// "ns/name status: description @vhost" (no "@" part when the vhost is empty).
inline std::vector<std::string> DescribeStatuses(const Dag& dag) {
  std::vector<std::string> lines;
  for (const Status& s : dag.statuses) {
    std::string line =
        absl::StrCat(s.namespace_, "/", s.name, " ", s.current_status, ": ", s.description);
    if (!s.vhost.empty()) absl::StrAppend(&line, " @", s.vhost);
    lines.push_back(std::move(line));
  }
  return lines;
}

// The cache filled with `objects` (wanted secrets re-supplied), then built.
inline Dag BuildFrom(const std::vector<k8s::Object>& objects, CacheConfig cache_config = {},
                     BuilderConfig builder_config = {}) {
  KubernetesCache cache(std::move(cache_config));
  dagtest::Fill(cache, objects);
  return Build(cache, builder_config);
}

}  // namespace contour::dag::irtest

#endif  // CONTOUR_TESTS_DAG_INGRESSROUTE_TEST_OBJECTS_H_
