#include "server/http_endpoints.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "dag/dot.h"
#include "translate/names.h"
#include "xds/resource.h"

namespace contour::server {
namespace {

// A probe must answer well within a kubelet's default 1 s probe timeout... and Contour's own
// check has none; this bounds a hung API server.
constexpr absl::Duration kHealthTimeout = absl::Seconds(2);

using metrics::LabeledValue;

// Per xDS type ("cds", "eds", ...), from one array of the server's stats.
template <typename Array>
std::vector<LabeledValue> ByType(const Array& values) {
  std::vector<LabeledValue> out;
  for (xds::ResourceType type : xds::kAllResourceTypes) {
    out.push_back(LabeledValue{{std::string(xds::ShortTypeName(type))},
                               static_cast<double>(values[static_cast<int>(type)])});
  }
  return out;
}

double Number(const std::string& text) {
  double value = 0;
  return absl::SimpleAtod(text, &value) ? value : 0;
}

absl::Status RegisterXdsMetrics(metrics::Registry& registry, const xds::XdsServer& xds) {
  RETURN_IF_ERROR(registry.AddCollectedGauge("contour_xds_streams", "Open xDS streams", [&xds] {
    return static_cast<double>(xds.Stats().streams_open);
  }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_xds_streams_opened_total", "xDS streams opened since start",
      [&xds] { return static_cast<double>(xds.Stats().streams_total); }));
  RETURN_IF_ERROR(registry.AddCollectedCounterFamily(
      "contour_xds_responses_total", "xDS responses sent, by type", {"type"},
      [&xds] { return ByType(xds.Stats().responses); }));
  RETURN_IF_ERROR(registry.AddCollectedCounterFamily(
      "contour_xds_nacks_total", "xDS responses rejected by clients (NACK), by type", {"type"},
      [&xds] { return ByType(xds.Stats().nacks); }));
  RETURN_IF_ERROR(
      registry.AddCollectedCounter("contour_xds_sent_bytes_total", "Bytes of xDS responses sent",
                                   [&xds] { return static_cast<double>(xds.Stats().bytes_sent); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_xds_snapshots_total", "Snapshots published (one per build)",
      [&xds] { return static_cast<double>(xds.Stats().snapshots); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_xds_endpoint_updates_total", "Endpoint changes published",
      [&xds] { return static_cast<double>(xds.Stats().endpoint_updates); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_xds_secrets_withheld_streams_total",
      "Streams from peers without a verified client certificate, never sent a Secret",
      [&xds] { return static_cast<double>(xds.Stats().secrets_withheld_streams); }));
  return registry.AddCollectedGaugeFamily(
      "contour_xds_version", "The version served now, by type", {"type"}, [&xds] {
        std::shared_ptr<const xds::ServedState> served = xds.Served();
        std::vector<LabeledValue> out;
        for (xds::ResourceType type : xds::kAllResourceTypes) {
          double version = 0;
          if (type == xds::ResourceType::kEndpoint) {
            version = Number(served->endpoints_version);
          } else if (served->snapshot != nullptr) {
            version = Number(served->snapshot->versions[static_cast<int>(type)]);
          }
          out.push_back(LabeledValue{{std::string(xds::ShortTypeName(type))}, version});
        }
        return out;
      });
}

absl::Status RegisterLeaderMetrics(metrics::Registry& registry,
                                   const leadership::LeaderElector* elector) {
  // Without election every instance acts as the leader: it serves and writes status.
  RETURN_IF_ERROR(registry.AddCollectedGauge(
      "contour_leader", "1 while this instance leads (always 1 without leader election)",
      [elector] { return elector == nullptr || elector->IsLeader() ? 1.0 : 0.0; }));
  if (elector == nullptr) return absl::OkStatus();
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_leader_transitions_total", "Changes of the leader this instance observed",
      [elector] { return static_cast<double>(elector->stats().leader_changes); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_leader_elected_total", "Times this instance became the leader",
      [elector] { return static_cast<double>(elector->stats().started_leading); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_leader_deposed_total", "Times this instance stopped leading",
      [elector] { return static_cast<double>(elector->stats().stopped_leading); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_leader_renewals_total", "Successful renewals of the lease while leading",
      [elector] { return static_cast<double>(elector->stats().renewals); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_leader_election_errors_total", "Lock reads and writes that failed",
      [elector] { return static_cast<double>(elector->stats().errors); }));
  return registry.AddCollectedGauge(
      "contour_leader_renew_latency_seconds", "Duration of the last successful renewal",
      [elector] { return absl::ToDoubleSeconds(elector->stats().last_renew_latency); });
}

absl::Status RegisterKubernetesMetrics(metrics::Registry& registry,
                                       const KubernetesSource& kubernetes) {
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_kubernetes_watch_restarts_total",
      "Watches opened again after the first (cut, expired or failed), all kinds",
      [&kubernetes] { return static_cast<double>(kubernetes.stats().reflectors.watch_restarts); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_kubernetes_relists_total", "Full lists made after 410 Gone (expired watches)",
      [&kubernetes] {
        return static_cast<double>(kubernetes.stats().reflectors.relists_expired);
      }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_kubernetes_watch_events_total", "Watch events received, all kinds",
      [&kubernetes] { return static_cast<double>(kubernetes.stats().reflectors.events); }));
  RETURN_IF_ERROR(registry.AddCollectedCounter(
      "contour_kubernetes_request_errors_total", "Failed list and watch requests, all kinds",
      [&kubernetes] { return static_cast<double>(kubernetes.stats().reflectors.errors); }));
  return registry.AddCollectedCounter(
      "contour_kubernetes_decode_errors_total",
      "Objects that could not be read (their last good version stays)",
      [&kubernetes] { return static_cast<double>(kubernetes.stats().forwarded.decode_errors); });
}

absl::Status RegisterStatusWriterMetrics(metrics::Registry& registry,
                                         const k8s::StatusWriter& writer) {
  return registry.AddCollectedCounterFamily(
      "contour_status_writes_total", "IngressRoute status writes, by outcome", {"outcome"},
      [&writer] {
        const k8s::StatusWriterStats stats = writer.stats();
        return std::vector<LabeledValue>{
            {{"written"}, static_cast<double>(stats.writes)},
            {{"retried"}, static_cast<double>(stats.retries)},
            {{"abandoned"}, static_cast<double>(stats.abandoned)},
            {{"gone"}, static_cast<double>(stats.gone)},
        };
      });
}

}  // namespace

absl::Status RegisterComponentMetrics(metrics::Registry& registry,
                                      const ObservedComponents& components) {
  RETURN_IF_ERROR(metrics::AddProcessMetrics(registry));
  if (components.xds != nullptr) RETURN_IF_ERROR(RegisterXdsMetrics(registry, *components.xds));
  if (const controller::EventLoop* loop = components.loop) {
    RETURN_IF_ERROR(registry.AddCollectedCounter(
        "contour_dag_builds_total", "DAG builds (each debounced batch of changes is one)",
        [loop] { return static_cast<double>(loop->builds()); }));
    RETURN_IF_ERROR(registry.AddCollectedCounter(
        "contour_secret_waits_expired_total",
        "Secrets a build stopped waiting for (their source did not answer within 2 s)",
        [loop] { return static_cast<double>(loop->secret_waits_expired()); }));
  }
  RETURN_IF_ERROR(RegisterLeaderMetrics(registry, components.elector));
  if (components.kubernetes != nullptr) {
    RETURN_IF_ERROR(RegisterKubernetesMetrics(registry, *components.kubernetes));
  }
  if (components.status_writer != nullptr) {
    RETURN_IF_ERROR(RegisterStatusWriterMetrics(registry, *components.status_writer));
  }
  return absl::OkStatus();
}

metrics::HttpResponse HealthAnswer(const ObservedComponents& components) {
  metrics::HttpResponse response;
  if (components.api != nullptr) {
    k8s::RequestOptions options;
    options.timeout = kHealthTimeout;
    absl::StatusOr<k8s::HttpResponse> version =
        components.api->Request("GET", "/version", "", options);
    std::string error;
    if (!version.ok()) {
      error = std::string(version.status().message());
    } else if (version->status != 200) {
      error = absl::StrCat("GET /version answered ", version->status);
    }
    if (!error.empty()) {
      response.status = 503;
      response.body = absl::StrCat("Failed Kubernetes Check: ", error);
      return response;
    }
  }
  response.body = "OK";
  if (components.elector != nullptr) {
    absl::StrAppend(&response.body, components.elector->IsLeader() ? " leader" : " follower");
  }
  return response;
}

metrics::HttpResponse DagAnswer(const ObservedComponents& components) {
  metrics::HttpResponse response;
  std::shared_ptr<const dag::Dag> dag =
      components.builds != nullptr ? components.builds->LastDag() : nullptr;
  if (dag == nullptr) {
    response.status = 503;
    response.body = "no build yet\n";
    return response;
  }
  response.content_type = "text/vnd.graphviz; charset=utf-8";
  response.body = dag::DagToDot(*dag, translate::ClusterName);
  return response;
}

}  // namespace contour::server
