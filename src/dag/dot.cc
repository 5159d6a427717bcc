#include "dag/dot.h"

#include <initializer_list>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace contour::dag {
namespace {

// Contour's listeners have no address in the DAG (the listener translator applies it), so their
// labels read ":80" and ":443".
constexpr int kHttpPort = 80;
constexpr int kHttpsPort = 443;

// Services behind routes are Contour's HTTPService nodes, those behind a tcp proxy TCPService.
enum class ServiceKind { kHttp, kTcp };

// Writes the graph in Contour's visiting order: each node when first reached, then its children
// depth-first, each edge once its child's subtree is written.
class DotWriter {
 public:
  explicit DotWriter(absl::FunctionRef<std::string(const Cluster&)> cluster_name)
      : cluster_name_(cluster_name) {}

  std::string Write(const Dag& dag) && {
    out_ = "digraph DAG {\nrankdir=\"LR\"\n";
    if (!dag.http_hosts.empty()) {
      const std::string listener = Node(Record({"listener", absl::StrCat(":", kHttpPort)}));
      for (const auto& [name, host] : dag.http_hosts) {
        Edge(listener, Host(absl::StrCat("http://", host.name), host, nullptr, nullptr));
      }
    }
    if (!dag.https_hosts.empty()) {
      const std::string listener = Node(Record({"listener", absl::StrCat(":", kHttpsPort)}));
      for (const auto& [name, secure] : dag.https_hosts) {
        const TcpProxy* tcp_proxy = secure.tcp_proxy ? &*secure.tcp_proxy : nullptr;
        Edge(listener, Host(absl::StrCat("https://", secure.host.name), secure.host, tcp_proxy,
                            secure.secret.get()));
      }
    }
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  // "{a|b|…}" from already-built fields; plain fields are escaped here.
  static std::string Record(std::initializer_list<std::string> fields) {
    std::string label = "{";
    bool first = true;
    for (const std::string& field : fields) {
      if (!first) label += '|';
      first = false;
      label += EscapeDotRecordLabel(field);
    }
    return label + "}";
  }

  // A new node; returns its id.
  std::string Node(const std::string& label) {
    std::string id = absl::StrCat("\"n", next_id_++, "\"");
    absl::StrAppend(&out_, id, " [shape=record, label=\"", label, "\"]\n");
    return id;
  }

  // The node for `key`, written the first time only.
  std::string SharedNode(const std::string& key, const std::string& label) {
    auto [it, inserted] = shared_.try_emplace(key);
    if (inserted) it->second = Node(label);
    return it->second;
  }

  void Edge(const std::string& from, const std::string& to) {
    absl::StrAppend(&out_, from, " -> ", to, "\n");
  }

  std::string Host(const std::string& label, const VirtualHost& host, const TcpProxy* tcp_proxy,
                   const Secret* secret) {
    const std::string id = Node(Record({label}));
    for (const auto& [key, route] : host.routes) Edge(id, RouteNode(route));
    if (tcp_proxy != nullptr) {
      const std::string proxy = Node(Record({"tcpproxy"}));
      for (const Cluster& cluster : tcp_proxy->clusters) {
        Edge(proxy, ClusterNode(cluster, ServiceKind::kTcp));
      }
      Edge(id, proxy);
    }
    if (secret != nullptr) {
      const std::string name = absl::StrCat(secret->namespace_, "/", secret->name);
      Edge(id, SharedNode(absl::StrCat("secret ", name), Record({"secret", name})));
    }
    return id;
  }

  std::string RouteNode(const Route& route) {
    const char* kind = "prefix";
    switch (route.match) {
      case PathMatch::kRegex:
        kind = "regex";
        break;
      case PathMatch::kExact:
        kind = "exact";  // beyond Contour 0.15, which has no exact match
        break;
      case PathMatch::kPrefix:
        break;
    }
    const std::string id = Node(Record({kind, route.path}));
    for (const Cluster& cluster : route.clusters) {
      Edge(id, ClusterNode(cluster, ServiceKind::kHttp));
    }
    return id;
  }

  std::string ClusterNode(const Cluster& cluster, ServiceKind kind) {
    const std::string id =
        Node(absl::StrCat("{cluster|{", EscapeDotRecordLabel(cluster_name_(cluster)), "|weight ",
                          cluster.weight, "}}"));
    if (const Service* service = cluster.upstream.get(); service != nullptr) {
      const char* type = kind == ServiceKind::kTcp ? "tcpservice" : "httpservice";
      const std::string name =
          absl::StrCat(service->namespace_, "/", service->name, ":", service->port);
      // One node per Service port and kind, as Contour's builder keeps one per build.
      Edge(id, SharedNode(absl::StrCat(type, " ", name), Record({type, name})));
    }
    return id;
  }

  absl::FunctionRef<std::string(const Cluster&)> cluster_name_;
  std::string out_;
  int next_id_ = 0;
  std::map<std::string, std::string> shared_;  // service / secret key → node id
};

std::string ServicePortName(const Cluster& cluster) {
  if (cluster.upstream == nullptr) return "";
  const Service& service = *cluster.upstream;
  return absl::StrCat(service.namespace_, "/", service.name, "/", service.port);
}

}  // namespace

std::string EscapeDotRecordLabel(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '{':
      case '}':
      case '|':
      case '<':
      case '>':
      case '"':
      case '\\':
        out += '\\';
        out += c;
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string DagToDot(const Dag& dag) { return DagToDot(dag, ServicePortName); }

std::string DagToDot(const Dag& dag, absl::FunctionRef<std::string(const Cluster&)> cluster_name) {
  return DotWriter(cluster_name).Write(dag);
}

}  // namespace contour::dag
