// LDS: ingress_http, ingress_https and stats-health (Contour's listener visitor).
#ifndef CONTOUR_TRANSLATE_LISTENER_H_
#define CONTOUR_TRANSLATE_LISTENER_H_

#include <string>
#include <vector>

#include "dag/dag.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "translate/translate.h"

namespace contour::translate {

inline constexpr char kHttpListenerName[] = "ingress_http";
inline constexpr char kHttpsListenerName[] = "ingress_https";

// The SNI-matched filter chain of one secure virtual host on ingress_https.
envoy::config::listener::v3::FilterChain SecureFilterChain(const dag::SecureVirtualHost& vhost,
                                                           const TranslateConfig& config);

// ingress_http when there are port-80 vhosts, ingress_https when there are secure vhosts, and
// stats-health always; sorted by name.
std::vector<envoy::config::listener::v3::Listener> Listeners(const dag::Dag& dag,
                                                             const TranslateConfig& config);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_LISTENER_H_
