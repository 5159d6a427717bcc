// The static `stats-health` listener: /stats proxied to the admin cluster, /healthz answered
// by Envoy itself.
#ifndef CONTOUR_TRANSLATE_STATS_LISTENER_H_
#define CONTOUR_TRANSLATE_STATS_LISTENER_H_

#include <cstdint>
#include <string>

#include "envoy/config/listener/v3/listener.pb.h"

namespace contour::translate {

inline constexpr char kStatsListenerName[] = "stats-health";

envoy::config::listener::v3::Listener StatsListener(const std::string& address, uint32_t port);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_STATS_LISTENER_H_
