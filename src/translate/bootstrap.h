// The Envoy v3 bootstrap that `contour bootstrap` writes (Contour's internal/envoy/bootstrap.go,
// made v3): LDS and CDS from the static "contour" cluster, plus the "service-stats" cluster and
// the admin listener.
#ifndef CONTOUR_TRANSLATE_BOOTSTRAP_H_
#define CONTOUR_TRANSLATE_BOOTSTRAP_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "envoy/config/bootstrap/v3/bootstrap.pb.h"

namespace contour::translate {

// Name of the static cluster that points at Envoy's own admin listener.
inline constexpr char kServiceStatsClusterName[] = "service-stats";

// Defaults are `contour bootstrap`'s.
struct BootstrapConfig {
  std::string admin_address = "127.0.0.1";
  uint32_t admin_port = 9001;
  std::string xds_address = "127.0.0.1";
  uint32_t xds_port = 8001;
  std::string namespace_ = "heptio-contour";  // only names the contour cluster's stats
  // Client certificate Envoy presents to contour, and the CA it checks contour's against: all
  // three or none.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool ads = false;  // one aggregated stream (ads_config) instead of per-type streams
};

// InvalidArgument with Contour's words when only some of the TLS files are given.
absl::Status ValidateBootstrapConfig(const BootstrapConfig& config);

// The bootstrap for a config that passed ValidateBootstrapConfig; TLS is set up only when all
// three files are named.
envoy::config::bootstrap::v3::Bootstrap Bootstrap(const BootstrapConfig& config);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_BOOTSTRAP_H_
