#include "translate/config_source.h"

namespace contour::translate {

envoy::config::core::v3::ConfigSource ConfigSource(ConfigSourceMode mode) {
  envoy::config::core::v3::ConfigSource source;
  source.set_resource_api_version(envoy::config::core::v3::V3);
  switch (mode) {
    case ConfigSourceMode::kAds:
      source.mutable_ads();
      return source;
    case ConfigSourceMode::kGrpcContour:
      break;
  }
  auto* api = source.mutable_api_config_source();
  api->set_api_type(envoy::config::core::v3::ApiConfigSource::GRPC);
  api->set_transport_api_version(envoy::config::core::v3::V3);
  api->add_grpc_services()->mutable_envoy_grpc()->set_cluster_name(kContourClusterName);
  return source;
}

}  // namespace contour::translate
