// Resource names exactly as Contour v0.15 computes them (internal/envoy/cluster.go, secret.go,
// route.go): Envoy and existing dashboards key on these strings.
#ifndef CONTOUR_TRANSLATE_NAMES_H_
#define CONTOUR_TRANSLATE_NAMES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dag/dag.h"

namespace contour::translate {

// Lower-case hex digests.
std::string Sha1Hex(std::string_view data);
std::string Sha256Hex(std::string_view data);

// Go's time.Duration.String() for a whole number of seconds: 2 → "2s", 90 → "1m30s".
std::string GoSecondsString(int64_t seconds);

// Shortens `s` to `limit` characters by replacing its end with "-<suffix>" (Contour's truncate).
std::string Truncate(int limit, std::string_view s, std::string_view suffix);

// Joins `parts` with "/"; when that is not shorter than `limit`, truncates parts from the last
// backwards with a hash of the whole, and falls back to the hash itself (Contour's hashname).
// Allocates only the result unless the name must be shortened.
std::string Hashname(int limit, absl::Span<const absl::string_view> parts);
std::string Hashname(int limit, const std::vector<std::string>& parts);

// The CDS name: ns/name/port/<sha1 of strategy, health check and validation>[:10].
std::string ClusterName(const dag::Cluster& cluster);

// ns_name_port, the cluster's alt_stat_name.
std::string AltStatName(const dag::Service& service);

// The SDS name: ns/name/<sha1 of the certificate chain>[:10].
std::string SecretName(const dag::Secret& secret);

// The RDS virtual host name for an fqdn (or "*").
std::string VirtualHostName(const std::string& fqdn);

}  // namespace contour::translate

#endif  // CONTOUR_TRANSLATE_NAMES_H_
