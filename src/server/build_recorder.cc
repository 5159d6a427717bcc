#include "server/build_recorder.h"

#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "dag/ingressroute_metrics.h"

namespace contour::server {
namespace {

using Values = std::vector<std::pair<metrics::LabelValues, double>>;

Values ByNamespace(const std::map<std::string, int>& counts) {
  Values values;
  for (const auto& [namespace_, count] : counts) values.push_back({{namespace_}, count});
  return values;
}

Values ByNamespaceAndVhost(const std::map<std::pair<std::string, std::string>, int>& counts) {
  Values values;
  for (const auto& [key, count] : counts) values.push_back({{key.first, key.second}, count});
  return values;
}

}  // namespace

absl::StatusOr<std::unique_ptr<BuildRecorder>> BuildRecorder::Create(metrics::Registry& registry) {
  std::unique_ptr<BuildRecorder> recorder(new BuildRecorder());
  // Contour's names, help texts and labels (internal/metrics/metrics.go).
  ASSIGN_OR_RETURN(recorder->total_,
                   registry.AddGaugeFamily("contour_ingressroute_total",
                                           "Total number of IngressRoutes", {"namespace"}));
  ASSIGN_OR_RETURN(recorder->root_,
                   registry.AddGaugeFamily("contour_ingressroute_root_total",
                                           "Total number of root IngressRoutes", {"namespace"}));
  ASSIGN_OR_RETURN(recorder->valid_, registry.AddGaugeFamily("contour_ingressroute_valid_total",
                                                             "Total number of valid IngressRoutes",
                                                             {"namespace", "vhost"}));
  ASSIGN_OR_RETURN(
      recorder->invalid_,
      registry.AddGaugeFamily("contour_ingressroute_invalid_total",
                              "Total number of invalid IngressRoutes", {"namespace", "vhost"}));
  ASSIGN_OR_RETURN(
      recorder->orphaned_,
      registry.AddGaugeFamily("contour_ingressroute_orphaned_total",
                              "Total number of orphaned IngressRoutes", {"namespace"}));
  ASSIGN_OR_RETURN(recorder->rebuild_timestamp_,
                   registry.AddGauge("contour_ingressroute_dagrebuild_timestamp",
                                     "Timestamp of the last DAG rebuild"));
  ASSIGN_OR_RETURN(recorder->onupdate_seconds_,
                   registry.AddSummary("contour_cachehandler_onupdate_duration_seconds",
                                       "Histogram for the runtime of xDS cache regeneration"));
  return recorder;
}

void BuildRecorder::OnBuild(const dag::Dag& dag, absl::Duration took) {
  const dag::IngressRouteMetrics counts = dag::ComputeIngressRouteMetrics(dag.statuses);
  // The label values come from our own counts, with the families' arity: cannot fail.
  (void)total_->ReplaceAll(ByNamespace(counts.total));
  (void)root_->ReplaceAll(ByNamespace(counts.root));
  (void)orphaned_->ReplaceAll(ByNamespace(counts.orphaned));
  (void)valid_->ReplaceAll(ByNamespaceAndVhost(counts.valid));
  (void)invalid_->ReplaceAll(ByNamespaceAndVhost(counts.invalid));
  rebuild_timestamp_->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  onupdate_seconds_->Observe(absl::ToDoubleSeconds(took));
  auto copy = std::make_shared<const dag::Dag>(dag);
  absl::MutexLock lock(&mu_);
  last_ = std::move(copy);
}

std::shared_ptr<const dag::Dag> BuildRecorder::LastDag() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

}  // namespace contour::server
