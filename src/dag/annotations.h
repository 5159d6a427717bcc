// Contour v0.15's Ingress and Service annotations (internal/dag/annotations.go, policy.go),
// parsed into DAG values. Parsing never fails: bad values fall back as Contour's do.
#ifndef CONTOUR_DAG_ANNOTATIONS_H_
#define CONTOUR_DAG_ANNOTATIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "dag/dag.h"

namespace contour::dag {

using Annotations = std::map<std::string, std::string>;

inline constexpr char kAnnotationIngressClass[] = "kubernetes.io/ingress.class";
inline constexpr char kAnnotationContourIngressClass[] = "contour.heptio.com/ingress.class";
inline constexpr char kAnnotationForceSslRedirect[] = "ingress.kubernetes.io/force-ssl-redirect";
inline constexpr char kAnnotationAllowHttp[] = "kubernetes.io/ingress.allow-http";
inline constexpr char kAnnotationRequestTimeout[] = "contour.heptio.com/request-timeout";
inline constexpr char kAnnotationRetryOn[] = "contour.heptio.com/retry-on";
inline constexpr char kAnnotationNumRetries[] = "contour.heptio.com/num-retries";
inline constexpr char kAnnotationPerTryTimeout[] = "contour.heptio.com/per-try-timeout";
inline constexpr char kAnnotationTlsMinimumProtocolVersion[] =
    "contour.heptio.com/tls-minimum-protocol-version";
inline constexpr char kAnnotationWebsocketRoutes[] = "contour.heptio.com/websocket-routes";
inline constexpr char kAnnotationUpstreamProtocolH2[] = "contour.heptio.com/upstream-protocol.h2";
inline constexpr char kAnnotationUpstreamProtocolH2c[] = "contour.heptio.com/upstream-protocol.h2c";
inline constexpr char kAnnotationUpstreamProtocolTls[] = "contour.heptio.com/upstream-protocol.tls";
inline constexpr char kAnnotationMaxConnections[] = "contour.heptio.com/max-connections";
inline constexpr char kAnnotationMaxPendingRequests[] = "contour.heptio.com/max-pending-requests";
inline constexpr char kAnnotationMaxRequests[] = "contour.heptio.com/max-requests";
inline constexpr char kAnnotationMaxRetries[] = "contour.heptio.com/max-retries";

// The value of annotation `key`; null when absent.
const std::string* FindAnnotation(const Annotations& annotations, std::string_view key);

// Go's strconv.ParseInt(value, 10, 32) with the error ignored: a syntax error gives 0, an
// out-of-range value is clamped to the int32 range. Absent means "".
int32_t ParseInt32Annotation(const Annotations& annotations, std::string_view key);

// force-ssl-redirect is exactly "true".
bool TlsRequired(const Annotations& annotations);
// allow-http is not exactly "false".
bool HttpAllowed(const Annotations& annotations);
// The trimmed, non-empty entries of the comma-separated websocket-routes.
std::set<std::string> WebsocketRoutes(const Annotations& annotations);

// Contour's parseTimeout: "" and "0s" → default; "infinity", unparsable or negative → infinite;
// otherwise the Go duration. (Go keeps a negative duration other than -1ns, which Envoy would
// reject; it is infinite here.)
Timeout ParseTimeout(std::string_view text);
// The request-timeout annotation (absent is the same as "").
Timeout RequestTimeout(const Annotations& annotations);
// retry-on (non-empty) with num-retries (> 0, else Envoy's default) and per-try-timeout
// (a positive Go duration, else unset); nullopt without retry-on.
std::optional<RetryPolicy> IngressRetryPolicy(const Annotations& annotations);

// "1.2" and "1.3"; anything else is TLS 1.1.
TlsVersion ParseTlsVersion(std::string_view text);

// upstream-protocol.{h2,h2c,tls}: the protocol of a Service port, looked up by the port's name
// and then by its number. A port listed under several protocols gets the last of h2, h2c, tls.
UpstreamProtocol UpstreamProtocolFor(const Annotations& annotations, const std::string& port_name,
                                     int64_t port_number);

// max-connections, max-pending-requests, max-requests, max-retries; invalid or < 1 → 0.
CircuitBreakers CircuitBreakersFor(const Annotations& annotations);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_ANNOTATIONS_H_
