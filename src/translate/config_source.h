// Where Envoy fetches RDS, EDS and SDS resources from: contour's gRPC cluster, or ADS.
#ifndef CONTOUR_TRANSLATE_CONFIG_SOURCE_H_
#define CONTOUR_TRANSLATE_CONFIG_SOURCE_H_

#include "envoy/config/core/v3/config_source.pb.h"
#include "translate/translate.h"

namespace contour::translate {

// Name of the bootstrap cluster that points Envoy back at contour.
inline constexpr char kContourClusterName[] = "contour";

envoy::config::core::v3::ConfigSource ConfigSource(ConfigSourceMode mode);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_CONFIG_SOURCE_H_
